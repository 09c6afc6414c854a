use crate::entry::{Entry, EntryContext};
use crate::{CheckReport, HealthReport, Reading, RegistryConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use vitals::{CheckOutcome, Dependency, Error, HealthChecker, HealthGroup, HealthRegistrar};
use vitals::{HealthStatus, StatusAggregator};

/// The kernel's health registry: thread-safe registration, concurrent group runs.
///
/// Cloning shares the registry.
#[derive(Clone)]
pub struct HealthRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    config: RegistryConfig,
    entries: RwLock<Vec<Arc<Entry>>>,
    shutting_down: AtomicBool,
    background: Mutex<Option<Background>>,
    /// Bumped whenever what the probes report may have changed (see `snapshot.rs`).
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

struct Background {
    runtime: tokio::runtime::Handle,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Latest state of one check, for metrics.
#[derive(Debug, Clone)]
pub struct CheckState {
    /// The check's name.
    pub name: String,
    /// Its groups.
    pub groups: Vec<HealthGroup>,
    /// Its latest reading, if it has run.
    pub reading: Option<Arc<Reading>>,
    /// The status the probes report for it now: the reading's, or unhealthy when the reading is
    /// older than background mode's staleness limit; `None` before the first reading.
    pub status: Option<HealthStatus>,
}

impl Default for HealthRegistry {
    fn default() -> Self {
        Self::new(RegistryConfig::default())
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.'))
}

/// Whether `name` addresses a built-in group (every name [`HealthGroup::parse`] maps to one, which
/// the probe paths' segments are) or is `health`, the `/health` path's own segment.
fn reserved(name: &str) -> bool {
    name == "health" || !matches!(HealthGroup::parse(name), HealthGroup::Custom(_))
}

fn check_group(group: &HealthGroup) -> Result<(), Error> {
    let HealthGroup::Custom(name) = group else {
        return Ok(());
    };
    let reason = if reserved(name) {
        "the name belongs to a built-in group; use HealthGroup::Liveness, Readiness or Startup"
    } else if !valid_name(name) {
        "use 1 to 128 lower-case letters, digits, '_', '-' or '.'"
    } else {
        return Ok(());
    };
    Err(Error::InvalidGroupName {
        name: name.to_string(),
        reason,
    })
}

impl HealthRegistry {
    /// An empty registry with the given configuration.
    pub fn new(config: RegistryConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                entries: RwLock::default(),
                shutting_down: AtomicBool::new(false),
                background: Mutex::default(),
                changes: Arc::new(tokio::sync::watch::Sender::new(0)),
            }),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RegistryConfig {
        &self.inner.config
    }

    fn entries(&self) -> Vec<Arc<Entry>> {
        self.inner
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Adds a checker, validating its name, groups and dependency first.
    ///
    /// # Errors
    /// See [`HealthRegistrar::register`].
    pub fn add(&self, checker: Arc<dyn HealthChecker>) -> Result<(), Error> {
        let name = checker.name().to_owned();
        if !valid_name(&name) {
            return Err(Error::InvalidCheckName { name });
        }
        let config = &self.inner.config;
        let entry = Arc::new(Entry::new(
            checker,
            EntryContext {
                default_timeout: config.default_timeout,
                damping: config.damping,
                observers: config.observers.clone(),
                changes: self.inner.changes.clone(),
                max_staleness: config.background.map(|b| b.max_staleness),
            },
        ));
        if entry.groups.is_empty() {
            return Err(Error::NoGroup { name });
        }
        for group in &entry.groups {
            check_group(group)?;
        }
        if let Some(bg) = &self.inner.config.background
            && let Some(reason) = staleness_conflict(bg, entry.timeout)
        {
            return Err(Error::InvalidCheck { name, reason });
        }
        if entry.in_group(&HealthGroup::Liveness)
            && entry.checker.dependency() == Dependency::External
        {
            return Err(Error::ExternalInLiveness { name });
        }
        {
            let mut entries = self
                .inner
                .entries
                .write()
                .unwrap_or_else(|e| e.into_inner());
            if entries.iter().any(|e| e.name == name) {
                return Err(Error::DuplicateCheck { name });
            }
            entries.push(entry.clone());
        }
        self.bump();
        let mut bg = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(bg) = bg.as_mut() {
            let task = self.spawn_refresher(&bg.runtime, entry);
            bg.tasks.push(task);
        }
        Ok(())
    }

    /// Whether any check belongs to `group`.
    pub fn has_group(&self, group: &HealthGroup) -> bool {
        self.entries().iter().any(|e| e.in_group(group))
    }

    /// Every check's latest reading and the status probes report for it (runs nothing).
    pub fn states(&self) -> Vec<CheckState> {
        self.entries()
            .iter()
            .map(|e| {
                let reading = e.last();
                let status = reading.as_ref().map(|r| match self.stale(r) {
                    Some(_) => HealthStatus::Unhealthy,
                    None => r.status,
                });
                CheckState {
                    name: e.name.clone(),
                    groups: e.groups.clone(),
                    reading,
                    status,
                }
            })
            .collect()
    }

    /// Why `reading` is too old to trust, in background mode.
    fn stale(&self, reading: &Reading) -> Option<String> {
        let bg = self.inner.config.background.as_ref()?;
        (reading.age() > bg.max_staleness).then(|| {
            format!(
                "stale: last reading {} old (max {})",
                humantime::format_duration(round_ms(reading.age())),
                humantime::format_duration(bg.max_staleness)
            )
        })
    }

    /// From now on readiness fails: the process is draining before exit.
    pub fn begin_shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        self.bump();
    }

    /// Whether [`begin_shutdown`](Self::begin_shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// Runs (or reads, in background mode) every check of `group` except those named in
    /// `exclude`, concurrently, and aggregates them.
    pub async fn run_group(&self, group: &HealthGroup, exclude: &[String]) -> HealthReport {
        let in_group: Vec<_> = self
            .entries()
            .into_iter()
            .filter(|e| e.in_group(group))
            .collect();
        let unknown_excludes = exclude
            .iter()
            .filter(|x| !in_group.iter().any(|e| &e.name == *x))
            .cloned()
            .collect();
        let (excluded, run): (Vec<_>, Vec<_>) = in_group
            .into_iter()
            .partition(|e| exclude.contains(&e.name));
        let checks = futures_util::future::join_all(run.iter().map(|e| self.check_report(e))).await;
        let aggregator: &dyn StatusAggregator = &*self.inner.config.aggregator;
        let mut status = aggregator.aggregate(&mut checks.iter().map(|c| (c.status, c.critical)));
        let shutting_down = *group == HealthGroup::Readiness && self.is_shutting_down();
        if shutting_down {
            status = HealthStatus::Unhealthy;
        }
        HealthReport {
            group: group.clone(),
            status,
            checks,
            excluded: excluded.iter().map(|e| e.name.clone()).collect(),
            unknown_excludes,
            shutting_down,
        }
    }

    /// Runs one check of `group`; `None` when no such check is in the group. The report's status
    /// is the check's own, whether or not it is critical.
    pub async fn run_check(&self, group: &HealthGroup, name: &str) -> Option<HealthReport> {
        let entry = self
            .entries()
            .into_iter()
            .find(|e| e.name == name && e.in_group(group))?;
        let check = self.check_report(&entry).await;
        let shutting_down = *group == HealthGroup::Readiness && self.is_shutting_down();
        Some(HealthReport {
            group: group.clone(),
            status: if shutting_down {
                HealthStatus::Unhealthy
            } else {
                check.status
            },
            checks: vec![check],
            excluded: Vec::new(),
            unknown_excludes: Vec::new(),
            shutting_down,
        })
    }

    async fn check_report(&self, entry: &Arc<Entry>) -> CheckReport {
        let reading = match &self.inner.config.background {
            None => Some(entry.fresh().await),
            Some(_) => entry.last(),
        };
        let mut report = match &reading {
            Some(r) => CheckReport {
                name: entry.name.clone(),
                status: r.status,
                critical: entry.critical,
                outcome: r.outcome.clone(),
                duration: r.duration,
                at: Some(r.at),
            },
            None => CheckReport {
                name: entry.name.clone(),
                status: HealthStatus::Unhealthy,
                critical: entry.critical,
                outcome: CheckOutcome::unhealthy("pending: no reading yet"),
                duration: std::time::Duration::ZERO,
                at: None,
            },
        };
        if let Some(reason) = reading.as_ref().and_then(|r| self.stale(r)) {
            report.status = HealthStatus::Unhealthy;
            report.outcome = CheckOutcome::unhealthy(reason);
        }
        report
    }

    /// Starts background mode (if configured): every check runs now and then every interval,
    /// on the current tokio runtime. Checks added later get their own loop. Idempotent.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start_background(&self) {
        if self.inner.config.background.is_none() {
            return;
        }
        let mut bg = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if bg.is_some() {
            return;
        }
        let runtime = tokio::runtime::Handle::current();
        let tasks = self
            .entries()
            .into_iter()
            .map(|e| self.spawn_refresher(&runtime, e))
            .collect();
        *bg = Some(Background { runtime, tasks });
    }

    /// Stops the background loops.
    pub fn stop_background(&self) {
        let bg = self
            .inner
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        for task in bg.into_iter().flat_map(|b| b.tasks) {
            task.abort();
        }
    }

    fn spawn_refresher(
        &self,
        runtime: &tokio::runtime::Handle,
        entry: Arc<Entry>,
    ) -> tokio::task::JoinHandle<()> {
        let interval = self
            .inner
            .config
            .background
            .map(|b| b.interval)
            .unwrap_or_default();
        runtime.spawn(async move {
            loop {
                entry.refresh().await;
                tokio::time::sleep(interval).await;
            }
        })
    }
}

/// Why a check with `timeout` would read stale between two background runs: a reading must stay
/// trusted for an interval plus a whole run.
fn staleness_conflict(
    bg: &crate::BackgroundConfig,
    timeout: std::time::Duration,
) -> Option<String> {
    let needed = bg.interval.saturating_add(timeout);
    (bg.max_staleness <= needed).then(|| {
        format!(
            "its timeout {} plus the background interval {} reaches the max staleness {}: readings would go stale between runs",
            humantime::format_duration(timeout),
            humantime::format_duration(bg.interval),
            humantime::format_duration(bg.max_staleness)
        )
    })
}

fn round_ms(d: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_millis(d.as_millis() as u64)
}

impl HealthRegistrar for HealthRegistry {
    fn register(&self, checker: Arc<dyn HealthChecker>) -> Result<(), Error> {
        self.add(checker)
    }

    fn check_names(&self) -> Vec<String> {
        self.entries().iter().map(|e| e.name.clone()).collect()
    }
}

mod snapshot;
pub use snapshot::{Changes, GroupSnapshot};
#[cfg(test)]
mod tests;
