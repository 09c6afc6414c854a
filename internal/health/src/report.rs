use std::time::{Duration, SystemTime};
use vitals::{CheckOutcome, HealthGroup, HealthStatus};

/// One check's part of a group's report.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// The status reported for the check (after flap damping and staleness).
    pub status: HealthStatus,
    /// Whether the check's failure fails the group.
    pub critical: bool,
    /// What the check found (or why there is no usable reading).
    pub outcome: CheckOutcome,
    /// How long the run took.
    pub duration: Duration,
    /// When the run started; `None` when the check has not run yet.
    pub at: Option<SystemTime>,
}

/// The result of probing one group.
#[derive(Debug, Clone)]
pub struct HealthReport {
    /// The group probed.
    pub group: HealthGroup,
    /// The group's aggregated status.
    pub status: HealthStatus,
    /// One entry per check run, in registration order.
    pub checks: Vec<CheckReport>,
    /// Checks skipped because the caller excluded them.
    pub excluded: Vec<String>,
    /// Names the caller asked to exclude that are not in the group.
    pub unknown_excludes: Vec<String>,
    /// The process is shutting down: readiness fails whatever the checks say.
    pub shutting_down: bool,
}

/// Whether a group (or check) in `status` takes traffic: the one rule every front door answers
/// by (HTTP 200 or 503, gRPC `SERVING` or `NOT_SERVING`). Degraded serves; unhealthy, which
/// readiness is while shutting down, does not.
pub fn serves(status: HealthStatus) -> bool {
    status != HealthStatus::Unhealthy
}

impl HealthReport {
    /// Whether the probed group takes traffic: [`serves`] of its status.
    pub fn serves(&self) -> bool {
        serves(self.status)
    }

    /// The failing (unhealthy) checks' names.
    pub fn failing(&self) -> impl Iterator<Item = &str> {
        self.checks
            .iter()
            .filter(|c| c.status == HealthStatus::Unhealthy)
            .map(|c| c.name.as_str())
    }
}
