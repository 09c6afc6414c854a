//! What the probes report now, read from the stored readings alone (no check runs), and the
//! signal that it may have changed: what a stream of status changes (gRPC `Watch`) is built on.
use super::HealthRegistry;
use std::time::Duration;
use tokio::time::Instant;
use vitals::{HealthGroup, HealthStatus, StatusAggregator};

/// A group's status from the stored readings, and when it changes with no new reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSnapshot {
    /// The status a probe of the group reports now (staleness and shutdown applied).
    pub status: HealthStatus,
    /// In background mode, the first moment one of the group's readings goes stale (just past
    /// its max staleness): the status may change then without any new reading. `None` when no
    /// reading of the group can go stale.
    pub stale_at: Option<Instant>,
}

/// A receiver of the registry's change counter: [`changed`](tokio::sync::watch::Receiver::changed)
/// resolves when what a probe reports may have changed. See [`HealthRegistry::changes`].
pub type Changes = tokio::sync::watch::Receiver<u64>;

impl HealthRegistry {
    /// Tells every [`Changes`] receiver that what the probes report may have changed.
    pub(super) fn bump(&self) {
        self.inner
            .changes
            .send_modify(|generation| *generation += 1);
    }

    /// A receiver that wakes when what a probe reports may have changed: a stored reading
    /// changed a check's status (a background run, a probe's run, a damping decision), a stale
    /// reading was replaced, a check was added, or shutdown began. Readings that change nothing
    /// wake nobody; many receivers share one counter and cost no check runs.
    pub fn changes(&self) -> Changes {
        self.inner.changes.subscribe()
    }

    /// Whether the probes answer for `group`: the built-in groups always (with no check they
    /// are healthy), a custom group once a check is in it (else HTTP 404, gRPC `NOT_FOUND`).
    pub fn knows_group(&self, group: &HealthGroup) -> bool {
        !matches!(group, HealthGroup::Custom(_)) || self.has_group(group)
    }

    /// The status a probe of `group` reports now, from the stored readings alone: a check with
    /// no reading yet or a stale one counts unhealthy, readiness fails while shutting down, as
    /// in [`run_group`](Self::run_group). Runs nothing.
    pub fn snapshot(&self, group: &HealthGroup) -> GroupSnapshot {
        let max_staleness = self.inner.config.background.map(|b| b.max_staleness);
        let mut stale_at: Option<Instant> = None;
        let statuses: Vec<(HealthStatus, bool)> = self
            .entries()
            .iter()
            .filter(|e| e.in_group(group))
            .map(|e| {
                let status = match e.last() {
                    None => HealthStatus::Unhealthy,
                    Some(r) if self.stale(&r).is_some() => HealthStatus::Unhealthy,
                    Some(r) => {
                        if let Some(max) = max_staleness {
                            // `stale` holds once the age is past the limit: wake just after.
                            let at = r.finished + max + Duration::from_millis(1);
                            stale_at = Some(stale_at.map_or(at, |s| s.min(at)));
                        }
                        r.status
                    }
                };
                (status, e.critical)
            })
            .collect();
        let aggregator: &dyn StatusAggregator = &*self.inner.config.aggregator;
        let mut status = aggregator.aggregate(&mut statuses.into_iter());
        if *group == HealthGroup::Readiness && self.is_shutting_down() {
            status = HealthStatus::Unhealthy;
        }
        GroupSnapshot { status, stale_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackgroundConfig, RegistryConfig};
    use std::sync::Arc;
    use vitals::{CheckOutcome, CheckerExt};
    use vitals_judges::Counting;

    fn background() -> HealthRegistry {
        HealthRegistry::new(RegistryConfig {
            background: Some(BackgroundConfig {
                interval: Duration::from_secs(1),
                max_staleness: Duration::from_secs(10),
            }),
            ..RegistryConfig::default()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_status_change_wakes_watchers_and_a_repeated_status_does_not() {
        let reg = background();
        let c = Counting::new("dep", Duration::ZERO);
        reg.add(Arc::new(c.clone())).unwrap();
        let mut changes = reg.changes();
        changes.mark_unchanged();
        let ready = HealthGroup::Readiness;
        assert_eq!(
            reg.snapshot(&ready).status,
            HealthStatus::Unhealthy,
            "pending"
        );
        reg.start_background();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(changes.has_changed().unwrap(), "the first reading");
        changes.mark_unchanged();
        assert_eq!(reg.snapshot(&ready).status, HealthStatus::Healthy);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(c.runs(), 4);
        assert!(
            !changes.has_changed().unwrap(),
            "three healthy readings change nothing"
        );
        c.set(CheckOutcome::unhealthy("down"));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        assert_eq!(reg.snapshot(&ready).status, HealthStatus::Unhealthy);
        reg.begin_shutdown();
        assert!(changes.has_changed().unwrap(), "shutdown");
        reg.stop_background();
    }

    #[tokio::test(start_paused = true)]
    async fn the_snapshot_says_when_a_reading_goes_stale() {
        let reg = background();
        reg.add(Arc::new(Counting::new("dep", Duration::ZERO)))
            .unwrap();
        reg.start_background();
        tokio::time::sleep(Duration::from_millis(10)).await;
        reg.stop_background();
        let snap = reg.snapshot(&HealthGroup::Readiness);
        assert_eq!(snap.status, HealthStatus::Healthy);
        let at = snap.stale_at.expect("a reading that can go stale");
        tokio::time::sleep_until(at).await;
        let later = reg.snapshot(&HealthGroup::Readiness);
        assert_eq!(later.status, HealthStatus::Unhealthy);
        assert_eq!(later.stale_at, None);
    }

    #[test]
    fn built_in_groups_are_known_custom_ones_once_a_check_is_in_them() {
        let reg = HealthRegistry::default();
        assert!(reg.knows_group(&HealthGroup::Startup));
        assert!(!reg.knows_group(&HealthGroup::custom("billing")));
        reg.add(Arc::new(
            vitals_judges::failing("ledger", "x").with_groups([HealthGroup::custom("billing")]),
        ))
        .unwrap();
        assert!(reg.knows_group(&HealthGroup::custom("billing")));
    }
}
