//! Database module: the timed sea-orm connection, the `db` readiness check, pool gauges and the
//! DB aggregate gauges. Entry point [`DatabaseModule`]; configuration in [`DatabaseConfig`].
#![warn(missing_docs)]
mod aggregates;
mod check;
mod config;
mod error;
mod module;
mod pool;
mod timing;

pub use aggregates::{
    AggregateMode, AggregatesConfig, AggregatesFile, DEFAULT_MAX_ROWS, MAX_AGGREGATE_DURATION,
    SqlAggregate, load_file, parse as parse_aggregates,
};
pub use check::DbCheck;
pub use config::{DatabaseConfig, SCHEMES, check_url, masked_url};
pub use error::Error;
pub use module::DatabaseModule;
pub use pool::PoolStatus;
pub use sea_orm;
pub use timing::TimedConnection;
