//! The exports of the aggregate: gauges on `/metrics` (pull), and on an interval the
//! Pushgateway and CloudWatch — exactly once per interval cluster-wide, whatever the number of
//! aggregators (each interval claimed in Redis; ADR 0014).
mod cloudwatch;
mod exports;
mod http_client;
mod mapping;
mod metrics;
mod pushgateway;
mod schedule;

pub(crate) use cloudwatch::CloudWatch;
pub use cloudwatch::{CloudWatchConfig, MAX_DATUMS_PER_CALL};
pub(crate) use exports::Exports;
pub(crate) use http_client::agent as http_agent;
pub use mapping::{Exported, Kind, Mapping, Point, points};
pub(crate) use metrics::SignalsFamilies;
pub(crate) use pushgateway::Pushgateway;
pub(crate) use schedule::{Claims, Schedule};
