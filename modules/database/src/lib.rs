//! Database module: the sea-orm connection a service uses, its `db` readiness check and pool status.
//! Entry point [`DatabaseModule`]; configuration in [`DatabaseConfig`].
mod check;
mod config;
mod error;
mod module;
mod pool;

pub use check::DbCheck;
pub use config::DatabaseConfig;
pub use error::Error;
pub use module::DatabaseModule;
pub use pool::PoolStatus;
pub use sea_orm;
