//! HTTP layer: actix-web handlers for the probe endpoints, caller classification and detail policy.
//! [`configure_health`] mounts `/healthz`, `/ready`, `/startupz`, `/health/{group}` and per-check paths.
mod caller;
mod health;

pub use caller::{AccessPolicy, Caller, DetailPolicy};
pub use health::{HealthState, configure_health};
