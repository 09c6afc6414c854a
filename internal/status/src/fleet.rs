//! The fleet view's document: one entry per polled service, with its checks' history, its uptime
//! and its incidents. Made by the collector's fleet module from what it stored; rendered by
//! `page::fleet`, served as JSON at `{status path}/fleet`.
use crate::{CheckDocument, ServiceInfo, Word};
use serde::{Deserialize, Serialize};

/// Every polled service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetDocument {
    /// When the document was made.
    pub generated_at_ms: u64,
    /// Whether reasons are included (the caller's access).
    pub details: bool,
    /// Whether the collector could not read what it stored (its database down): nothing is
    /// then known of the targets beyond their names. Status, last poll and uptime are absent,
    /// and checks and incidents empty: read them as unknown, not as none (the document is then
    /// served with `503`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
    /// The targets, in configuration order.
    pub targets: Vec<TargetDocument>,
}

/// One polled service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetDocument {
    /// The target's configured name (`VITALS_STATUS_TARGETS`).
    pub name: String,
    /// Where its status document is polled.
    pub url: String,
    /// What the service says it is, from its last document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceInfo>,
    /// Its status at the last poll: the service's readiness, or `fail` when the poll failed.
    /// `None` before the first poll.
    pub status: Option<Word>,
    /// When it was last polled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polled_at_ms: Option<u64>,
    /// Why the last poll failed (details only), e.g. `connection refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_error: Option<String>,
    /// The share of time it was up.
    pub uptime: Uptime,
    /// Its checks, as of the last poll, with the history the collector kept.
    pub checks: Vec<CheckDocument>,
    /// Its incidents, newest first.
    pub incidents: Vec<Incident>,
}

/// The share of polled time a target was serving (pass or warn), between 0 and 1; `None` when
/// nothing was polled in the window (absent, not zero).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Uptime {
    /// Over the last 24 hours.
    pub day: Option<f64>,
    /// Over the last 7 days.
    pub week: Option<f64>,
    /// Over the last 30 days.
    pub month: Option<f64>,
}

/// A time a target was not serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The first failing poll.
    pub started_at_ms: u64,
    /// The first serving poll after it; `None` while it lasts.
    pub ended_at_ms: Option<u64>,
    /// The checks that failed during it (or `poll` when the service did not answer).
    pub checks: Vec<String>,
}

impl Incident {
    /// How long it lasted, or has lasted until `now_ms`, in milliseconds.
    pub fn duration_ms(&self, now_ms: u64) -> u64 {
        self.ended_at_ms
            .unwrap_or(now_ms)
            .saturating_sub(self.started_at_ms)
    }
}
