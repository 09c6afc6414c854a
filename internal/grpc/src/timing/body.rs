use super::labels::code_name;
use super::layer::Families;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::time::Instant;

/// One call under way: its labels and start.
pub(crate) struct Call {
    pub(crate) families: Arc<Families>,
    pub(crate) service: String,
    pub(crate) method: String,
    pub(crate) start: Instant,
}

impl Call {
    /// Records the call once, with `code`; a call not implemented counts as `unknown`.
    pub(crate) fn record(self, code: &str) {
        let (service, method) = match code {
            "UNIMPLEMENTED" => ("unknown", "unknown"),
            _ => (self.service.as_str(), self.method.as_str()),
        };
        let labels = [service, method, code];
        self.families
            .seconds
            .with_label_values(&labels)
            .observe(self.start.elapsed().as_secs_f64());
        self.families.handled.with_label_values(&labels).inc();
    }
}

pin_project! {
    /// A response body that records its call when it ends: at the trailers (which carry
    /// `grpc-status`), at its end, or, dropped before either, as `CANCELLED`.
    pub struct TimedBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }

    impl<B> PinnedDrop for TimedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(call) = this.project().call.take() {
                call.record("CANCELLED");
            }
        }
    }
}

impl<B> TimedBody<B> {
    /// A body whose end records `call`.
    pub(crate) fn new(inner: B, call: Call) -> Self {
        Self {
            inner,
            call: Some(call),
        }
    }

    /// The body of a call already recorded.
    pub(crate) fn done(inner: B) -> Self {
        Self { inner, call: None }
    }
}

impl<B: Body> Body for TimedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = std::task::ready!(this.inner.poll_frame(cx));
        let code = match &frame {
            Some(Ok(f)) => f.trailers_ref().map(|t| {
                t.get("grpc-status")
                    .map_or("UNKNOWN", |c| code_name(c.as_bytes()))
            }),
            Some(Err(_)) => Some("UNKNOWN"),
            // The end without trailers: the protocol was not followed.
            None => Some("UNKNOWN"),
        };
        if let Some(code) = code
            && let Some(call) = this.call.take()
        {
            call.record(code);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
