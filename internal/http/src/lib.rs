//! HTTP layer: actix-web handlers for the probe endpoints and `/metrics`, caller classification
//! and detail policy. One table of endpoints (`endpoints.rs`) feeds [`dispatch`] (the app's default
//! service) and [`configure_endpoints`]; [`RequestMetrics`] times requests.
#![warn(missing_docs)]
mod access;
mod dispatch;
mod endpoints;
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod metrics_endpoint;
pub mod request_metrics;
mod status;

pub use access::{AccessPolicy, Caller, DetailPolicy, ForwardedHeader, Refusal, parse_networks};
pub use dispatch::{EndpointTemplate, configure_endpoints, dispatch, dispatch_with};
pub use endpoints::{collides_with_endpoints, default_excluded};
pub use health::HealthState;
pub use ipnet::IpNet;
pub use metrics_endpoint::{MetricsState, SCRAPE_TIMEOUT_HEADER, ScrapeSettings};
pub use request_metrics::{
    RequestMetrics, RequestMetricsBuilder, RequestMetricsSettings, timed_resource,
};
pub use status::StatusState;
