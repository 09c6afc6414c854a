use std::fmt;

/// The three levels a check or a group can be in.
///
/// Ordered from best to worst, so `max` gives the worse of two statuses.
///
/// ```
/// use vitals::HealthStatus;
/// assert!(HealthStatus::Unhealthy > HealthStatus::Degraded);
/// assert_eq!(HealthStatus::Healthy.max(HealthStatus::Degraded), HealthStatus::Degraded);
/// assert_eq!(HealthStatus::Degraded.as_str(), "degraded");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthStatus {
    /// Working as intended.
    Healthy,
    /// Working, but impaired: serves traffic (HTTP 200) and is reported as `warn`.
    Degraded,
    /// Not working: a group in this state answers HTTP 503 and is reported as `fail`.
    Unhealthy,
}

impl HealthStatus {
    /// Lower-case name: `healthy`, `degraded` or `unhealthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }

    /// The status word of the IETF health check response format: `pass`, `warn` or `fail`.
    ///
    /// ```
    /// assert_eq!(vitals::HealthStatus::Unhealthy.ietf(), "fail");
    /// ```
    pub fn ietf(self) -> &'static str {
        match self {
            Self::Healthy => "pass",
            Self::Degraded => "warn",
            Self::Unhealthy => "fail",
        }
    }

    /// Whether a probe of a group in this status should succeed (healthy or degraded).
    ///
    /// ```
    /// assert!(vitals::HealthStatus::Degraded.is_serving());
    /// assert!(!vitals::HealthStatus::Unhealthy.is_serving());
    /// ```
    pub fn is_serving(self) -> bool {
        self != Self::Unhealthy
    }

    /// Numeric value used by the `vitals_health_check_status` gauge: 1 healthy, 0.5 degraded, 0 unhealthy.
    ///
    /// ```
    /// assert_eq!(vitals::HealthStatus::Degraded.gauge_value(), 0.5);
    /// ```
    pub fn gauge_value(self) -> f64 {
        match self {
            Self::Healthy => 1.0,
            Self::Degraded => 0.5,
            Self::Unhealthy => 0.0,
        }
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
