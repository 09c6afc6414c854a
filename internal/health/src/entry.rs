use crate::damping::DampState;
use crate::runner::run_isolated;
use crate::{Damping, Reading, RunObserver};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use vitals::{HealthChecker, HealthGroup};

type InFlight = Shared<BoxFuture<'static, Arc<Reading>>>;

/// One registered check with its resolved settings, last reading and in-flight run.
pub(crate) struct Entry {
    pub(crate) checker: Arc<dyn HealthChecker>,
    pub(crate) name: String,
    pub(crate) groups: Vec<HealthGroup>,
    pub(crate) critical: bool,
    pub(crate) timeout: Duration,
    pub(crate) ttl: Duration,
    damping: Option<Damping>,
    observer: Option<Arc<dyn RunObserver>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    last: Option<Arc<Reading>>,
    in_flight: Option<InFlight>,
    damp: DampState,
}

impl Entry {
    pub(crate) fn new(
        checker: Arc<dyn HealthChecker>,
        default_timeout: Duration,
        damping: Option<Damping>,
        observer: Option<Arc<dyn RunObserver>>,
    ) -> Self {
        let groups = checker.groups();
        let damping = damping.filter(|_| groups.contains(&HealthGroup::Readiness));
        Self {
            name: checker.name().to_owned(),
            critical: checker.critical(),
            timeout: checker.timeout().unwrap_or(default_timeout),
            ttl: checker.cache_ttl(),
            groups,
            damping,
            observer,
            checker,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while holding it; the state stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn in_group(&self, group: &HealthGroup) -> bool {
        self.groups.contains(group)
    }

    /// The latest reading, however old.
    pub(crate) fn last(&self) -> Option<Arc<Reading>> {
        self.state().last.clone()
    }

    /// A reading no older than the cache TTL: the cached one, the run already under way, or a
    /// new run. Concurrent callers share one run.
    pub(crate) async fn fresh(self: &Arc<Self>) -> Arc<Reading> {
        let run = {
            let mut state = self.state();
            if let Some(last) = &state.last
                && !self.ttl.is_zero()
                && last.age() < self.ttl
            {
                return last.clone();
            }
            match &state.in_flight {
                Some(run) => run.clone(),
                None => {
                    let me = self.clone();
                    let run = async move { me.run_and_store().await }.boxed().shared();
                    state.in_flight = Some(run.clone());
                    run
                }
            }
        };
        run.await
    }

    async fn run_and_store(&self) -> Arc<Reading> {
        let run = run_isolated(self.checker.clone(), self.timeout).await;
        let mut state = self.state();
        let raw = run.outcome.status();
        let status = match self.damping {
            Some(d) => state.damp.feed(d, raw),
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
        state.last = Some(reading.clone());
        state.in_flight = None;
        drop(state);
        if let Some(observer) = &self.observer {
            observer.on_run(&self.name, &reading);
        }
        reading
    }
}
