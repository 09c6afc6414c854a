//! The kernel's recorder: one Prometheus [`Registry`] per kernel behind the `vitals::Metrics`
//! facade, with the series budgets, the error families, and the lists of samplers and collectors.
mod budget;
mod family;
mod instruments;
mod sampler;

pub use budget::SeriesBudget;
pub use family::BudgetedVec;
pub use sampler::Sampler;

use instruments::{PromCounter, PromGauge, PromHistogram};
use prometheus::core::Collector;
use prometheus::{
    Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts,
    Registry,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vitals::metrics::{
    Collect, CollectedFamily, Counter, DEFAULT_SERIES_BUDGET, Description, ErrorKind, Family,
    Recorder, SampleFn,
};
use vitals::{Error, Metrics};

/// The kernel's metrics recorder. It always holds three families of its own:
/// `vitals_errors_total{type}`, `vitals_series_overflow_total{family}` and
/// `vitals_collector_errors_total{collector}`. Cloning is cheap and shares everything.
///
/// ```
/// let recorder = vitals_prometheus::PrometheusRecorder::new();
/// let metrics = recorder.metrics(); // what modules register through
/// let jobs = metrics.counter_vec("jobs_total", "Jobs by outcome.", &["outcome"]).unwrap();
/// jobs.with_label_values(&["ok"]).inc();
/// assert!(metrics.counter_vec("jobs_total", "again", &["outcome"]).is_err());
/// assert!(recorder.registry().gather().iter().any(|f| f.name() == "jobs_total"));
/// ```
#[derive(Clone)]
pub struct PrometheusRecorder {
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
}

impl std::fmt::Debug for PrometheusRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusRecorder")
            .field("series_budget", &self.inner.budget)
            .finish_non_exhaustive()
    }
}

impl Default for PrometheusRecorder {
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

fn rejected(name: &str, source: prometheus::Error) -> Error {
    match source {
        prometheus::Error::AlreadyReg => Error::DuplicateMetric {
            name: name.to_owned(),
        },
        source => Error::Metric {
            name: name.to_owned(),
            reason: source.to_string(),
        },
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PrometheusRecorder {
    /// A fresh registry with the default series budget ([`DEFAULT_SERIES_BUDGET`] per family).
    pub fn new() -> Self {
        Self::with_series_budget(DEFAULT_SERIES_BUDGET)
    }

    /// A fresh registry whose labelled families admit at most `budget` label sets each.
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
            }),
        }
    }

    /// The facade that modules register through.
    pub fn metrics(&self) -> Metrics {
        Metrics::from_recorder(Arc::new(self.clone()))
    }

    /// The underlying registry, for gathering.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The number of label sets each labelled family admits before its overflow series.
    pub fn default_series_budget(&self) -> usize {
        self.inner.budget
    }

    /// The `vitals_errors_total` series for one kind (to keep on a hot path).
    pub fn errors(&self, kind: ErrorKind) -> IntCounter {
        self.inner.errors.with_label_values(&[kind.as_str()])
    }

    /// The `vitals_collector_errors_total` series for one collector or sampler.
    pub fn collector_errors(&self, collector: &str) -> IntCounter {
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

    /// Registers any collector (for families the helpers do not cover). Names are not checked.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when a family of the same name exists.
    pub fn register_collector(&self, collector: Box<dyn Collector>) -> Result<(), Error> {
        let name = collector
            .desc()
            .first()
            .map(|d| d.fq_name.clone())
            .unwrap_or_default();
        self.inner
            .registry
            .register(collector)
            .map_err(|e| rejected(&name, e))
    }

    fn register<C: Collector + Clone + 'static>(
        &self,
        name: &str,
        make: impl FnOnce() -> prometheus::Result<C>,
    ) -> Result<C, Error> {
        let metric = make().map_err(|e| rejected(name, e))?;
        self.register_collector(Box::new(metric.clone()))?;
        Ok(metric)
    }

    /// Registers a budgeted counter family from full options (const labels).
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`], [`Error::Metric`].
    pub fn counter_vec_with(
        &self,
        opts: Opts,
        labels: &[&str],
    ) -> Result<BudgetedVec<IntCounterVec>, Error> {
        let name = opts.fq_name();
        let vec = self.register(&name, || IntCounterVec::new(opts, labels))?;
        Ok(self.budgeted(&name, vec, labels.len()))
    }

    /// Registers a budgeted histogram family from full options (const labels, buckets).
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`], [`Error::Metric`] for bad buckets.
    pub fn histogram_vec_with(
        &self,
        opts: HistogramOpts,
        labels: &[&str],
    ) -> Result<BudgetedVec<HistogramVec>, Error> {
        let name = opts.common_opts.fq_name();
        let vec = self.register(&name, || HistogramVec::new(opts, labels))?;
        Ok(self.budgeted(&name, vec, labels.len()))
    }

    fn budgeted<B: prometheus::core::MetricVecBuilder>(
        &self,
        name: &str,
        vec: prometheus::core::MetricVec<B>,
        labels: usize,
    ) -> BudgetedVec<prometheus::core::MetricVec<B>> {
        BudgetedVec::new(vec, self.series_budget(name, self.inner.budget), labels)
    }

    /// The sampled gauges declared so far (the kernel runs them).
    pub fn samplers(&self) -> Vec<Arc<Sampler>> {
        lock(&self.inner.samplers).clone()
    }

    /// The collect-time collectors added so far.
    pub fn collectors(&self) -> Vec<Arc<dyn Collect>> {
        lock(&self.inner.collectors).clone()
    }
}

