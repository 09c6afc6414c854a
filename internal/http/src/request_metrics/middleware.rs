use super::body::TimedBody;
use super::labels::{Cache, Shared, UNKNOWN, method_index, resolve};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use futures_util::FutureExt;
use futures_util::future::CatchUnwind;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

/// The per-worker middleware service built by [`RequestMetrics`](super::RequestMetrics).
pub struct RequestMetricsMiddleware<S> {
    pub(crate) service: S,
    pub(crate) shared: Arc<Shared>,
    pub(crate) cache: Cache,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<TimedBody<B>>;
    type Error = Error;
    type Future = RequestMetricsFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        let method = method_index(req.method());
        RequestMetricsFuture {
            inner: AssertUnwindSafe(self.service.call(req)).catch_unwind(),
            start,
            method,
            shared: self.shared.clone(),
            cache: self.cache.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`RequestMetricsMiddleware`]: turns a handler panic into a 500 error and attaches
    /// the timing body to the response.
    pub struct RequestMetricsFuture<F> {
        #[pin]
        inner: CatchUnwind<AssertUnwindSafe<F>>,
        start: Instant,
        method: u8,
        shared: Arc<Shared>,
        cache: Cache,
    }
}

impl<F, B> Future for RequestMetricsFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<TimedBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = match ready!(this.inner.poll(cx)) {
            Ok(Ok(res)) => res,
            failed => {
                // The request went down with the handler (panic) or an inner middleware (error),
                // so its route is unknown: count it under route="<unknown>" and let actix render
                // the error response.
                let error = match failed {
                    Err(panic) => {
                        this.shared.panics.inc();
                        tracing::error!("handler panicked: {}", vitals::panic_message(&*panic));
                        actix_web::error::ErrorInternalServerError("handler panicked")
                    }
                    Ok(Err(e)) => e,
                    Ok(Ok(_)) => unreachable!("matched above"),
                };
                let status = error.as_response_error().status_code();
                this.shared.count_failure(status, true);
                if let Some(series) = resolve(
                    this.cache,
                    this.shared,
                    Some(UNKNOWN),
                    *this.method,
                    status.as_u16(),
                ) {
                    series.record(this.start.elapsed().as_secs_f64());
                }
                return Poll::Ready(Err(error));
            }
        };
        let status = res.status();
        let pattern = res.request().match_pattern();
        // The kernel's endpoints served from the default service carry their template.
        let endpoint = match pattern {
            Some(_) => None,
            None => res
                .request()
                .extensions()
                .get::<crate::EndpointTemplate>()
                .map(|t| t.0),
        };
        let series = resolve(
            this.cache,
            this.shared,
            pattern.as_deref().or(endpoint),
            *this.method,
            status.as_u16(),
        );
        // Excluded routes (the probes, /metrics) feed no request family at all.
        if series.is_some() {
            this.shared
                .count_failure(status, res.response().error().is_some());
        }
        let start = *this.start;
        Poll::Ready(Ok(res.map_body(move |_, body| {
            TimedBody::new(body, series.map(|s| (s, start)))
        })))
    }
}
