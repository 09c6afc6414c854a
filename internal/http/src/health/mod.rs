//! Probe endpoints: `/healthz` and `/livez` (liveness), `/ready` and `/readyz` (readiness),
//! `/startupz`, `/health/{group}`, each also per check, for `GET` and `HEAD`; IETF
//! `application/health+json` bodies or, with `?verbose`, plain text.
mod handlers;
mod json;
pub(crate) mod query;
mod verbose;

pub use handlers::HealthState;
pub(crate) use handlers::{method_not_allowed, probe};
