//! Signals module: services publish per-process samples (gauges, latencies, queue and pool
//! levels) to Redis; readers sum them across live publishers into rolling windows and
//! percentiles, exported on `/metrics`, to a Pushgateway and to CloudWatch.
//!
//! Three rooms: `publish/` (the [`Publisher`] behind `vitals::signals::Signals`),
//! `cluster/` (Redis or proxy mode → [`ClusterFigures`]), `export/` (`/metrics`, Pushgateway,
//! CloudWatch, once per interval cluster-wide); `connection.rs`, `keys.rs` and `scripts.rs`
//! are the Redis they share.
#![warn(missing_docs)]
mod cluster;
mod config;
mod connection;
mod export;
mod keys;
mod module;
mod publish;
mod scripts;
mod sketch;

pub use cluster::{
    ClusterFigures, ClusterReader, Derived, GaugeSignal, LatencySignal, MAX_SIGNALS, WINDOWS,
};
pub use config::{Backend, ProxyConfig, SignalsConfig};
pub use connection::Target;
pub use export::{CloudWatchConfig, Exported, Kind, MAX_DATUMS_PER_CALL, Mapping, Point, points};
pub use module::SignalsModule;
pub use publish::Publisher;
pub use sketch::{RELATIVE_ACCURACY, Sketch, reference_sets};
