//! Health registry: runs checks concurrently with timeouts, caching, coalescing and panic isolation.
//! Entry point [`HealthRegistry`]; one check's run is in `runner.rs`, group results in `report.rs`,
//! observers of runs in `observer.rs` (the check metrics, `check_metrics.rs`, are one).
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
pub use registry::{CheckState, HealthRegistry};
pub use report::{CheckReport, HealthReport};
