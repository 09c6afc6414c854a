//! Timing of an app's gRPC calls: a tower layer for tonic's `Server::layer` recording every
//! call's duration and status code. Layer in `layer.rs`, service in `service.rs`, the response
//! body that records at the end of the call in `body.rs`, labels in `labels.rs`.
//!
//! Two families, on the facade's [`Metrics`](vitals::Metrics) (so the kernel's series budget
//! bounds them): `grpc_server_handling_seconds` (histogram) and `grpc_server_handled_total`
//! (counter), labelled `grpc_service`, `grpc_method` and `grpc_code` (`OK`, `NOT_FOUND`, …). A
//! call the server does not implement (`UNIMPLEMENTED`) is labelled `unknown`/`unknown`, so a
//! client making up paths adds one series, not one per path. A streaming call (`Watch`) counts
//! its whole lifetime; a call the client cancels counts as `CANCELLED`.
//!
//! Layers that answer for any path before routing (authentication, rate limits) belong before
//! this one in `Server::builder()`, or their refusals carry whatever path a client sent (bounded
//! only by the series budget); per-service interceptors run after routing and need no care.
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let metrics = vitals::Metrics::noop(); // the kernel's: `kernel.metrics()`
//! let health = vitals_grpc::GrpcHealth::new(vitals_health::HealthRegistry::default());
//! tonic::transport::Server::builder()
//!     .layer(vitals_grpc::GrpcMetrics::new(&metrics)?)
//!     .serve("127.0.0.1:50051".parse()?, health.server())
//!     .await?;
//! # Ok(()) }
//! ```
mod body;
mod labels;
mod layer;
mod service;

pub use body::TimedBody;
pub use layer::GrpcMetrics;
pub use service::{GrpcMetricsService, ResponseFuture};
