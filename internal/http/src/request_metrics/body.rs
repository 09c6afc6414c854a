use super::clock::Start;
use super::labels::Series;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// A response body that, for a streamed response, records the request's duration and count
    /// when the stream is finished (fully sent, or dropped early), so streams are timed to their
    /// end. A body of known size is recorded when the response is ready and passes through
    /// untouched.
    pub struct TimedBody<B> {
        #[pin]
        body: B,
        recording: Option<(Rc<Series>, Start)>,
    }

    impl<B> PinnedDrop for TimedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some((series, start)) = this.project().recording.take() {
                series.record(start.seconds());
            }
        }
    }
}

impl<B> TimedBody<B> {
    pub(crate) fn new(body: B, recording: Option<(Rc<Series>, Start)>) -> Self {
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
