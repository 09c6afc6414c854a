//! Signals module: services publish per-process samples (gauges, latencies, queue and pool
//! levels) to Redis in batches; any aggregator sums them across live publishers into rolling
//! windows and percentiles, exported on `/metrics` for autoscalers.
mod aggregate;
mod check;
mod collector;
mod config;
mod connection;
mod keys;
mod module;
mod publisher;
mod pushgateway;
mod sketch;
mod text;

pub use aggregate::{Aggregator, GaugeSignal, LatencySignal, Snapshot, WINDOWS};
pub use config::SignalsConfig;
pub use module::SignalsModule;
pub use publisher::Publisher;
pub use sketch::{RELATIVE_ACCURACY, Sketch};
