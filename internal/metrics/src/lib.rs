//! Metrics exposition for one kernel: built-in families, collect-time collectors (TTL, coalesced,
//! deadline-bound), sampled-gauge loops and Prometheus text encoding. Entry point [`Exposition`].
mod builtin;
mod collectors;
mod encode;
mod exposition;
mod health;
mod samplers;

pub use builtin::{register_builtins, register_service_info};
pub use encode::{TEXT_CONTENT_TYPE, encode_text};
pub use exposition::Exposition;
pub use health::HealthMetrics;
pub use samplers::start_samplers;
