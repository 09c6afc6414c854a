//! The cluster side: cluster-wide sums of the live publishers' gauges with their rolling
//! maxima, and latency percentiles per window from per-minute sketches merged in Redis — or,
//! in proxy mode, the services' own status documents. All state is in Redis and time is
//! Redis' clock, so any reader, or several at once, agree.
mod check;
mod figures;
mod proxy;
mod redis;
mod source;

pub(crate) use check::aggregation_check;
pub use figures::{ClusterFigures, Derived, GaugeSignal, LatencySignal, MAX_SIGNALS, WINDOWS};
pub(crate) use proxy::Proxy;
pub use redis::ClusterReader;
pub(crate) use source::{Origin, Source};
