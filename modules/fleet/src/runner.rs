//! The poll loop: every interval, a cycle that migrates (until that succeeded once), takes or
//! renews the lease, and — only while it holds it — polls every target and writes the results;
//! a collector without the lease reads the targets' latest state for its metrics. Each cycle is
//! a task of its own under a deadline: a panic or a cancellation ends that cycle, the next one
//! starts afresh.
use crate::config::FleetConfig;
use crate::metrics::{FleetMetrics, Latest};
use crate::notify::observe_poll;
use crate::poll::Poller;
use crate::store::{FleetStore, StoreError, new_token};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use vitals_notify::{Notified, Notifier, Subject};
use vitals_status::unix_ms;

/// What one cycle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CycleReport {
    /// Whether this runner held the lease.
    pub held: bool,
    /// Polls made (one per target when held).
    pub polls: usize,
    /// Whether the polls were written (the lease still held at the write, the database
    /// answered).
    pub written: bool,
}

/// Runs cycles of one collector against the shared store.
pub struct FleetRunner {
    config: FleetConfig,
    store: Arc<FleetStore>,
    poller: Arc<Poller>,
    token: String,
    metrics: Option<FleetMetrics>,
    latest: Arc<Latest>,
    notifier: OnceLock<Notifier>,
    /// Each target's last poll error (`None`: answered), so that a failing target is logged
    /// when it starts failing or its reason changes, not at every poll.
    errors: Mutex<HashMap<String, Option<String>>>,
    /// While this runner holds the lease (the targets' notified states restored from the
    /// database): when the lease it last renewed expires, at the latest. Past that, another
    /// collector may have held it in between, and a renewal is a take-over.
    holding: Mutex<Option<Instant>>,
    /// What the database holds of each target's notified state, as this runner last read or
    /// wrote it.
    saved: Mutex<HashMap<String, Notified>>,
}

