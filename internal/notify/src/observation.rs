//! What callers tell the notifier: one reading of one subject ([`Observation`]).
use std::fmt;
use std::time::SystemTime;
use vitals::HealthStatus;

/// One reading of a subject's status, handed to [`Notifier::observe`](crate::Notifier::observe)
/// after every run of a check, of a group, or every poll of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// What was read.
    pub subject: Subject,
    /// Its status in this reading.
    pub status: HealthStatus,
    /// When the reading was taken.
    pub at: SystemTime,
    /// The checks failing in this reading (for a check: itself), with their reasons; the
    /// reasons reach a message only when [`NotifyConfig::details`](crate::NotifyConfig::details)
    /// is on.
    pub failing: Vec<Failing>,
}

impl Observation {
    /// A reading of `subject` in `status` taken now, with no failing checks listed.
    ///
    /// ```
    /// use vitals_notify::{Observation, Subject};
    /// let o = Observation::now(Subject::group("readiness"), vitals::HealthStatus::Healthy);
    /// assert!(o.failing.is_empty());
    /// ```
    pub fn now(subject: Subject, status: HealthStatus) -> Self {
        Self {
            subject,
            status,
            at: SystemTime::now(),
            failing: Vec::new(),
        }
    }

    /// The same reading with `failing` listed.
    pub fn with_failing(mut self, failing: impl IntoIterator<Item = Failing>) -> Self {
        self.failing = failing.into_iter().collect();
        self
    }
}

/// What a status belongs to: a check, a group of checks, or a target of the fleet view.
/// Each subject has its own state (one small entry per subject ever observed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    /// Which kind of subject.
    pub kind: SubjectKind,
    /// Its name: the check's, the group's (`readiness`) or the target's.
    pub name: String,
}

impl Subject {
    /// A health check.
    pub fn check(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Check,
            name: name.into(),
        }
    }

    /// A health group (`readiness`, `liveness`, a custom group).
    pub fn group(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Group,
            name: name.into(),
        }
    }

    /// A service polled by the fleet view.
    pub fn target(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Target,
            name: name.into(),
        }
    }
}

/// The kinds of [`Subject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    /// A health check.
    Check,
    /// A health group.
    Group,
    /// A service polled by the fleet view.
    Target,
}

impl SubjectKind {
    /// Lower-case name, as in the JSON payload: `check`, `group` or `target`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Group => "group",
            Self::Target => "target",
        }
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check failing (unhealthy or degraded) in a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    /// The check's name.
    pub check: String,
    /// Why, when known (sent only with details on).
    pub reason: Option<String>,
}

impl Failing {
    /// A failing check with a reason.
    pub fn new(check: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            reason: Some(reason.into()),
        }
    }

    /// A failing check, reason unknown.
    pub fn named(check: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            reason: None,
        }
    }
}
