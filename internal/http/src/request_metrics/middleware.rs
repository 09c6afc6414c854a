use super::body::TimedBody;
use super::clock::Start;
use super::labels::Series;
use super::labels::{UNKNOWN, Worker, method_index};
use super::route::{RouteCell, clear_routed, request_id, take_routed};
use actix_web::body::BoxBody;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use futures_util::FutureExt;
use futures_util::future::CatchUnwind;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

/// The per-worker middleware service built by [`RequestMetrics`](super::RequestMetrics).
pub struct RequestMetricsMiddleware<S> {
    pub(crate) service: S,
    pub(crate) worker: Rc<Worker>,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = RequestMetricsFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Start::now();
        let method = method_index(req.method());
        let request = request_id(req.head());
        clear_routed();
        let inner = AssertUnwindSafe(self.service.call(req)).catch_unwind();
        RequestMetricsFuture {
            inner,
            route: take_routed(request),
            start,
            method,
            worker: self.worker.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`RequestMetricsMiddleware`]: turns a handler panic into a 500 error and attaches
    /// the timing body to the response.
    pub struct RequestMetricsFuture<F> {
        #[pin]
        inner: CatchUnwind<AssertUnwindSafe<F>>,
        start: Start,
        method: u8,
        route: Option<Rc<RouteCell>>,
        worker: Rc<Worker>,
    }
}

impl<F, B> Future for RequestMetricsFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let worker = &**this.worker;
        let res = match ready!(this.inner.poll(cx)) {
            Ok(Ok(res)) => res,
            failed => {
                // The request went down with the handler (panic) or an inner middleware (error),
                // so its route is unknown: count it under route="<unknown>" and let actix render
                // the error response.
                let error = match failed {
                    Err(panic) => {
                        worker.shared.panics.inc();
                        tracing::error!("handler panicked: {}", vitals::panic_message(&*panic));
                        actix_web::error::ErrorInternalServerError("handler panicked")
                    }
                    Ok(Err(e)) => e,
                    Ok(Ok(_)) => unreachable!("matched above"),
                };
                let status = error.as_response_error().status_code();
                worker.shared.count_failure(status, true);
                if let Some(series) = worker.resolve(Some(UNKNOWN), *this.method, status.as_u16()) {
                    series.record(this.start.seconds());
                }
                return Poll::Ready(Err(error));
            }
        };
        let status = res.status();
        let req = res.request();
        let cell = this.route.as_deref();
        let series = match cell.and_then(|c| c.slot(worker)) {
            // A timed resource after its first request: the template is in its cell.
            Some(slot) => slot
                .borrow_mut()
                .series(&worker.shared, *this.method, status.as_u16()),
            // A timed resource's first request here: its template was read when the resource was
            // routed its first request (never another request's, whichever response an inner
            // middleware answers with).
            None => match cell.and_then(|c| Some((c, c.template()?))) {
                Some((cell, route)) => {
                    let slot = worker.slot(Some(route));
                    cell.fill(worker, &slot);
                    slot.borrow_mut()
                        .series(&worker.shared, *this.method, status.as_u16())
                }
                None => {
                    let pattern = req.match_pattern();
                    // The kernel's endpoints served from the default service carry their template.
                    let endpoint = match pattern {
                        Some(_) => None,
                        None => req
                            .extensions()
                            .get::<crate::EndpointTemplate>()
                            .map(|t| t.0),
                    };
                    worker
                        .slot(pattern.as_deref().or(endpoint))
                        .borrow_mut()
                        .series(&worker.shared, *this.method, status.as_u16())
                }
            },
        };
        // Excluded routes (the probes, /metrics) feed no request family at all.
        let Some(series) = series else {
            return Poll::Ready(Ok(res));
        };
        worker
            .shared
            .count_failure(status, res.response().error().is_some());
        // A body of known size is recorded now, when the response is handed to actix: no wrapper,
        // no change of body type. A stream is recorded when it ends (or is dropped).
        match res.response().body().size() {
            BodySize::Stream => Poll::Ready(Ok(time_stream(res, series, *this.start))),
            BodySize::None | BodySize::Sized(_) => {
                series.record(this.start.seconds());
                Poll::Ready(Ok(res))
            }
        }
    }
}

/// Times a streamed response to its end: its body, boxed as actix's routing answers, is wrapped
/// in a [`TimedBody`] inside a new box, so the response keeps its type (one allocation, for
/// streams only). A stream of another body type (an inner middleware's own) cannot be wrapped
/// without changing the response's type for every request, so it is recorded now, when its
/// head is ready.
fn time_stream<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    series: Rc<Series>,
    start: Start,
) -> ServiceResponse<B> {
    res.map_body(move |_, mut body| {
        match (&mut body as &mut dyn Any).downcast_mut::<BoxBody>() {
            Some(boxed) => {
                // `()` boxes as empty bytes: a placeholder that allocates nothing.
                let stream = std::mem::replace(boxed, BoxBody::new(()));
                *boxed = BoxBody::new(TimedBody::new(stream, Some((series, start))));
            }
            None => series.record(start.seconds()),
        }
        body
    })
}
