//! The status document: what `GET /status/history` answers, what the page is rendered from, and
//! what the collector's fleet view polls. Times are Unix milliseconds, statuses the IETF words
//! (`pass`, `warn`, `fail`), durations seconds.
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use vitals::HealthStatus;

/// A status as the document spells it: `pass`, `warn` or `fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Word {
    /// Healthy.
    Pass,
    /// Degraded.
    Warn,
    /// Unhealthy.
    Fail,
}

impl From<HealthStatus> for Word {
    fn from(s: HealthStatus) -> Self {
        match s {
            HealthStatus::Healthy => Self::Pass,
            HealthStatus::Degraded => Self::Warn,
            HealthStatus::Unhealthy => Self::Fail,
        }
    }
}

impl From<Word> for HealthStatus {
    fn from(w: Word) -> Self {
        match w {
            Word::Pass => Self::Healthy,
            Word::Warn => Self::Degraded,
            Word::Fail => Self::Unhealthy,
        }
    }
}

impl Word {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        HealthStatus::from(self).ietf()
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The service that serves the document (`VITALS_SERVICE_NAME`, `VITALS_SERVICE_VERSION`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A service's status and the history of its checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDocument {
    /// Who serves it, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceInfo>,
    /// When the document was made.
    pub generated_at_ms: u64,
    /// When the process started.
    #[serde(default)]
    pub started_at_ms: u64,
    /// Readiness as a probe reports it now.
    pub status: Word,
    /// Whether reasons and details are included (the caller's access; see the detail policy).
    pub details: bool,
    /// Readings kept per check.
    pub capacity: usize,
    /// Every group with at least one check, and the built-in ones.
    pub groups: Vec<GroupDocument>,
    /// Every check, by name.
    pub checks: Vec<CheckDocument>,
    /// The last status changes of any check, oldest first.
    pub transitions: Vec<TransitionDocument>,
}

/// One group's status now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDocument {
    /// `liveness`, `readiness`, `startup` or a custom name.
    pub name: String,
    /// What a probe of the group reports now.
    pub status: Word,
}

/// One check: its status now and its last readings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDocument {
    /// The check's name.
    pub name: String,
    /// Its groups.
    pub groups: Vec<String>,
    /// What the probes report for it now; `None` before its first reading.
    pub status: Option<Word>,
    /// Its latest reason (details only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its latest details (details only).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Its last readings, oldest first.
    pub readings: Vec<ReadingDocument>,
}

/// One run of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingDocument {
    /// When the run started.
    pub at_ms: u64,
    /// Its status (after damping).
    pub status: Word,
    /// How long it took, in seconds.
    pub duration_seconds: f64,
    /// Its reason (details only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One check's change of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionDocument {
    /// The check.
    pub check: String,
    /// Its status before; `None` for its first reading.
    pub from: Option<Word>,
    /// Its status after.
    pub to: Word,
    /// When the reading that changed it started.
    pub at_ms: u64,
    /// The reason of that reading (details only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl StatusDocument {
    /// The document with the groups alone (no check, no reading, no transition): what an
    /// anonymous caller sees when scrapes are protected, as the probes answer it with the
    /// overall status only.
    pub fn groups_only(mut self) -> Self {
        self = self.without_details();
        self.checks.clear();
        self.transitions.clear();
        self
    }

    /// The document without reasons and details: what an anonymous caller sees.
    pub fn without_details(mut self) -> Self {
        self.details = false;
        for c in &mut self.checks {
            c.reason = None;
            c.details.clear();
            for r in &mut c.readings {
                r.reason = None;
            }
        }
        for t in &mut self.transitions {
            t.reason = None;
        }
        self
    }
}
