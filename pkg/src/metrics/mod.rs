//! Metric helpers for modules: [`Metrics`] registers counters, gauges, histograms, budgeted
//! labelled families, sampled gauges and collect-time collectors through the kernel's recorder.
mod collect;
mod errors;
mod facade;
mod instruments;
mod jobs;
mod naming;
mod recorder;

pub use collect::{Collect, CollectedFamily, CollectedKind, validate_family};
pub use errors::ErrorKind;
pub use facade::Metrics;
pub use instruments::{
    Counter, CounterFamily, CounterFn, Family, FamilyFn, Gauge, GaugeFamily, GaugeFn, Histogram,
    HistogramFamily, HistogramFn,
};
pub use jobs::{JOB_BUCKETS, JobGuard, JobStatus, Jobs};
pub use naming::{validate_label_name, validate_metric_name};
pub use recorder::{Description, NoopRecorder, Recorder, SampleFn};

/// The label value every label takes in a family's overflow series.
pub const OVERFLOW: &str = "<overflow>";

/// Default number of label sets a family may hold before new ones fold into its overflow series.
pub const DEFAULT_SERIES_BUDGET: usize = 2_000;