fn opts(d: &Description) -> Opts {
    Opts::new(d.name.clone(), d.help.clone())
}

fn hist_opts(d: &Description) -> HistogramOpts {
    let opts = HistogramOpts::new(d.name.clone(), d.help.clone());
    match &d.buckets {
        Some(b) => opts.buckets(b.clone()),
        None => opts,
    }
}

fn labels(d: &Description) -> Vec<&str> {
    d.labels.iter().map(String::as_str).collect()
}

impl Recorder for PrometheusRecorder {
    fn counter(&self, d: &Description) -> Result<Counter, Error> {
        let c = self.register(&d.name, || IntCounter::with_opts(opts(d)))?;
        Ok(Counter::from_fn(Arc::new(PromCounter(c))))
    }

    fn counter_family(&self, d: &Description) -> Result<Family<Counter>, Error> {
        let vec = self.counter_vec_with(opts(d), &labels(d))?;
        Ok(Family::from_fn(Arc::new(vec)))
    }

    fn gauge(&self, d: &Description) -> Result<vitals::metrics::Gauge, Error> {
        let g = self.register(&d.name, || Gauge::with_opts(opts(d)))?;
        Ok(vitals::metrics::Gauge::from_fn(Arc::new(PromGauge(g))))
    }

    fn gauge_family(&self, d: &Description) -> Result<Family<vitals::metrics::Gauge>, Error> {
        let vec = self.register(&d.name, || GaugeVec::new(opts(d), &labels(d)))?;
        Ok(Family::from_fn(Arc::new(self.budgeted(
            &d.name,
            vec,
            d.labels.len(),
        ))))
    }

    fn histogram(&self, d: &Description) -> Result<vitals::metrics::Histogram, Error> {
        let h = self.register(&d.name, || Histogram::with_opts(hist_opts(d)))?;
        Ok(vitals::metrics::Histogram::from_fn(Arc::new(
            PromHistogram(h),
        )))
    }

    fn histogram_family(
        &self,
        d: &Description,
    ) -> Result<Family<vitals::metrics::Histogram>, Error> {
        let vec = self.histogram_vec_with(hist_opts(d), &labels(d))?;
        Ok(Family::from_fn(Arc::new(vec)))
    }

    fn sampled_gauge(
        &self,
        d: &Description,
        interval: Duration,
        f: SampleFn,
    ) -> Result<vitals::metrics::Gauge, Error> {
        let gauge = self.register(&d.name, || Gauge::with_opts(opts(d)))?;
        let sampler = Sampler::new(
            &d.name,
            interval,
            gauge.clone(),
            [
                self.collector_errors(&d.name),
                self.errors(ErrorKind::Collector),
            ],
            f,
        );
        lock(&self.inner.samplers).push(Arc::new(sampler));
        Ok(vitals::metrics::Gauge::from_fn(Arc::new(PromGauge(gauge))))
    }

    fn add_collector(&self, collector: Arc<dyn Collect>) -> Result<(), Error> {
        let mut list = lock(&self.inner.collectors);
        if list.iter().any(|c| c.name() == collector.name()) {
            return Err(Error::DuplicateMetric {
                name: collector.name().to_owned(),
            });
        }
        self.inner
            .collector_errors
            .with_label_values(&[collector.name()]);
        list.push(collector);
        Ok(())
    }

    fn error_counter(&self, kind: ErrorKind) -> Counter {
        Counter::from_fn(Arc::new(PromCounter(self.errors(kind))))
    }

    fn encode_text(&self, families: &[CollectedFamily]) -> Result<String, Error> {
        let refused = |name: &str, reason: String| Error::Metric {
            name: name.to_owned(),
            reason,
        };
        let mut converted = Vec::with_capacity(families.len());
        for f in families {
            // A push carries every series it is given: the budget guards the scrape's registry,
            // and folding a push's series would send a sum of unrelated values.
            let budget = self.series_budget(&f.name, usize::MAX);
            converted.extend(
                crate::collect_slots::convert(f, &budget).map_err(|e| refused(&f.name, e))?,
            );
        }
        crate::encode::sort_series(&mut converted);
        let text = crate::encode::encode_text(&converted, false)
            .map_err(|e| refused(&converted_names(&converted), e.to_string()))?;
        String::from_utf8(text).map_err(|e| refused("", e.to_string()))
    }
}

#[cfg(test)]
mod tests;

/// The families' names, for an error that cannot tell which one failed.
fn converted_names(families: &[prometheus::proto::MetricFamily]) -> String {
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    names.join(",")
}
