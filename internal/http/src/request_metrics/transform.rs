use super::RequestMetricsBuilder;
use super::labels::{Shared, Worker};
use super::middleware::RequestMetricsMiddleware;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

/// The middleware factory: `App::new().wrap(request_metrics)`. Cheap to clone; every clone feeds
/// the same families.
#[derive(Clone)]
pub struct RequestMetrics {
    pub(crate) shared: Arc<Shared>,
}

impl RequestMetrics {
    /// Starts a builder registering into `metrics`.
    pub fn builder(metrics: &vitals_prometheus::PrometheusRecorder) -> RequestMetricsBuilder {
        RequestMetricsBuilder::new(metrics)
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestMetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsMiddleware {
            service,
            worker: Rc::new(Worker::new(self.shared.clone())),
        }))
    }
}
