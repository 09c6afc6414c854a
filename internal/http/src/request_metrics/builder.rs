use super::labels::Shared;
use super::transform::RequestMetrics;
use prometheus::{HistogramOpts, Opts};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use vitals::metrics::{ErrorKind, validate_label_name, validate_metric_name};
use vitals_prometheus::PrometheusRecorder;

/// Default request-duration buckets, in seconds (1 ms to 10 s).
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Settings of the request metrics: one value, defaults defined here once.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMetricsSettings {
    /// Histogram buckets in seconds. Defaults to [`DEFAULT_BUCKETS`].
    pub buckets: Vec<f64>,
    /// Route templates not measured (exact match on the template). Defaults to
    /// [`default_excluded`](crate::default_excluded) (the kernel's endpoints).
    pub excluded: HashSet<String>,
    /// Labels with a fixed value on every series. Defaults to none.
    pub const_labels: HashMap<String, String>,
    /// Prefix for the family names. Defaults to none.
    pub prefix: Option<String>,
    /// Most (method, route, status) label sets kept. Defaults to the registry's budget
    /// (`PrometheusRecorder::default_series_budget`).
    pub series_budget: Option<usize>,
}

impl Default for RequestMetricsSettings {
    fn default() -> Self {
        Self {
            buckets: DEFAULT_BUCKETS.to_vec(),
            excluded: crate::default_excluded().map(str::to_owned).collect(),
            const_labels: HashMap::new(),
            prefix: None,
            series_budget: None,
        }
    }
}

/// Configures [`RequestMetrics`]; every setter states its default.
pub struct RequestMetricsBuilder {
    metrics: PrometheusRecorder,
    settings: RequestMetricsSettings,
}

impl RequestMetricsBuilder {
    pub(crate) fn new(metrics: &PrometheusRecorder) -> Self {
        Self {
            metrics: metrics.clone(),
            settings: RequestMetricsSettings::default(),
        }
    }

    /// All settings at once (replacing those set so far).
    pub fn settings(mut self, settings: RequestMetricsSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Histogram buckets in seconds. Defaults to [`DEFAULT_BUCKETS`].
    pub fn buckets(mut self, buckets: Vec<f64>) -> Self {
        self.settings.buckets = buckets;
        self
    }

    /// Route templates not measured (exact match on the template, e.g. `/users/{id}`), in
    /// addition to the defaults ([`default_excluded`](crate::default_excluded)).
    pub fn exclude(mut self, routes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.settings
            .excluded
            .extend(routes.into_iter().map(Into::into));
        self
    }

    /// Measures the probes and `/metrics` too (clears the default exclusions).
    pub fn include_defaults(mut self) -> Self {
        for r in crate::default_excluded() {
            self.settings.excluded.remove(r);
        }
        self
    }

    /// A label with a fixed value on every series (e.g. `service`). Defaults to none.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.const_labels.insert(name.into(), value.into());
        self
    }

    /// A prefix for the family names (`<prefix>_http_server_requests_total`). Defaults to none.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.settings.prefix = Some(prefix.into());
        self
    }

    /// Most (method, route, status) label sets kept; more fold into the `<overflow>` series.
    /// Defaults to the registry's budget.
    pub fn series_budget(mut self, budget: usize) -> Self {
        self.settings.series_budget = Some(budget);
        self
    }

    /// Registers the families and builds the middleware.
    ///
    /// # Errors
    /// [`vitals::Error`] for a bad prefix, const label, bucket list, or when the families already
    /// exist in the registry.
    pub fn build(self) -> Result<RequestMetrics, vitals::Error> {
        let Self { metrics, settings } = self;
        RequestMetrics::new(&metrics, &settings)
    }
}

impl RequestMetrics {
    /// Registers the families into `metrics` and builds the middleware from `settings`.
    ///
    /// # Errors
    /// [`vitals::Error`] for a bad prefix, const label, bucket list, or when the families already
    /// exist in the registry.
    pub fn new(
        metrics: &PrometheusRecorder,
        settings: &RequestMetricsSettings,
    ) -> Result<RequestMetrics, vitals::Error> {
        let name = |base: &str| match &settings.prefix {
            Some(p) => format!("{p}_{base}"),
            None => base.to_owned(),
        };
        let requests_name = name("http_server_requests_total");
        let duration_name = name("http_server_request_duration_seconds");
        validate_metric_name(&requests_name, true)?;
        validate_metric_name(&duration_name, false)?;
        for label in settings.const_labels.keys() {
            validate_label_name(label)?;
        }
        let labels = ["method", "route", "status"];
        let requests = metrics.counter_vec_with(
            Opts::new(
                &requests_name,
                "HTTP requests served, by method, route template and status.",
            )
            .const_labels(settings.const_labels.clone()),
            &labels,
        )?;
        let duration = metrics.histogram_vec_with(
            HistogramOpts::new(
                &duration_name,
                "HTTP request duration from request start to the response being ready, or to the end of a streamed body.",
            )
            .const_labels(settings.const_labels.clone())
            .buckets(settings.buckets.clone()),
            &labels,
        )?;
        Ok(RequestMetrics {
            shared: Arc::new(Shared {
                duration: duration.raw().clone(),
                requests: requests.raw().clone(),
                budget: metrics.series_budget(
                    &requests_name,
                    settings
                        .series_budget
                        .unwrap_or_else(|| metrics.default_series_budget()),
                ),
                excluded: settings.excluded.clone(),
                http_5xx: metrics.errors(ErrorKind::Http5xx),
                handler_errors: metrics.errors(ErrorKind::HandlerError),
                client_errors: metrics.errors(ErrorKind::ClientError),
                panics: metrics.errors(ErrorKind::Panic),
            }),
        })
    }
}
