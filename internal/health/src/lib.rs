//! Health registry: runs checks concurrently with timeouts, caching, coalescing and panic isolation.
//! Entry point [`HealthRegistry`]; one check's run is in `runner.rs`, group results in `report.rs`,
//! observers of runs in `observer.rs` (the check metrics, `check_metrics.rs`, are one), status
//! snapshots and their change signal (for streams of changes) in `registry/snapshot.rs`.
#![warn(missing_docs)]
mod check_metrics;
mod config;
mod damping;
mod entry;
mod observer;
mod reading;
mod registry;
mod report;
mod runner;

pub use check_metrics::CheckMetrics;
pub use config::{BackgroundConfig, Damping, RegistryConfig};
pub use observer::RunObserver;
pub use reading::{Reading, RunKind};
pub use registry::{Changes, CheckState, GroupSnapshot, HealthRegistry};
pub use report::{CheckReport, HealthReport, serves};
