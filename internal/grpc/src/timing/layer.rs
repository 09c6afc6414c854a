use super::service::GrpcMetricsService;
use std::sync::Arc;
use vitals::metrics::{CounterFamily, HistogramFamily};

/// Times every gRPC call of a tonic server (`Server::builder().layer(..)`): see the
/// [module](crate::timing) for the families and labels. Cheap to clone.
#[derive(Clone)]
pub struct GrpcMetrics {
    pub(crate) families: Arc<Families>,
}

pub(crate) struct Families {
    pub(crate) seconds: HistogramFamily,
    pub(crate) handled: CounterFamily,
}

impl std::fmt::Debug for GrpcMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcMetrics").finish_non_exhaustive()
    }
}

/// The label names, in order.
const LABELS: [&str; 3] = ["grpc_service", "grpc_method", "grpc_code"];

impl GrpcMetrics {
    /// Registers the two families on `metrics` (the kernel's, for its `/metrics`), with the
    /// HTTP request histogram's buckets (1 ms … 10 s).
    ///
    /// # Errors
    /// [`vitals::Error::DuplicateMetric`] when they are registered twice on one registry.
    pub fn new(metrics: &vitals::Metrics) -> Result<Self, vitals::Error> {
        let buckets = vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        Ok(Self {
            families: Arc::new(Families {
                seconds: metrics.histogram_vec(
                    "grpc_server_handling_seconds",
                    "Duration of gRPC calls, from the request to the end of the response (a stream's lifetime).",
                    &LABELS,
                    Some(buckets),
                )?,
                handled: metrics.counter_vec(
                    "grpc_server_handled_total",
                    "gRPC calls finished, by status code.",
                    &LABELS,
                )?,
            }),
        })
    }
}

impl<S> tower_layer::Layer<S> for GrpcMetrics {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            metrics: self.clone(),
        }
    }
}
