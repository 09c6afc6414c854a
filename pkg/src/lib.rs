//! Vitals public API: what a module author implements and registers.
//! Health checkers ([`HealthChecker`], [`check_fn`]), their outcomes and groups, [`Module`], and [`Metrics`].
//!
//! ```
//! use vitals::{check_fn, CheckOutcome, CheckerExt, Dependency, HealthChecker, HealthGroup};
//! use std::time::Duration;
//!
//! let ping = check_fn("ping", || async { CheckOutcome::healthy() })
//!     .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
//!     .with_dependency(Dependency::Local)
//!     .with_timeout(Duration::from_millis(200));
//! assert_eq!(ping.name(), "ping");
//! ```
#![deny(missing_docs)]

mod check_fn;
mod checker;
mod checker_ext;
mod coalesced;
mod error;
mod group;
pub mod metrics;
mod module;
mod outcome;
pub mod pages;
mod registrar;
mod services;
pub mod settings;
pub mod signals;
mod status;
mod status_aggregator;

pub use check_fn::{FnChecker, check_fn};
pub use checker::{Dependency, HealthChecker};
pub use checker_ext::{CheckerExt, Configured};
pub use coalesced::{Coalesced, Lookup, RunFailure, panic_message};
pub use error::Error;
pub use group::HealthGroup;
pub use metrics::Metrics;
pub use module::{Module, ModuleContext};
pub use outcome::CheckOutcome;
pub use registrar::HealthRegistrar;
pub use services::ServiceDirectory;
pub use status::HealthStatus;
pub use status_aggregator::{SimpleStatusAggregator, StatusAggregator};

/// Re-exported so module authors implement [`HealthChecker`] without naming the crate themselves.
pub use async_trait::async_trait;
