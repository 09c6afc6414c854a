use super::collect::{Collect, CollectedFamily};
use super::errors::ErrorKind;
use super::instruments::{Counter, CounterFamily, Gauge, GaugeFamily, Histogram, HistogramFamily};
use super::naming::{Kind, check_name, validate_label_name};
use super::recorder::{Description, NoopRecorder, Recorder, SampleFn};
use crate::Error;
use futures_util::FutureExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What a module author registers metrics through: names are checked here (lower snake case,
/// `_total` on counters and only on counters, no reserved names or labels) and a refused name is
/// an [`Error`], never a panic; the kernel's recorder (one registry per kernel) keeps the
/// instruments, refuses duplicates and gives every labelled family a cardinality budget.
/// Cloning is cheap and shares everything.
///
/// ```
/// let metrics = vitals::Metrics::noop(); // a kernel hands modules its own
/// let jobs = metrics.counter_vec("jobs_total", "Jobs by outcome.", &["outcome"]).unwrap();
/// jobs.with_label_values(&["ok"]).inc();
/// assert!(metrics.gauge("jobs_total", "not a counter").is_err());
/// ```
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<dyn Recorder>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn describe(
    name: &str,
    help: &str,
    kind: Kind,
    labels: &[&str],
    buckets: Option<Vec<f64>>,
) -> Result<Description, Error> {
    check_name(name, kind)?;
    for label in labels {
        validate_label_name(label)?;
    }
    Ok(Description {
        name: name.to_owned(),
        help: help.to_owned(),
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        buckets,
    })
}

impl Metrics {
    /// Metrics registered through `recorder` (the kernel's).
    pub fn from_recorder(recorder: Arc<dyn Recorder>) -> Self {
        Self { recorder }
    }

    /// Metrics that keep nothing ([`NoopRecorder`]): for examples and tests that do not judge
    /// the values.
    pub fn noop() -> Self {
        Self::from_recorder(Arc::new(NoopRecorder))
    }

    /// Registers a counter; the name must end in `_total`.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn counter(&self, name: &str, help: &str) -> Result<Counter, Error> {
        self.recorder
            .counter(&describe(name, help, Kind::Counter, &[], None)?)
    }

    /// Registers a labelled counter with a cardinality budget.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn counter_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<CounterFamily, Error> {
        self.recorder
            .counter_family(&describe(name, help, Kind::Counter, labels, None)?)
    }

    /// Registers a gauge.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn gauge(&self, name: &str, help: &str) -> Result<Gauge, Error> {
        self.recorder
            .gauge(&describe(name, help, Kind::Gauge, &[], None)?)
    }

    /// Registers a labelled gauge with a cardinality budget.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> Result<GaugeFamily, Error> {
        self.recorder
            .gauge_family(&describe(name, help, Kind::Gauge, labels, None)?)
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
        self.recorder
            .histogram(&describe(name, help, Kind::Histogram, &[], buckets)?)
    }

    /// Registers a labelled histogram with a cardinality budget.
    ///
    /// ```
    /// let m = vitals::Metrics::noop();
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
    ) -> Result<HistogramFamily, Error> {
        self.recorder
            .histogram_family(&describe(name, help, Kind::Histogram, labels, buckets)?)
    }

    /// Registers a gauge whose value the kernel samples from `f` every `interval`. Each sample
    /// is isolated like a health check: a failing, panicking or late (longer than `interval`)
    /// sample keeps the previous value and counts in `vitals_collector_errors_total`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = vitals::Metrics::noop();
    /// let lag = m.sampled_gauge("queue_lag_seconds", "Queue lag.", Duration::from_secs(10),
    ///     || async { Ok::<_, std::io::Error>(4.5) }).unwrap();
    /// # let _ = lag;
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`]; a zero interval is refused as
    /// [`Error::Metric`].
    pub fn sampled_gauge<F, Fut, E>(
        &self,
        name: &str,
        help: &str,
        interval: Duration,
        f: F,
    ) -> Result<Gauge, Error>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<f64, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        if interval.is_zero() {
            return Err(Error::Metric {
                name: name.to_owned(),
                reason: "sampling interval must be greater than zero".into(),
            });
        }
        let f: SampleFn = Arc::new(move || {
            let fut = f();
            async move { fut.await.map_err(|e| e.to_string()) }.boxed()
        });
        self.recorder
            .sampled_gauge(&describe(name, help, Kind::Gauge, &[], None)?, interval, f)
    }

    /// Adds a collect-time collector, run when `/metrics` is scraped.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when a collector of the same name exists.
    pub fn add_collector(&self, collector: impl Collect) -> Result<(), Error> {
        self.recorder.add_collector(Arc::new(collector))
    }

    /// `families` in the Prometheus text format 0.0.4, written by the kernel's `/metrics`
    /// encoder: for a module that pushes them elsewhere (a Pushgateway). Empty families are
    /// left out.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`] or [`Error::Metric`] for a family the exposition refuses;
    /// [`Error::Metric`] from [`Metrics::noop`], which writes no text.
    pub fn encode_text(&self, families: &[CollectedFamily]) -> Result<String, Error> {
        for f in families {
            super::collect::validate_family(f)?;
        }
        self.recorder.encode_text(families)
    }

    /// Counts one error of a bounded kind in `vitals_errors_total{type}`.
    pub fn record_error(&self, kind: ErrorKind) {
        self.recorder.error_counter(kind).inc();
    }

    /// The `vitals_errors_total` series for one kind (to keep on a hot path).
    pub fn error_counter(&self, kind: ErrorKind) -> Counter {
        self.recorder.error_counter(kind)
    }
}
