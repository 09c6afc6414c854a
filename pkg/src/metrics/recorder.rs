use super::collect::{Collect, CollectedFamily};
use super::errors::ErrorKind;
use super::instruments::{
    Counter, CounterFn, Family, FamilyFn, Gauge, GaugeFn, Histogram, HistogramFn,
};
use crate::Error;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// A metric family to register: checked against the naming rules by [`Metrics`](crate::Metrics)
/// before it reaches a [`Recorder`].
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Family name.
    pub name: String,
    /// Help text.
    pub help: String,
    /// Label names, in order (empty for a single series).
    pub labels: Vec<String>,
    /// Histogram buckets (`None`: the recorder's defaults).
    pub buckets: Option<Vec<f64>>,
}

/// A sampled gauge's closure, boxed for the recorder.
pub type SampleFn = Arc<dyn Fn() -> BoxFuture<'static, Result<f64, String>> + Send + Sync>;

/// Where [`Metrics`](crate::Metrics) registers instruments: the kernel's recorder (one registry
/// per kernel) implements it; module authors never do, except with [`NoopRecorder`] in tests.
pub trait Recorder: Send + Sync + 'static {
    /// Registers a counter.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`], [`Error::Metric`].
    fn counter(&self, d: &Description) -> Result<Counter, Error>;
    /// Registers a labelled counter family.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    fn counter_family(&self, d: &Description) -> Result<Family<Counter>, Error>;
    /// Registers a gauge.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    fn gauge(&self, d: &Description) -> Result<Gauge, Error>;
    /// Registers a labelled gauge family.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    fn gauge_family(&self, d: &Description) -> Result<Family<Gauge>, Error>;
    /// Registers a histogram.
    ///
    /// # Errors
    /// As [`counter`](Self::counter), and for bad buckets.
    fn histogram(&self, d: &Description) -> Result<Histogram, Error>;
    /// Registers a labelled histogram family.
    ///
    /// # Errors
    /// As [`histogram`](Self::histogram).
    fn histogram_family(&self, d: &Description) -> Result<Family<Histogram>, Error>;
    /// Registers a gauge whose value the kernel samples from `f` every `interval`.
    ///
    /// # Errors
    /// As [`gauge`](Self::gauge).
    fn sampled_gauge(
        &self,
        d: &Description,
        interval: Duration,
        f: SampleFn,
    ) -> Result<Gauge, Error>;
    /// Adds a collect-time collector.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when a collector of the same name exists.
    fn add_collector(&self, collector: Arc<dyn Collect>) -> Result<(), Error>;
    /// The `vitals_errors_total{type}` series of `kind`.
    fn error_counter(&self, kind: ErrorKind) -> Counter;
    /// `families` in the Prometheus text format 0.0.4, written by the same encoder as `/metrics`
    /// (empty families left out, every series kept: a push has no series budget). Defaults to
    /// an error: a recorder that keeps nothing writes no text.
    ///
    /// # Errors
    /// [`Error::Metric`] for a family the exposition refuses, or from a recorder that writes no
    /// text.
    fn encode_text(&self, families: &[CollectedFamily]) -> Result<String, Error> {
        Err(Error::Metric {
            name: families.first().map(|f| f.name.clone()).unwrap_or_default(),
            reason: "this recorder writes no text (a kernel's recorder does)".into(),
        })
    }
}

/// A recorder that keeps nothing: every instrument reads 0. For examples and for tests of code
/// that registers metrics but is not judged on them.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopRecorder;

struct Nothing;

impl CounterFn for Nothing {
    fn inc_by(&self, _: u64) {}
    fn get(&self) -> u64 {
        0
    }
}

impl GaugeFn for Nothing {
    fn set(&self, _: f64) {}
    fn add(&self, _: f64) {}
    fn get(&self) -> f64 {
        0.0
    }
}

impl HistogramFn for Nothing {
    fn observe(&self, _: f64) {}
}

impl FamilyFn<Counter> for Nothing {
    fn with_label_values(&self, _: &[&str]) -> Counter {
        Counter::from_fn(Arc::new(Nothing))
    }
}

impl FamilyFn<Gauge> for Nothing {
    fn with_label_values(&self, _: &[&str]) -> Gauge {
        Gauge::from_fn(Arc::new(Nothing))
    }
}

impl FamilyFn<Histogram> for Nothing {
    fn with_label_values(&self, _: &[&str]) -> Histogram {
        Histogram::from_fn(Arc::new(Nothing))
    }
}

impl Recorder for NoopRecorder {
    fn counter(&self, _: &Description) -> Result<Counter, Error> {
        Ok(Counter::from_fn(Arc::new(Nothing)))
    }
    fn counter_family(&self, _: &Description) -> Result<Family<Counter>, Error> {
        Ok(Family::from_fn(Arc::new(Nothing)))
    }
    fn gauge(&self, _: &Description) -> Result<Gauge, Error> {
        Ok(Gauge::from_fn(Arc::new(Nothing)))
    }
    fn gauge_family(&self, _: &Description) -> Result<Family<Gauge>, Error> {
        Ok(Family::from_fn(Arc::new(Nothing)))
    }
    fn histogram(&self, _: &Description) -> Result<Histogram, Error> {
        Ok(Histogram::from_fn(Arc::new(Nothing)))
    }
    fn histogram_family(&self, _: &Description) -> Result<Family<Histogram>, Error> {
        Ok(Family::from_fn(Arc::new(Nothing)))
    }
    fn sampled_gauge(&self, d: &Description, _: Duration, _: SampleFn) -> Result<Gauge, Error> {
        self.gauge(d)
    }
    fn add_collector(&self, _: Arc<dyn Collect>) -> Result<(), Error> {
        Ok(())
    }
    fn error_counter(&self, _: ErrorKind) -> Counter {
        Counter::from_fn(Arc::new(Nothing))
    }
}
