use crate::HealthStatus;

/// Folds the statuses of a group's checks into the group's status.
pub trait StatusAggregator: Send + Sync {
    /// `checks` yields each check's status and whether the check is critical.
    fn aggregate(&self, checks: &mut dyn Iterator<Item = (HealthStatus, bool)>) -> HealthStatus;
}

/// The default rule: the group takes the worst status of its checks, except that an unhealthy
/// *non-critical* check counts only as degraded. A group with no checks is healthy.
///
/// ```
/// use vitals::{HealthStatus::*, SimpleStatusAggregator, StatusAggregator};
///
/// let agg = SimpleStatusAggregator;
/// assert_eq!(agg.aggregate(&mut [(Healthy, true), (Unhealthy, false)].into_iter()), Degraded);
/// assert_eq!(agg.aggregate(&mut [(Healthy, true), (Unhealthy, true)].into_iter()), Unhealthy);
/// assert_eq!(agg.aggregate(&mut std::iter::empty()), Healthy);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleStatusAggregator;

impl StatusAggregator for SimpleStatusAggregator {
    fn aggregate(&self, checks: &mut dyn Iterator<Item = (HealthStatus, bool)>) -> HealthStatus {
        checks
            .map(|(status, critical)| match (status, critical) {
                (HealthStatus::Unhealthy, false) => HealthStatus::Degraded,
                (status, _) => status,
            })
            .max()
            .unwrap_or(HealthStatus::Healthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthStatus::*;

    fn agg(checks: &[(HealthStatus, bool)]) -> HealthStatus {
        SimpleStatusAggregator.aggregate(&mut checks.iter().copied())
    }

    #[test]
    fn worst_critical_status_wins() {
        let table = [
            (vec![], Healthy),
            (vec![(Healthy, true)], Healthy),
            (vec![(Healthy, true), (Degraded, true)], Degraded),
            (vec![(Degraded, false), (Healthy, true)], Degraded),
            (vec![(Unhealthy, false)], Degraded),
            (vec![(Unhealthy, false), (Unhealthy, true)], Unhealthy),
            (vec![(Healthy, true), (Unhealthy, true)], Unhealthy),
        ];
        for (checks, want) in table {
            assert_eq!(agg(&checks), want, "{checks:?}");
        }
    }
}
