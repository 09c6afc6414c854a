use super::body::{Call, TimedBody};
use super::labels::{code_name, split};
use super::layer::GrpcMetrics;
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::Instant;

/// The service [`GrpcMetrics`] wraps around a tonic server's services.
#[derive(Clone, Debug)]
pub struct GrpcMetricsService<S> {
    pub(crate) inner: S,
    pub(crate) metrics: GrpcMetrics,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for GrpcMetricsService<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
{
    type Response = http::Response<TimedBody<R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (service, method) = split(request.uri().path()).unwrap_or(("unknown", "unknown"));
        let call = Call {
            families: self.metrics.families.clone(),
            service: service.to_owned(),
            method: method.to_owned(),
            start: Instant::now(),
        };
        ResponseFuture {
            inner: self.inner.call(request),
            call: Some(call),
        }
    }
}

pin_project! {
    /// The response of a timed call: its body records the call when it ends.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before the response: the client went away.
            if let Some(call) = this.project().call.take() {
                call.record("CANCELLED");
            }
        }
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<R>, E>>,
{
    type Output = Result<http::Response<TimedBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        let call = this.call.take().expect("polled after completion");
        Poll::Ready(match result {
            // A trailers-only response (an error, say) is complete with its headers.
            Ok(response) => match response.headers().get("grpc-status") {
                Some(code) => {
                    call.record(code_name(code.as_bytes()));
                    Ok(response.map(TimedBody::done))
                }
                None => Ok(response.map(|body| TimedBody::new(body, call))),
            },
            Err(e) => {
                call.record("UNKNOWN");
                Err(e)
            }
        })
    }
}
