//! The aggregating side: cluster-wide sums of the live publishers' gauges with their rolling
//! maxima, and latency percentiles per window from per-minute sketches merged in Redis — or,
//! in proxy mode, the services' own status documents. All state is in Redis and time is
//! Redis' clock, so any aggregator, or several at once, agree.
mod check;
mod proxy;
mod redis;
mod snapshot;
mod source;

pub(crate) use check::aggregation_check;
pub(crate) use proxy::Proxy;
pub use redis::Aggregator;
pub use snapshot::{Derived, GaugeSignal, LatencySignal, MAX_SIGNALS, Snapshot, WINDOWS};
pub(crate) use source::{Origin, Source};
