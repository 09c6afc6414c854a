use super::labels::Series;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

pin_project_lite::pin_project! {
    /// A response body that records the request's duration and count when it is finished
    /// (fully sent, or dropped early), so streamed bodies are timed to their end.
    pub struct TimedBody<B> {
        #[pin]
        body: B,
        recording: Option<(Rc<Series>, Instant)>,
    }

    impl<B> PinnedDrop for TimedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some((series, start)) = this.project().recording.take() {
                series.record(start.elapsed().as_secs_f64());
            }
        }
    }
}

impl<B> TimedBody<B> {
    pub(crate) fn new(body: B, recording: Option<(Rc<Series>, Instant)>) -> Self {
        Self { body, recording }
    }
}

impl<B: MessageBody> MessageBody for TimedBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.project().body.poll_next(cx)
    }
}
