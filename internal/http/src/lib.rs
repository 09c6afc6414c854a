//! HTTP layer: actix-web handlers for the probe endpoints, caller classification and detail policy.
//! [`configure_health`] mounts the probes, [`configure_metrics`] `/metrics`, [`RequestMetrics`] times requests.
mod access;
mod dispatch;
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod metrics_endpoint;
pub mod request_metrics;

pub use access::{AccessPolicy, Caller, DetailPolicy, ForwardedHeader, Refusal, parse_networks};
pub use dispatch::{EndpointTemplate, dispatch};
pub use health::{HealthState, configure_health};
pub use ipnet::IpNet;
pub use metrics_endpoint::{
    MetricsState, SCRAPE_TIMEOUT_HEADER, ScrapeSettings, configure_metrics,
};
pub use request_metrics::{RequestMetrics, RequestMetricsBuilder, RequestMetricsSettings};
