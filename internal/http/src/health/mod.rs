//! Probe endpoints: `/healthz` (liveness), `/ready` (readiness), `/startupz`, `/health/{group}`,
//! each also per check; IETF `application/health+json` bodies or, with `?verbose`, plain text.
mod handlers;
mod json;
mod query;
mod verbose;

pub use handlers::{HealthState, configure_health};
