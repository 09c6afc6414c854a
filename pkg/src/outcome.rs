use crate::HealthStatus;
use serde_json::{Map, Value};

/// What one run of a [`HealthChecker`](crate::HealthChecker) found: a status, optional structured
/// details and an optional error text.
///
/// A failing check is an outcome, not an error: return `CheckOutcome::unhealthy(..)`.
///
/// ```
/// use vitals::{CheckOutcome, HealthStatus};
///
/// let outcome = CheckOutcome::healthy().with_detail("version", "1.1.2");
/// assert_eq!(outcome.status(), HealthStatus::Healthy);
/// assert_eq!(outcome.details()["version"], "1.1.2");
///
/// let failed = CheckOutcome::unhealthy("connection refused");
/// assert_eq!(failed.error(), Some("connection refused"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    status: HealthStatus,
    details: Map<String, Value>,
    error: Option<String>,
}

impl CheckOutcome {
    /// A healthy outcome with no details.
    pub fn healthy() -> Self {
        Self::new(HealthStatus::Healthy, None)
    }

    /// A degraded outcome: still serving, with a reason.
    ///
    /// ```
    /// let o = vitals::CheckOutcome::degraded("replica lag 12 s");
    /// assert_eq!(o.status(), vitals::HealthStatus::Degraded);
    /// ```
    pub fn degraded(reason: impl Into<String>) -> Self {
        Self::new(HealthStatus::Degraded, Some(reason.into()))
    }

    /// An unhealthy outcome with a reason.
    pub fn unhealthy(reason: impl Into<String>) -> Self {
        Self::new(HealthStatus::Unhealthy, Some(reason.into()))
    }

    /// An outcome with the given status and optional error text.
    ///
    /// ```
    /// use vitals::{CheckOutcome, HealthStatus};
    /// let o = CheckOutcome::new(HealthStatus::Healthy, None);
    /// assert!(o.error().is_none());
    /// ```
    pub fn new(status: HealthStatus, error: Option<String>) -> Self {
        Self {
            status,
            details: Map::new(),
            error,
        }
    }

    /// Adds one structured detail (shown only to callers allowed to see details).
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }

    /// The status this run found.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// Structured details, empty when none were given.
    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }

    /// The error or reason text, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}
