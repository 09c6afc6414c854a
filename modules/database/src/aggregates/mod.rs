//! DB aggregate gauges: SQL aggregates computed at most once per TTL window on a small dedicated
//! pool (once across replicas on PostgreSQL), served as gauges with up/last-success/duration.
//! `engine.rs` starts them; `runner.rs` runs one, `store.rs` shares its result, `families.rs`
//! serves them.
mod config;
mod declaration;
mod engine;
mod families;
mod payload;
mod pools;
mod runner;
mod sql;
mod statement;
mod store;

pub use config::{AggregateMode, AggregatesConfig, AggregatesFile, load_file, parse};
pub use declaration::{DEFAULT_MAX_ROWS, MAX_AGGREGATE_DURATION, SqlAggregate};
pub(crate) use engine::start;
pub(crate) use families::AggregateFamilies;
pub(crate) use pools::AggregatePools;
pub(crate) use runner::Runner;
pub(crate) use store::Store;
