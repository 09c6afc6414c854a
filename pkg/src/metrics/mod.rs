//! Metric helpers for modules: [`Metrics`] registers counters, gauges and histograms in the
//! kernel's own Prometheus registry, checking names against Prometheus conventions first.
mod naming;
mod registry;

pub use naming::{validate_label_name, validate_metric_name};
pub use registry::Metrics;

/// The Prometheus types a module may need alongside [`Metrics`].
pub use prometheus::{
    Gauge, GaugeVec, Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
};
