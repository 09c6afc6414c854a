use super::aggregate::SqlAggregate;
use super::budget::{DEFAULT_SERIES_BUDGET, SeriesBudget};
use super::collect::{Collect, CollectedFamily, CollectedKind};
use super::errors::ErrorKind;
use super::family::{CounterFamily, Family, GaugeFamily, HistogramFamily, IntGaugeFamily};
use super::naming::{Kind, check_name, validate_label_name};
use super::sampled::Sampler;
use crate::Error;
use prometheus::core::Collector;
use prometheus::{Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter};
use prometheus::{IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The kernel's metrics: one Prometheus [`Registry`] per kernel (never the process-global one), with
/// registration helpers that check names, refuse duplicates with an [`Error`] instead of a panic,
/// and give every labelled family a cardinality budget.
///
/// It always holds three families of its own: `vitals_errors_total{type}`,
/// `vitals_series_overflow_total{family}` and `vitals_collector_errors_total{collector}`.
/// Cloning is cheap and shares everything.
///
/// ```
/// let metrics = vitals::Metrics::new();
/// let jobs = metrics.counter_vec("jobs_total", "Jobs by outcome.", &["outcome"]).unwrap();
/// jobs.with_label_values(&["ok"]).inc();
/// assert!(metrics.counter_vec("jobs_total", "again", &["outcome"]).is_err());
/// assert!(metrics.gauge("jobs_total", "not a counter").is_err());
/// ```
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    budget: usize,
    overflow: IntCounterVec,
    errors: IntCounterVec,
    collector_errors: IntCounterVec,
    samplers: Mutex<Vec<Arc<Sampler>>>,
    collectors: Mutex<Vec<Arc<dyn Collect>>>,
    aggregates: Mutex<Vec<SqlAggregate>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("series_budget", &self.inner.budget)
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn builtin(registry: &Registry, name: &str, help: &str, label: &str) -> IntCounterVec {
    let vec = IntCounterVec::new(Opts::new(name, help), &[label]).expect("valid built-in metric");
    registry
        .register(Box::new(vec.clone()))
        .expect("fresh registry");
    vec
}

impl Metrics {
    /// A fresh registry with the default series budget ([`DEFAULT_SERIES_BUDGET`] per family).
    pub fn new() -> Self {
        Self::with_series_budget(DEFAULT_SERIES_BUDGET)
    }

    /// A fresh registry whose labelled families admit at most `budget` label sets each.
    ///
    /// ```
    /// let m = vitals::Metrics::with_series_budget(1);
    /// let c = m.counter_vec("hits_total", "Hits.", &["user"]).unwrap();
    /// c.with_label_values(&["alice"]).inc();
    /// c.with_label_values(&["bob"]).inc(); // over budget
    /// assert_eq!(c.overflow_series().get(), 1);
    /// ```
    pub fn with_series_budget(budget: usize) -> Self {
        let registry = Registry::new();
        let errors = builtin(&registry, "vitals_errors_total", "Errors by type.", "type");
        for kind in ErrorKind::ALL {
            errors.with_label_values(&[kind.as_str()]);
        }
        let overflow = builtin(
            &registry,
            "vitals_series_overflow_total",
            "Observations folded into a family's overflow series because its label sets exceeded the budget.",
            "family",
        );
        let collector_errors = builtin(
            &registry,
            "vitals_collector_errors_total",
            "Failed or timed-out runs of collect-time collectors and sampled gauges.",
            "collector",
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                budget,
                overflow,
                errors,
                collector_errors,
                samplers: Mutex::default(),
                collectors: Mutex::default(),
                aggregates: Mutex::default(),
            }),
        }
    }

    /// The number of label sets each labelled family admits before its overflow series.
    pub fn default_series_budget(&self) -> usize {
        self.inner.budget
    }

    /// The underlying registry, for gathering.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Counts one error of a bounded kind in `vitals_errors_total{type}`.
    pub fn record_error(&self, kind: ErrorKind) {
        self.inner.errors.with_label_values(&[kind.as_str()]).inc();
    }

    /// The `vitals_errors_total` series for one kind (to keep on a hot path).
    pub fn error_counter(&self, kind: ErrorKind) -> IntCounter {
        self.inner.errors.with_label_values(&[kind.as_str()])
    }

    /// The `vitals_collector_errors_total` series for one collector or sampler.
    pub fn collector_error_counter(&self, collector: &str) -> IntCounter {
        self.inner.collector_errors.with_label_values(&[collector])
    }

    /// A cardinality budget of `limit` label sets for `family`, counting overflows in
    /// `vitals_series_overflow_total{family}`.
    pub fn series_budget(&self, family: &str, limit: usize) -> Arc<SeriesBudget> {
        Arc::new(SeriesBudget::new(
            limit,
            self.inner.overflow.with_label_values(&[family]),
        ))
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
        self.inner
            .registry
            .register(collector)
            .map_err(|e| match e {
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

    fn family<B: prometheus::core::MetricVecBuilder>(
        &self,
        name: &str,
        vec: prometheus::core::MetricVec<B>,
        labels: usize,
    ) -> Family<prometheus::core::MetricVec<B>> {
        Family::new(vec, self.series_budget(name, self.inner.budget), labels)
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
        let vec = self.register(name, Kind::Counter, labels, || {
            IntCounterVec::new(Opts::new(name, help), labels)
        })?;
        Ok(self.family(name, vec, labels.len()))
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

    /// Registers a labelled floating-point gauge with a cardinality budget.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> Result<GaugeFamily, Error> {
        let vec = self.register(name, Kind::Gauge, labels, || {
            GaugeVec::new(Opts::new(name, help), labels)
        })?;
        Ok(self.family(name, vec, labels.len()))
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

    /// Registers a labelled integer gauge with a cardinality budget.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn int_gauge_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<IntGaugeFamily, Error> {
        let vec = self.register(name, Kind::Gauge, labels, || {
            IntGaugeVec::new(Opts::new(name, help), labels)
        })?;
        Ok(self.family(name, vec, labels.len()))
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

    /// Registers a labelled histogram with a cardinality budget.
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
    ) -> Result<HistogramFamily, Error> {
        self.histogram_vec_with(hist_opts(name, help, buckets), labels)
    }

    /// Registers a labelled histogram from full options (const labels, buckets).
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`], [`Error::Metric`] for bad buckets.
    pub fn histogram_vec_with(
        &self,
        opts: HistogramOpts,
        labels: &[&str],
    ) -> Result<HistogramFamily, Error> {
        let name = opts.common_opts.fq_name();
        let vec = self.register(&name, Kind::Histogram, labels, || {
            HistogramVec::new(opts, labels)
        })?;
        Ok(self.family(&name, vec, labels.len()))
    }

    /// Registers a labelled counter from full options (const labels).
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`], [`Error::DuplicateMetric`].
    pub fn counter_vec_with(&self, opts: Opts, labels: &[&str]) -> Result<CounterFamily, Error> {
        let name = opts.fq_name();
        let vec = self.register(&name, Kind::Counter, labels, || {
            IntCounterVec::new(opts, labels)
        })?;
        Ok(self.family(&name, vec, labels.len()))
    }

    /// Registers a gauge whose value is sampled from `f` every `interval` by the kernel.
    /// A failing, panicking or late (longer than `interval`) sample keeps the previous value and
    /// counts in `vitals_collector_errors_total`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// let m = vitals::Metrics::new();
    /// let lag = m.sampled_gauge("queue_lag_seconds", "Queue lag.", Duration::from_secs(10),
    ///     || async { Ok::<_, std::io::Error>(4.5) }).unwrap();
    /// m.samplers()[0].sample_once().await.unwrap();
    /// assert_eq!(lag.get(), 4.5);
    /// # }
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
                source: prometheus::Error::Msg(
                    "sampling interval must be greater than zero".into(),
                ),
            });
        }
        let gauge = self.gauge(name, help)?;
        let sampler = Sampler::new(
            name,
            interval,
            gauge.clone(),
            [
                self.collector_error_counter(name),
                self.error_counter(ErrorKind::Collector),
            ],
            f,
        );
        self.inner
            .samplers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(sampler));
        Ok(gauge)
    }

    /// The sampled gauges declared so far (the kernel runs them).
    pub fn samplers(&self) -> Vec<Arc<Sampler>> {
        self.inner
            .samplers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Adds a collect-time collector, run when `/metrics` is scraped.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when a collector of the same name exists.
    pub fn add_collector(&self, collector: impl Collect) -> Result<(), Error> {
        let mut list = self
            .inner
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|c| c.name() == collector.name()) {
            return Err(Error::DuplicateMetric {
                name: collector.name().to_owned(),
            });
        }
        self.inner
            .collector_errors
            .with_label_values(&[collector.name()]);
        list.push(Arc::new(collector));
        Ok(())
    }

    /// Declares a SQL aggregate for the database module to compute and export.
    ///
    /// ```
    /// let m = vitals::Metrics::new();
    /// let a = vitals::metrics::SqlAggregate::new("users", "Users.", "SELECT count(*) AS value FROM users");
    /// m.declare_sql_aggregate(a.clone()).unwrap();
    /// assert!(m.declare_sql_aggregate(a).is_err()); // same name twice
    /// assert_eq!(m.sql_aggregates().len(), 1);
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidAggregate`] for a bad declaration or a name declared twice.
    pub fn declare_sql_aggregate(&self, aggregate: SqlAggregate) -> Result<(), Error> {
        aggregate.validate()?;
        let mut list = self
            .inner
            .aggregates
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|a| a.name == aggregate.name) {
            return Err(Error::InvalidAggregate {
                name: aggregate.name,
                reason: "declared twice".into(),
            });
        }
        list.push(aggregate);
        Ok(())
    }

    /// The SQL aggregates declared so far.
    pub fn sql_aggregates(&self) -> Vec<SqlAggregate> {
        self.inner
            .aggregates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The collect-time collectors added so far.
    pub fn collectors(&self) -> Vec<Arc<dyn Collect>> {
        self.inner
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Checks a collected family's name, label names and sample arity.
///
/// # Errors
/// [`Error::InvalidMetricName`] naming the family or label.
pub fn validate_family(family: &CollectedFamily) -> Result<(), Error> {
    let kind = match family.kind {
        CollectedKind::Gauge => Kind::Gauge,
        CollectedKind::Counter => Kind::Counter,
    };
    check_name(&family.name, kind)?;
    for label in &family.label_names {
        validate_label_name(label)?;
    }
    if family
        .samples
        .iter()
        .any(|(values, _)| values.len() != family.label_names.len())
    {
        return Err(Error::InvalidMetricName {
            name: family.name.clone(),
            reason: "a sample's label values do not match the family's label names",
        });
    }
    Ok(())
}

fn hist_opts(name: &str, help: &str, buckets: Option<Vec<f64>>) -> HistogramOpts {
    let opts = HistogramOpts::new(name, help);
    match buckets {
        Some(b) => opts.buckets(b),
        None => opts,
    }
}
