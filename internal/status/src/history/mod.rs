//! Check history: an observer of check runs that keeps each check's last readings and the last
//! status changes, in memory bounded whatever the number of runs (a fixed ring per check, reasons
//! cut to [`MAX_REASON_BYTES`]), and the status document built from it and the registry.
use crate::{
    CheckDocument, GroupDocument, ReadingDocument, ServiceInfo, StatusDocument, TransitionDocument,
    Word, unix_ms,
};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use vitals::{HealthGroup, HealthStatus};
use vitals_health::{HealthRegistry, Reading, RunObserver};

/// Longest reason kept per reading, in bytes, `…` included (a longer one is cut on a character
/// boundary and `…` appended).
pub const MAX_REASON_BYTES: usize = 256;

/// How much history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryConfig {
    /// Readings kept per check (`VITALS_STATUS_HISTORY`). Defaults to 120.
    pub readings: usize,
    /// Status changes kept, across checks. Defaults to 100.
    pub transitions: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            readings: 120,
            transitions: 100,
        }
    }
}

/// One reading as kept: 32 bytes, plus its reason when not shared with the previous reading.
#[derive(Debug, Clone)]
struct Kept {
    at_ms: u64,
    /// The run's duration in microseconds (saturating at about 71 minutes).
    micros: u32,
    status: Word,
    /// Shared with the previous reading when equal: a check failing the same way for its whole
    /// history keeps one copy.
    reason: Option<Arc<str>>,
}

/// One status change as kept: the check's name and the reason are shared with the ring's, so
/// a change allocates nothing.
#[derive(Debug, Clone)]
struct Change {
    check: Arc<str>,
    from: Option<Word>,
    to: Word,
    at_ms: u64,
    reason: Option<Arc<str>>,
}

#[derive(Default)]
struct Inner {
    checks: HashMap<Arc<str>, VecDeque<Kept>>,
    transitions: VecDeque<Change>,
}

/// Keeps the last readings of every check and the last status changes; a [`RunObserver`].
///
/// Cloning shares the history.
///
/// # Memory
///
/// Bounded whatever the number of runs, linear in the number of checks. Per check: a ring of
/// `readings` entries of 32 bytes allocated at its first run, plus each reading's reason (at
/// most [`MAX_REASON_BYTES`] and a 16-byte header, shared by consecutive equal reasons); across
/// checks: `transitions` changes of 48 bytes, which share names and reasons with the rings. With
/// the default 120 readings (`tests/history_memory.rs`, at 10, 100 and 1,000 checks): about
/// 4.0 KB per passing check or one failing the same way, 36.6 KB per check in the worst case of
/// a distinct 256-byte reason every run; 100,000 more runs add no byte.
#[derive(Clone)]
pub struct CheckHistory {
    config: HistoryConfig,
    inner: Arc<Mutex<Inner>>,
    started_at_ms: u64,
}

/// `reason` as kept: itself when at most [`MAX_REASON_BYTES`], else cut on a character boundary
/// with `…` appended, [`MAX_REASON_BYTES`] at most in all.
fn cut(reason: &str) -> Cow<'_, str> {
    if reason.len() <= MAX_REASON_BYTES {
        return Cow::Borrowed(reason);
    }
    let mut end = MAX_REASON_BYTES - '…'.len_utf8();
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &reason[..end]))
}

/// A run's duration in whole microseconds (rounded, saturating; not a number counts 0).
fn micros(seconds: f64) -> u32 {
    (seconds * 1e6).round() as u32
}

