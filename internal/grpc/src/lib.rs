//! gRPC front door: the standard `grpc.health.v1.Health` service (`Check` and `Watch`) over the
//! kernel's one health registry. Entry point [`GrpcHealth`]; service names in `names.rs`,
//! `Watch` streams in `watch.rs`, a listener of its own in `listener.rs`; [`GrpcMetrics`] times
//! an app's gRPC calls ([`timing`]).
//!
//! | service name | group | `SERVING` when |
//! |---|---|---|
//! | `""` (empty) | readiness | the group is healthy or degraded, and not shutting down |
//! | `readiness` (`ready`, `readyz`) | readiness | the same |
//! | `liveness` (`live`, `livez`, `healthz`) | liveness | the group is healthy or degraded |
//! | `startup` (`startupz`) | startup | the group is healthy or degraded |
//! | a custom group's name | that group | the group is healthy or degraded |
//! | anything else | none | `Check`: `NOT_FOUND`; `Watch`: `SERVICE_UNKNOWN` until a check joins |
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = vitals_health::HealthRegistry::default();
//! let health = vitals_grpc::GrpcHealth::new(registry);
//! let listener = vitals_grpc::GrpcListener::bind("127.0.0.1:50051".parse()?)?;
//! listener.serve(health, std::future::pending()).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
mod health;
mod listener;
mod names;
pub mod timing;
mod watch;

pub use health::GrpcHealth;
pub use listener::GrpcListener;
pub use names::group_of;
pub use timing::GrpcMetrics;
pub use tonic_health::pb::health_server::HealthServer;
pub use watch::WatchStream;
