//! Signals module: services publish per-process samples (gauges, latencies, queue and pool
//! levels) to Redis; aggregators sum them across live publishers into rolling windows and
//! percentiles, exported on `/metrics`, to a Pushgateway and to CloudWatch.
//!
//! Three rooms: `publish/` (the [`Publisher`] behind `vitals::signals::Signals`),
//! `aggregate/` (Redis or proxy mode → [`Snapshot`]), `export/` (`/metrics`, Pushgateway,
//! CloudWatch, once per interval cluster-wide); `connection.rs`, `keys.rs` and `scripts.rs`
//! are the Redis they share.
#![warn(missing_docs)]
mod aggregate;
mod config;
mod connection;
mod export;
mod keys;
mod module;
mod publish;
mod scripts;
mod sketch;

pub use aggregate::{
    Aggregator, Derived, GaugeSignal, LatencySignal, MAX_SIGNALS, Snapshot, WINDOWS,
};
pub use config::{ProxyConfig, SignalsConfig, Source};
pub use connection::Target;
pub use export::{CloudWatchConfig, Exported, Kind, MAX_DATUMS_PER_CALL, Mapping, Point, points};
pub use module::SignalsModule;
pub use publish::Publisher;
pub use sketch::{RELATIVE_ACCURACY, Sketch, reference_sets};