impl FleetRunner {
    /// A runner of `config` over `store`, with a holder token of its own and no metrics.
    pub fn new(config: FleetConfig, store: Arc<FleetStore>) -> Self {
        let latest = Arc::new(Latest::new(
            config.targets.iter().map(|t| t.name.clone()).collect(),
            config.interval,
        ));
        Self {
            poller: Arc::new(Poller::new(&config)),
            config,
            store,
            token: new_token(),
            metrics: None,
            latest,
            notifier: OnceLock::new(),
            errors: Mutex::new(HashMap::new()),
            holding: Mutex::new(None),
            saved: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn with_metrics(mut self, metrics: FleetMetrics, latest: Arc<Latest>) -> Self {
        self.metrics = Some(metrics);
        self.latest = latest;
        self
    }

    /// Tells `notifier` about every poll from now on (the kernel's, when notifications are
    /// configured).
    pub fn notify(&self, notifier: Notifier) {
        let _ = self.notifier.set(notifier);
    }

    /// How long a lease lasts: three intervals, renewed every cycle.
    pub fn lease(&self) -> Duration {
        self.config.interval * 3
    }

    fn store_error(&self, what: &str, e: &StoreError) {
        tracing::warn!(error = %e, "fleet view: {what} failed");
        if let Some(m) = &self.metrics {
            m.store_errors.inc();
        }
    }

    fn set_poller(&self, held: bool) {
        if let Some(m) = &self.metrics {
            m.poller.set(if held { 1.0 } else { 0.0 });
        }
    }

    /// One cycle.
    pub async fn cycle(&self) -> CycleReport {
        let mut report = CycleReport::default();
        if let Err(e) = self.store.migrate().await {
            self.store_error("creating its tables", &e);
            self.set_poller(false);
            return report;
        }
        let claimed_at = Instant::now();
        match self.store.claim(&self.token, self.lease()).await {
            Ok(held) => report.held = held,
            Err(e) => {
                self.store_error("taking the lease", &e);
                self.set_poller(false);
                return report;
            }
        }
        self.set_poller(report.held);
        if !report.held {
            self.hand_over();
            self.follow().await;
            return report;
        }
        if !self.still_holding() && !self.take_over().await {
            return report;
        }
        self.hold_until(claimed_at + self.lease());
        let polls = self.poller.poll_all().await;
        report.polls = polls.len();
        for p in &polls {
            if let Some(m) = &self.metrics {
                m.record(p);
            }
            self.log_change(p);
        }
        let cutoff =
            unix_ms(SystemTime::now()).saturating_sub(self.config.retention.as_millis() as u64);
        match self
            .store
            .record(&self.token, self.lease(), &polls, cutoff)
            .await
        {
            Ok(true) => {
                report.written = true;
                for p in &polls {
                    self.latest.set(&p.target, p.status(), p.at_ms);
                    observe_poll(self.notifier.get(), p);
                }
                self.save_notified().await;
            }
            Ok(false) => {
                tracing::warn!(
                    "fleet view: the lease was taken over during the cycle; its polls were dropped"
                );
                self.hand_over();
                self.set_poller(false);
            }
            Err(e) => {
                self.store_error("writing the polls", &e);
                // Held but not written: let another collector, which may write, take over now
                // rather than this one renewing a lease it makes no use of, cycle after cycle.
                self.release().await;
                self.set_poller(false);
            }
        }
        report
    }

    /// Having just taken the lease: restores what the last holder notified of each target, so
    /// that this one tells a recovery from a `down` it did not send and sends no second `down`.
    /// A failed read gives the lease back (nobody polls without knowing what was notified);
    /// returns whether the cycle may go on.
    async fn take_over(&self) -> bool {
        let Some(notifier) = self.notifier.get() else {
            return true;
        };
        match self.store.notified(&self.names()).await {
            Ok(rows) => {
                let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
                saved.clear();
                for t in &self.config.targets {
                    let subject = Subject::target(t.name.as_str());
                    match rows.iter().find(|(name, _)| *name == t.name) {
                        Some((_, n)) => {
                            notifier.restore(subject, *n);
                            saved.insert(t.name.clone(), *n);
                        }
                        None => notifier.forget(&subject),
                    }
                }
                true
            }
            Err(e) => {
                self.store_error("reading what was notified", &e);
                self.release().await;
                self.set_poller(false);
                false
            }
        }
    }

    fn names(&self) -> Vec<&str> {
        self.config
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect()
    }

    /// Having lost or given up the lease: forgets the targets' notified states, which the next
    /// holder keeps from now on (and this one reads again if it takes the lease back).
    fn hand_over(&self) {
        if self
            .holding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_none()
        {
            return;
        }
        if let Some(notifier) = self.notifier.get() {
            for t in &self.config.targets {
                notifier.forget(&Subject::target(t.name.as_str()));
            }
        }
        self.saved.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Whether this runner has held the lease since it last restored the notified states.
    fn still_holding(&self) -> bool {
        let holding = self.holding.lock().unwrap_or_else(|e| e.into_inner());
        holding.is_some_and(|until| Instant::now() < until)
    }

    fn hold_until(&self, until: Instant) {
        *self.holding.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    /// Writes the targets' notified states that changed since last saved (none, mostly). A
    /// failed write is retried at the next cycle; a lost lease hands the targets over.
    pub(crate) async fn save_notified(&self) {
        let Some(notifier) = self.notifier.get() else {
            return;
        };
        if !self.still_holding() {
            return;
        }
        let changed: Vec<(String, Notified)> = {
            let saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
            self.config
                .targets
                .iter()
                .filter_map(|t| {
                    let n = notifier.notified(&Subject::target(t.name.as_str()))?;
                    let before = saved.get(&t.name).copied().unwrap_or_default();
                    (n != before).then(|| (t.name.clone(), n))
                })
                .collect()
        };
        if changed.is_empty() {
            return;
        }
        match self
            .store
            .save_notified(&self.token, self.lease(), &changed)
            .await
        {
            Ok(true) => {
                let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
                saved.extend(changed);
            }
            Ok(false) => {
                self.hand_over();
                self.set_poller(false);
            }
            Err(e) => self.store_error("writing what was notified", &e),
        }
    }

    fn log_change(&self, p: &crate::Poll) {
        let now = p.error().map(str::to_owned);
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        let before = errors.insert(p.target.clone(), now.clone()).flatten();
        match (before, now) {
            (b, Some(e)) if b.as_deref() != Some(e.as_str()) => {
                tracing::warn!(target_name = %p.target, url = %p.url, "fleet poll failed: {e}");
            }
            (Some(_), None) => {
                tracing::info!(target_name = %p.target, url = %p.url, "fleet poll answered again");
            }
            _ => {}
        }
    }

    /// Without the lease: the targets' latest state from the database, for the metrics.
    async fn follow(&self) {
        match self.store.latest().await {
            Ok(rows) => {
                for (name, status, at) in rows {
                    self.latest.set(&name, status, at);
                }
            }
            Err(e) => self.store_error("reading the targets", &e),
        }
    }

    /// Gives the lease up, so that another collector polls at once (and hands the targets'
    /// notified states over to it).
    pub async fn release(&self) {
        self.hand_over();
        if let Err(e) = self.store.release(&self.token).await {
            self.store_error("releasing the lease", &e);
        }
    }

    /// The longest a cycle may take before it is cancelled: the poll timeout and a margin, plus
    /// seven database calls' deadlines (migrations, lease, notified states read, polls written,
    /// notified states written, release, and a spare).
    fn cycle_limit(&self) -> Duration {
        self.config.timeout + Duration::from_secs(1) + self.config.store_timeout * 7
    }

    /// Runs a cycle every interval until the task is aborted. Each cycle is its own task:
    /// one that panics, is cancelled or overruns its limit is reported and the loop goes on.
    pub async fn run(self: Arc<Self>) {
        let (interval, limit) = (self.config.interval, self.cycle_limit());
        supervise(interval, limit, move || {
            let me = self.clone();
            async move {
                me.cycle().await;
            }
        })
        .await;
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `cycle` every `interval`, each run a task of its own cancelled after `limit`: a run that
/// panics, is cancelled or overruns is logged, and the next one starts on time.
async fn supervise<F, Fut>(interval: Duration, limit: Duration, cycle: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Aborted with the loop, too: a stopped collector's cycle claims nothing more.
        let mut task = AbortOnDrop(tokio::spawn(cycle()));
        match tokio::time::timeout(limit, &mut task.0).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "fleet cycle ended early"),
            Err(_) => tracing::error!("fleet cycle overran {limit:?}; cancelled"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn the_loop_outlives_a_panicking_a_hanging_and_an_aborted_cycle() {
        let runs = Arc::new(AtomicU32::new(0));
        let finished = Arc::new(AtomicU32::new(0));
        let (r, f) = (runs.clone(), finished.clone());
        let l = tokio::spawn(supervise(
            Duration::from_secs(1),
            Duration::from_millis(500),
            move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                let f = f.clone();
                async move {
                    match n % 3 {
                        0 => panic!("cycle {n} panics"),
                        1 => std::future::pending::<()>().await, // hangs: cancelled at 500 ms
                        _ => {
                            f.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            },
        ));
        tokio::time::sleep(Duration::from_millis(5_500)).await;
        // Ticks at 0 s, 1 s … 5 s: six runs, two of them (2 and 5) finishing.
        assert_eq!(runs.load(Ordering::SeqCst), 6);
        assert_eq!(finished.load(Ordering::SeqCst), 2);
        assert!(!l.is_finished());
        l.abort();
    }
}
