//! Health registry: runs checks concurrently with timeouts, caching, coalescing and panic isolation.
//! Entry point [`HealthRegistry`]; one check's run is in `runner.rs`, group results in `report.rs`.
mod config;
mod damping;
mod entry;
mod reading;
mod registry;
mod report;
mod runner;

pub use config::{BackgroundConfig, Damping, RegistryConfig, RunObserver};
pub use reading::{Reading, RunKind};
pub use registry::{CheckState, HealthRegistry};
pub use report::{CheckReport, HealthReport};