impl CheckHistory {
    /// An empty history (at least one reading and one transition are kept).
    pub fn new(config: HistoryConfig) -> Self {
        Self {
            config: HistoryConfig {
                readings: config.readings.max(1),
                transitions: config.transitions.max(1),
            },
            inner: Arc::default(),
            started_at_ms: unix_ms(SystemTime::now()),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> HistoryConfig {
        self.config
    }

    /// This history as a registry observer.
    pub fn observer(&self) -> Arc<dyn RunObserver> {
        Arc::new(self.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one run (what [`RunObserver::on_run`] does).
    pub fn record(
        &self,
        check: &str,
        status: Word,
        at: SystemTime,
        seconds: f64,
        reason: Option<&str>,
    ) {
        let at_ms = unix_ms(at);
        let mut inner = self.lock();
        let Inner {
            checks,
            transitions,
        } = &mut *inner;
        let ring = match checks.get_mut(check) {
            Some(ring) => ring,
            None => checks
                .entry(Arc::from(check))
                .or_insert_with(|| VecDeque::with_capacity(self.config.readings)),
        };
        let previous = ring.back();
        let reason: Option<Arc<str>> =
            match (reason.map(cut), previous.and_then(|p| p.reason.as_ref())) {
                (Some(r), Some(p)) if **p == *r => Some(p.clone()),
                (Some(r), _) => Some(Arc::from(&*r)),
                (None, _) => None,
            };
        let from = previous.map(|p| p.status);
        let changed = from != Some(status) && (from.is_some() || status != Word::Pass);
        if ring.len() == self.config.readings {
            ring.pop_front();
        }
        ring.push_back(Kept {
            at_ms,
            micros: micros(seconds),
            status,
            reason: reason.clone(),
        });
        if changed && let Some((name, _)) = checks.get_key_value(check) {
            if transitions.len() == self.config.transitions {
                transitions.pop_front();
            }
            transitions.push_back(Change {
                check: name.clone(),
                from,
                to: status,
                at_ms,
                reason,
            });
        }
    }

    /// The status document: every check of `registry` with its kept readings, the groups' status
    /// from the stored readings (runs nothing), the last transitions. Reasons and details only
    /// when `details`.
    pub fn document(
        &self,
        registry: &HealthRegistry,
        service: Option<&ServiceInfo>,
        details: bool,
    ) -> StatusDocument {
        let states = registry.states();
        let mut groups: Vec<HealthGroup> = vec![
            HealthGroup::Liveness,
            HealthGroup::Readiness,
            HealthGroup::Startup,
        ];
        for s in &states {
            for g in &s.groups {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
        }
        let inner = self.lock();
        let checks = states
            .iter()
            .map(|s| {
                let kept = inner.checks.get(s.name.as_str());
                let latest = s.reading.as_ref();
                CheckDocument {
                    name: s.name.clone(),
                    groups: s.groups.iter().map(|g| g.as_str().to_owned()).collect(),
                    status: s.status.map(Word::from),
                    reason: latest.and_then(|r| reason(r, s.status)).filter(|_| details),
                    details: match (details, latest) {
                        (true, Some(r)) => r.outcome.details().clone(),
                        _ => serde_json::Map::new(),
                    },
                    readings: kept
                        .map(|ring| {
                            ring.iter()
                                .map(|k| ReadingDocument {
                                    at_ms: k.at_ms,
                                    status: k.status,
                                    duration_seconds: f64::from(k.micros) / 1e6,
                                    reason: k
                                        .reason
                                        .as_deref()
                                        .filter(|_| details)
                                        .map(str::to_owned),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        let transitions = inner
            .transitions
            .iter()
            .map(|t| TransitionDocument {
                check: t.check.to_string(),
                from: t.from,
                to: t.to,
                at_ms: t.at_ms,
                reason: t.reason.as_deref().filter(|_| details).map(str::to_owned),
            })
            .collect();
        drop(inner);
        StatusDocument {
            service: service.cloned(),
            generated_at_ms: unix_ms(SystemTime::now()),
            started_at_ms: self.started_at_ms,
            status: registry.snapshot(&HealthGroup::Readiness).status.into(),
            details,
            capacity: self.config.readings,
            groups: groups
                .iter()
                .map(|g| GroupDocument {
                    name: g.as_str().to_owned(),
                    status: registry.snapshot(g).status.into(),
                })
                .collect(),
            checks,
            transitions,
        }
    }
}

/// The latest reason of a check: its reading's (cut as kept), or, when the probes report it
/// unhealthy though its reading is not (background mode's staleness), how old that reading is.
fn reason(reading: &Reading, now: Option<HealthStatus>) -> Option<String> {
    if now == Some(HealthStatus::Unhealthy) && reading.status != HealthStatus::Unhealthy {
        return Some(format!(
            "stale: last reading {:.1} s old",
            reading.age().as_secs_f64()
        ));
    }
    reading.outcome.error().map(|r| cut(r).into_owned())
}

impl RunObserver for CheckHistory {
    fn on_run(&self, check: &str, reading: &Reading) {
        self.record(
            check,
            reading.status.into(),
            reading.at,
            reading.duration.as_secs_f64(),
            reading.outcome.error(),
        );
    }
}

#[cfg(test)]
mod tests;
