//! Metric helpers for modules: [`Metrics`] registers instruments in the kernel's own Prometheus
//! registry (names checked, cardinality budgeted), plus sampled gauges and collect-time collectors.
mod aggregate;
mod budget;
mod collect;
mod errors;
mod family;
mod naming;
mod registry;
mod sampled;

pub use aggregate::{DEFAULT_MAX_ROWS, MAX_AGGREGATE_DURATION, SqlAggregate};
pub use budget::{DEFAULT_SERIES_BUDGET, OVERFLOW, SeriesBudget};
pub use collect::{Collect, CollectedFamily, CollectedKind};
pub use errors::ErrorKind;
pub use family::{CounterFamily, Family, GaugeFamily, HistogramFamily, IntGaugeFamily};
pub use naming::{validate_label_name, validate_metric_name};
pub use registry::{Metrics, validate_family};
pub use sampled::Sampler;

/// The Prometheus types a module may need alongside [`Metrics`].
pub use prometheus::{Gauge, Histogram, IntCounter, IntGauge};
