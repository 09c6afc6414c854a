//! DB aggregate gauges: SQL aggregates computed at most once per TTL window on a small dedicated
//! pool (once across replicas on PostgreSQL), served as gauges with up/last-success/duration.
//! `engine.rs` starts them; `runner.rs` runs one, `store.rs` shares its result, `collector.rs`
//! serves them.
mod collector;
mod config;
mod declaration;
mod engine;
mod payload;
mod pools;
mod runner;
mod sql;
mod statement;
mod store;

pub(crate) use collector::AggregateCollector;
pub use config::{AggregateMode, AggregatesConfig, load_file, parse};
pub use declaration::{DEFAULT_MAX_ROWS, MAX_AGGREGATE_DURATION, SqlAggregate};
pub(crate) use engine::start;
pub(crate) use pools::AggregatePools;
pub(crate) use runner::Runner;
pub(crate) use store::Store;
