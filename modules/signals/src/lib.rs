//! Signals module: services publish per-process samples (gauges, latencies, queue and pool
//! levels) to Redis in batches; any aggregator sums them across live publishers into rolling
//! windows and percentiles, exported on `/metrics`, to a Pushgateway and to CloudWatch.
mod aggregate;
mod check;
mod cloudwatch;
mod collector;
mod config;
mod connection;
mod export;
mod http;
mod keys;
mod mapping;
mod module;
mod proxy;
mod publisher;
mod pushgateway;
mod sketch;
mod source;
mod text;

pub use aggregate::{Aggregator, Derived, GaugeSignal, LatencySignal, Snapshot, WINDOWS};
pub use cloudwatch::{CloudWatchConfig, MAX_DATUMS_PER_CALL};
pub use config::{ProxyConfig, SignalsConfig, Source};
pub use mapping::{Exported, Kind, Mapping, Point, points};
pub use module::SignalsModule;
pub use publisher::Publisher;
pub use sketch::{RELATIVE_ACCURACY, Sketch, reference_sets};
