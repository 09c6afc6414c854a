use super::naming::{Kind, check_name, validate_label_name};
use crate::Error;
use prometheus::core::Collector;
use prometheus::{Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter};
use prometheus::{IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// The kernel's metrics: one Prometheus [`Registry`] per kernel (never the process-global one), with
/// registration helpers that check names and refuse duplicates with an [`Error`] instead of a panic.
///
/// Cloning is cheap and shares the registry.
///
/// ```
/// let metrics = vitals::Metrics::new();
/// let jobs = metrics.counter_vec("jobs_total", "Jobs by outcome.", &["outcome"]).unwrap();
/// jobs.with_label_values(&["ok"]).inc();
/// assert!(metrics.counter_vec("jobs_total", "again", &["outcome"]).is_err());
/// assert!(metrics.gauge("jobs_total", "not a counter").is_err());
/// ```
#[derive(Clone, Default)]
pub struct Metrics {
    registry: Registry,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A fresh, empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps an existing registry.
    ///
    /// ```
    /// let m = vitals::Metrics::from_registry(prometheus::Registry::new());
    /// assert!(m.registry().gather().is_empty());
    /// ```
    pub fn from_registry(registry: Registry) -> Self {
        Self { registry }
    }

    /// The underlying registry, for gathering.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Registers any collector (for metrics the helpers do not cover). Names are not checked here.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when a family of the same name exists.
    pub fn register_collector(&self, collector: Box<dyn Collector>) -> Result<(), Error> {
        let name = collector
            .desc()
            .first()
            .map(|d| d.fq_name.clone())
            .unwrap_or_default();
        self.add(&name, collector)
    }

    fn add(&self, name: &str, collector: Box<dyn Collector>) -> Result<(), Error> {
        self.registry.register(collector).map_err(|e| match e {
            prometheus::Error::AlreadyReg => Error::DuplicateMetric {
                name: name.to_owned(),
            },
            source => Error::Metric {
                name: name.to_owned(),
                source,
            },
        })
    }

    fn register<C: Collector + Clone + 'static>(
        &self,
        name: &str,
        kind: Kind,
        labels: &[&str],
        make: impl FnOnce() -> prometheus::Result<C>,
    ) -> Result<C, Error> {
        check_name(name, kind)?;
        for label in labels {
            validate_label_name(label)?;
        }
        let metric = make().map_err(|source| Error::Metric {
            name: name.to_owned(),
            source,
        })?;
        self.add(name, Box::new(metric.clone()))?;
        Ok(metric)
    }

    /// Registers a counter; the name must end in `_total`.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn counter(&self, name: &str, help: &str) -> Result<IntCounter, Error> {
        self.register(name, Kind::Counter, &[], || {
            IntCounter::with_opts(Opts::new(name, help))
        })
    }

    /// Registers a labelled counter.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn counter_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<IntCounterVec, Error> {
        self.register(name, Kind::Counter, labels, || {
            IntCounterVec::new(Opts::new(name, help), labels)
        })
    }

    /// Registers a floating-point gauge.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn gauge(&self, name: &str, help: &str) -> Result<Gauge, Error> {
        self.register(name, Kind::Gauge, &[], || {
            Gauge::with_opts(Opts::new(name, help))
        })
    }

    /// Registers a labelled floating-point gauge.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> Result<GaugeVec, Error> {
        self.register(name, Kind::Gauge, labels, || {
            GaugeVec::new(Opts::new(name, help), labels)
        })
    }

    /// Registers an integer gauge.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn int_gauge(&self, name: &str, help: &str) -> Result<IntGauge, Error> {
        self.register(name, Kind::Gauge, &[], || {
            IntGauge::with_opts(Opts::new(name, help))
        })
    }

    /// Registers a labelled integer gauge.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn int_gauge_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<IntGaugeVec, Error> {
        self.register(name, Kind::Gauge, labels, || {
            IntGaugeVec::new(Opts::new(name, help), labels)
        })
    }

    /// Registers a histogram; `buckets` of `None` uses Prometheus' defaults (5 ms to 10 s).
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`], [`Error::Metric`] for bad buckets.
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        buckets: Option<Vec<f64>>,
    ) -> Result<Histogram, Error> {
        self.register(name, Kind::Histogram, &[], || {
            Histogram::with_opts(hist_opts(name, help, buckets))
        })
    }

    /// Registers a labelled histogram.
    ///
    /// ```
    /// let m = vitals::Metrics::new();
    /// let h = m.histogram_vec("job_duration_seconds", "Job time.", &["kind"], Some(vec![0.1, 1.0])).unwrap();
    /// h.with_label_values(&["email"]).observe(0.3);
    /// assert!(m.histogram_vec("x_seconds", "bad", &["le"], None).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`], [`Error::Metric`] for bad buckets.
    pub fn histogram_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: Option<Vec<f64>>,
    ) -> Result<HistogramVec, Error> {
        self.register(name, Kind::Histogram, labels, || {
            HistogramVec::new(hist_opts(name, help, buckets), labels)
        })
    }
}

fn hist_opts(name: &str, help: &str, buckets: Option<Vec<f64>>) -> HistogramOpts {
    let opts = HistogramOpts::new(name, help);
    match buckets {
        Some(b) => opts.buckets(b),
        None => opts,
    }
}
