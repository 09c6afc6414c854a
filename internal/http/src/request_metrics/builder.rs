use super::labels::Shared;
use super::transform::RequestMetrics;
use prometheus::{HistogramOpts, Opts};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use vitals::Metrics;
use vitals::metrics::{
    DEFAULT_SERIES_BUDGET, ErrorKind, validate_label_name, validate_metric_name,
};

/// Default request-duration buckets, in seconds (1 ms to 10 s).
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route templates excluded by default: the probes and `/metrics`.
pub const DEFAULT_EXCLUDED: [&str; 14] = [
    "/metrics",
    "/health",
    "/healthz",
    "/healthz/{check}",
    "/livez",
    "/livez/{check}",
    "/ready",
    "/ready/{check}",
    "/readyz",
    "/readyz/{check}",
    "/startupz",
    "/startupz/{check}",
    "/health/{group}",
    "/health/{group}/{check}",
];

/// Configures [`RequestMetrics`]; every setter states its default.
pub struct RequestMetricsBuilder {
    metrics: Metrics,
    buckets: Vec<f64>,
    excluded: HashSet<String>,
    const_labels: HashMap<String, String>,
    prefix: Option<String>,
    budget: usize,
}

impl RequestMetricsBuilder {
    pub(crate) fn new(metrics: &Metrics) -> Self {
        Self {
            metrics: metrics.clone(),
            buckets: DEFAULT_BUCKETS.to_vec(),
            excluded: DEFAULT_EXCLUDED.iter().map(|s| (*s).to_owned()).collect(),
            const_labels: HashMap::new(),
            prefix: None,
            budget: DEFAULT_SERIES_BUDGET,
        }
    }

    /// Histogram buckets in seconds. Defaults to [`DEFAULT_BUCKETS`].
    pub fn buckets(mut self, buckets: Vec<f64>) -> Self {
        self.buckets = buckets;
        self
    }

    /// Route templates not measured (exact match on the template, e.g. `/users/{id}`), in
    /// addition to the defaults ([`DEFAULT_EXCLUDED`]).
    pub fn exclude(mut self, routes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.excluded.extend(routes.into_iter().map(Into::into));
        self
    }

    /// Measures the probes and `/metrics` too (clears the default exclusions).
    pub fn include_defaults(mut self) -> Self {
        for r in DEFAULT_EXCLUDED {
            self.excluded.remove(r);
        }
        self
    }

    /// A label with a fixed value on every series (e.g. `service`). Defaults to none.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.insert(name.into(), value.into());
        self
    }

    /// A prefix for the family names (`<prefix>_http_server_requests_total`). Defaults to none.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Most (method, route, status) label sets kept; more fold into the `<overflow>` series.
    /// Defaults to [`DEFAULT_SERIES_BUDGET`].
    pub fn series_budget(mut self, budget: usize) -> Self {
        self.budget = budget;
        self
    }

    /// Registers the families and builds the middleware.
    ///
    /// # Errors
    /// [`vitals::Error`] for a bad prefix, const label, bucket list, or when the families already
    /// exist in the registry.
    pub fn build(self) -> Result<RequestMetrics, vitals::Error> {
        let name = |base: &str| match &self.prefix {
            Some(p) => format!("{p}_{base}"),
            None => base.to_owned(),
        };
        let requests_name = name("http_server_requests_total");
        let duration_name = name("http_server_request_duration_seconds");
        validate_metric_name(&requests_name, true)?;
        validate_metric_name(&duration_name, false)?;
        for label in self.const_labels.keys() {
            validate_label_name(label)?;
        }
        let labels = ["method", "route", "status"];
        let requests = self.metrics.counter_vec_with(
            Opts::new(
                &requests_name,
                "HTTP requests served, by method, route template and status.",
            )
            .const_labels(self.const_labels.clone()),
            &labels,
        )?;
        let duration = self.metrics.histogram_vec_with(
            HistogramOpts::new(
                &duration_name,
                "HTTP request duration from request start to the end of the response body.",
            )
            .const_labels(self.const_labels.clone())
            .buckets(self.buckets.clone()),
            &labels,
        )?;
        Ok(RequestMetrics {
            shared: Arc::new(Shared {
                duration: duration.raw().clone(),
                requests: requests.raw().clone(),
                budget: self.metrics.series_budget(&requests_name, self.budget),
                excluded: self.excluded,
                http_5xx: self.metrics.error_counter(ErrorKind::Http5xx),
                handler_errors: self.metrics.error_counter(ErrorKind::HandlerError),
                client_errors: self.metrics.error_counter(ErrorKind::ClientError),
                panics: self.metrics.error_counter(ErrorKind::Panic),
            }),
        })
    }
}
