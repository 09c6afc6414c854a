use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use vitals::{CheckOutcome, HealthStatus};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// The checker returned an outcome.
    Completed,
    /// The run outlived its timeout and was aborted.
    TimedOut,
    /// The checker panicked.
    Panicked,
}

/// The result of one run of one check.
#[derive(Debug, Clone)]
pub struct Reading {
    /// What the checker returned, or the timeout / panic outcome that replaced it.
    pub outcome: CheckOutcome,
    /// How the run ended.
    pub kind: RunKind,
    /// The status to report after flap damping (equal to `outcome.status()` without damping).
    pub status: HealthStatus,
    /// How long the run took.
    pub duration: Duration,
    /// Wall-clock time the run started.
    pub at: SystemTime,
    /// Monotonic time the run finished (tokio clock), for cache and staleness decisions.
    pub finished: Instant,
}

impl Reading {
    /// Age of the reading, measured on the monotonic clock.
    pub fn age(&self) -> Duration {
        self.finished.elapsed()
    }
}
