use crate::damping::DampState;
use crate::runner::run_isolated;
use crate::{Damping, Reading, RunKind, RunObserver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio::time::Instant;
use vitals::{CheckOutcome, Coalesced, HealthChecker, HealthGroup, HealthStatus, RunFailure};

/// One registered check with its resolved settings, last reading and in-flight run.
pub(crate) struct Entry {
    pub(crate) checker: Arc<dyn HealthChecker>,
    pub(crate) name: String,
    pub(crate) groups: Vec<HealthGroup>,
    pub(crate) critical: bool,
    pub(crate) timeout: Duration,
    pub(crate) ttl: Duration,
    damping: Option<Damping>,
    observers: Vec<Arc<dyn RunObserver>>,
    reading: Coalesced<Arc<Reading>>,
    damp: Mutex<DampState>,
    /// The latest stored reading, set before anyone is told of it.
    latest: Mutex<Option<Arc<Reading>>>,
    /// Bumped when a stored reading changes what the probes report for this check.
    changes: Arc<watch::Sender<u64>>,
    /// Background mode's staleness limit: a stale reading reports unhealthy.
    max_staleness: Option<Duration>,
}

/// What a new check needs from its registry, besides the checker.
pub(crate) struct EntryContext {
    pub(crate) default_timeout: Duration,
    pub(crate) damping: Option<Damping>,
    pub(crate) observers: Vec<Arc<dyn RunObserver>>,
    pub(crate) changes: Arc<watch::Sender<u64>>,
    pub(crate) max_staleness: Option<Duration>,
}

impl Entry {
    pub(crate) fn new(checker: Arc<dyn HealthChecker>, cx: EntryContext) -> Self {
        let groups = checker.groups();
        let damping = cx
            .damping
            .filter(|_| groups.contains(&HealthGroup::Readiness));
        Self {
            name: checker.name().to_owned(),
            critical: checker.critical(),
            timeout: checker.timeout().unwrap_or(cx.default_timeout),
            ttl: checker.cache_ttl(),
            groups,
            damping,
            observers: cx.observers,
            checker,
            reading: Coalesced::new(),
            damp: Mutex::default(),
            latest: Mutex::default(),
            changes: cx.changes,
            max_staleness: cx.max_staleness,
        }
    }

    pub(crate) fn in_group(&self, group: &HealthGroup) -> bool {
        self.groups.contains(group)
    }

    /// The latest reading, however old.
    pub(crate) fn last(&self) -> Option<Arc<Reading>> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stores `reading` as the latest and, when it changes what the probes report for the
    /// check (its status, or a stale reading replaced), tells the registry's watchers.
    fn store(&self, reading: &Arc<Reading>) {
        let previous = self
            .latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(reading.clone());
        let changed = previous.is_none_or(|p| {
            p.status != reading.status || self.max_staleness.is_some_and(|max| p.age() > max)
        });
        if changed {
            self.changes.send_modify(|generation| *generation += 1);
        }
    }

    /// A reading no older than the cache TTL: the cached one, the run already under way, or a
    /// new run. Concurrent callers share one run, which goes on if every caller stops waiting.
    pub(crate) async fn fresh(self: &Arc<Self>) -> Arc<Reading> {
        let me = self.clone();
        let run = self
            .reading
            .get(move || async move { me.run_and_store().await });
        self.settle(run.await)
    }

    /// A new reading whatever the cache holds (the background refresher's call): joins the run
    /// under way or starts one.
    pub(crate) async fn refresh(self: &Arc<Self>) -> Arc<Reading> {
        let me = self.clone();
        let run = self
            .reading
            .refresh(move || async move { me.run_and_store().await });
        self.settle(run.await)
    }

    /// The reading of a run, or, when the run itself failed (the isolation around the checker
    /// already catches the checker's own panics), an unhealthy reading saying why.
    fn settle(&self, run: Result<Arc<Reading>, RunFailure>) -> Arc<Reading> {
        run.unwrap_or_else(|failure| {
            Arc::new(Reading {
                outcome: CheckOutcome::unhealthy(format!("check run {failure}")),
                kind: RunKind::Panicked,
                status: HealthStatus::Unhealthy,
                duration: Duration::ZERO,
                at: SystemTime::now(),
                finished: Instant::now(),
            })
        })
    }

    async fn run_and_store(&self) -> (Arc<Reading>, Option<Instant>) {
        let run = run_isolated(self.checker.clone(), self.timeout).await;
        let raw = run.outcome.status();
        let status = match self.damping {
            // A poisoned lock only means a panic elsewhere while holding it; the counts stay usable.
            Some(d) => self
                .damp
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .feed(d, raw),
            None => raw,
        };
        let reading = Arc::new(Reading {
            outcome: run.outcome,
            kind: run.kind,
            status,
            duration: run.duration,
            at: run.at,
            finished: run.finished,
        });
        self.store(&reading);
        for observer in &self.observers {
            observer.on_run(&self.name, &reading);
        }
        let valid_until = (!self.ttl.is_zero()).then(|| Instant::now() + self.ttl);
        (reading, valid_until)
    }
}
