//! Notifications of the service's own status changes (feature `notify`): every check run, and
//! after the run of a group's first check the group's status, handed to the notifier, which damps,
//! repeats and delivers ([`vitals_notify`]). The notifier is a built-in module, so it starts and
//! stops with the others, and is provided to them (the collector's fleet view notifies through
//! it).
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use vitals::{Error, HealthGroup, HealthStatus, Module, ModuleContext};
use vitals_health::{HealthRegistry, Reading, RunObserver};
use vitals_notify::{Failing, Notifier, Observation, Subject};

/// How long undelivered messages get at shutdown.
const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// Hands every run, and its groups' status after it, to the notifier.
pub(crate) struct NotifyObserver {
    notifier: Notifier,
    /// Set once the registry exists (it is built with this observer).
    registry: OnceLock<HealthRegistry>,
}

impl NotifyObserver {
    pub(crate) fn new(notifier: Notifier) -> Arc<Self> {
        Arc::new(Self {
            notifier,
            registry: OnceLock::new(),
        })
    }

    pub(crate) fn watch(&self, registry: HealthRegistry) {
        let _ = self.registry.set(registry);
    }
}

fn failing(check: &str, status: HealthStatus, reason: Option<&str>) -> Option<Failing> {
    (status != HealthStatus::Healthy).then(|| Failing {
        check: check.to_owned(),
        reason: reason.map(str::to_owned),
    })
}

impl RunObserver for NotifyObserver {
    fn on_run(&self, check: &str, reading: &Reading) {
        let at = reading.at;
        self.notifier.observe(Observation {
            subject: Subject::check(check),
            status: reading.status,
            at,
            failing: failing(check, reading.status, reading.outcome.error())
                .into_iter()
                .collect(),
        });
        let Some(registry) = self.registry.get() else {
            return;
        };
        let states = registry.states();
        let Some(this) = states.iter().find(|s| s.name == check) else {
            return;
        };
        // A group is read once per round, after the run of its first check: read after each
        // of its checks' runs, one failing run would count as many readings as the group has
        // checks, and a blip would hold.
        for group in &this.groups {
            // Readiness fails on purpose once shutdown begins: the service leaving, not going
            // down (and no recovery would follow).
            if *group == HealthGroup::Readiness && registry.is_shutting_down() {
                continue;
            }
            let mut members = states.iter().filter(|s| s.groups.contains(group));
            let first = members.clone().next();
            // Nor before each of its checks has a reading: one not run yet is pending, not
            // failing (at start, the first check's run would read the group down).
            if first.is_some_and(|s| s.name == check) && members.all(|s| s.reading.is_some()) {
                self.notifier
                    .observe(group_observation(registry, &states, group, at));
            }
        }
    }
}

fn group_observation(
    registry: &HealthRegistry,
    states: &[vitals_health::CheckState],
    group: &HealthGroup,
    at: std::time::SystemTime,
) -> Observation {
    let status = registry.snapshot(group).status;
    let failing = states
        .iter()
        .filter(|s| s.groups.contains(group))
        .filter_map(|s| {
            let st = s.status.unwrap_or(HealthStatus::Unhealthy);
            failing(
                &s.name,
                st,
                s.reading.as_ref().and_then(|r| r.outcome.error()),
            )
        })
        .collect();
    Observation {
        subject: Subject::group(group.as_str()),
        status,
        at,
        failing,
    }
}

/// The notifier's life as a built-in module: provided to the other modules, its delivery tasks
/// started with theirs, stopped (bounded) with theirs.
pub(crate) struct NotifyModule(pub(crate) Notifier);

#[vitals::async_trait]
impl Module for NotifyModule {
    fn name(&self) -> &str {
        "notifications"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        ctx.provide(self.0.clone())
    }

    async fn start(&self, _ctx: &ModuleContext) -> Result<(), Error> {
        self.0.start();
        Ok(())
    }

    async fn stop(&self) {
        self.0.stop(STOP_DEADLINE).await;
    }
}
