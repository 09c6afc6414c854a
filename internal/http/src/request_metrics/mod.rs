//! Request-timing middleware: `http_server_request_duration_seconds` and `http_server_requests_total`
//! by method, route template and status, plus `vitals_errors_total` for 5xx, handler errors and panics.
//!
//! Label values are bounded by construction: the route is actix's match pattern (`/users/{id}`)
//! or `<unmatched>`, the method one of the nine standard ones or `OTHER`, the status a number.
//! Label handles are resolved once per worker, route, method and status; the request path itself
//! does no hashing of label values. A route registered with [`timed_resource`] hands the
//! middleware its route on each request, so nothing is allocated; any other route is read with
//! actix's `match_pattern()` (one `String` per request). A body of known size is recorded when
//! the response is ready; a streamed `BoxBody` when it ends; a stream of an inner middleware's
//! own body type when its head is ready.
//!
//! ```
//! use actix_web::{App, web};
//! use vitals_http::RequestMetrics;
//!
//! let metrics = vitals_prometheus::PrometheusRecorder::new();
//! let timing = RequestMetrics::builder(&metrics).build().unwrap();
//! let app = App::new()
//!     .wrap(timing)
//!     .service(vitals_http::timed_resource("/users/{id}").route(web::get().to(|| async { "hi" })))
//!     .route("/health/deep", web::get().to(|| async { "ok" }));
//! # let _ = app;
//! ```
mod body;
mod builder;
mod clock;
mod labels;
mod middleware;
mod route;
mod transform;

pub use body::TimedBody;
pub use builder::{DEFAULT_BUCKETS, RequestMetricsBuilder, RequestMetricsSettings};
pub use labels::{UNKNOWN, UNMATCHED};
pub use middleware::{RequestMetricsFuture, RequestMetricsMiddleware};
pub use route::timed_resource;
pub use transform::RequestMetrics;

#[cfg(test)]
mod tests;
