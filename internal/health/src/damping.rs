use crate::Damping;
use vitals::HealthStatus;

/// Per-check flap damping state: counts consecutive failures and successes.
#[derive(Debug, Default)]
pub(crate) struct DampState {
    reported: Option<HealthStatus>,
    failures: u32,
    successes: u32,
}

impl DampState {
    /// Feeds one raw status and returns the status to report.
    pub(crate) fn feed(&mut self, damping: Damping, raw: HealthStatus) -> HealthStatus {
        if raw == HealthStatus::Unhealthy {
            self.failures += 1;
            self.successes = 0;
        } else {
            self.successes += 1;
            self.failures = 0;
        }
        let next = match self.reported {
            None => raw,
            Some(HealthStatus::Unhealthy) if raw != HealthStatus::Unhealthy => {
                if self.successes >= damping.successes.max(1) {
                    raw
                } else {
                    HealthStatus::Unhealthy
                }
            }
            Some(prev) if raw == HealthStatus::Unhealthy && prev != HealthStatus::Unhealthy => {
                if self.failures >= damping.failures.max(1) {
                    raw
                } else {
                    prev
                }
            }
            Some(_) => raw,
        };
        self.reported = Some(next);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthStatus::*;

    #[test]
    fn needs_consecutive_failures_then_successes() {
        let d = Damping {
            failures: 3,
            successes: 2,
        };
        let mut s = DampState::default();
        let raw = [
            Healthy, Unhealthy, Unhealthy, Healthy, Unhealthy, Unhealthy, Unhealthy, Healthy,
            Unhealthy, Healthy, Healthy, Degraded,
        ];
        let want = [
            Healthy, Healthy, Healthy, Healthy, Healthy, Healthy, Unhealthy, Unhealthy, Unhealthy,
            Unhealthy, Healthy, Degraded,
        ];
        let got: Vec<_> = raw.iter().map(|r| s.feed(d, *r)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn first_reading_is_reported_as_is() {
        let d = Damping {
            failures: 5,
            successes: 5,
        };
        assert_eq!(DampState::default().feed(d, Unhealthy), Unhealthy);
    }
}
