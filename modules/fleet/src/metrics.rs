//! The fleet view's metrics: each target's status as of its last poll (absent before the first
//! one and once it is older than three intervals), polls by result, poll durations, store
//! errors, and whether this collector is the one polling. Label values are target names from
//! the configuration, so the series are bounded by it.
use crate::Poll;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vitals::Error;
use vitals::metrics::{
    Collect, CollectedFamily, Counter, CounterFamily, Gauge, HistogramFamily, Metrics,
};
use vitals_status::{Word, unix_ms};

/// Poll-duration buckets (seconds).
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The instruments the poller records into.
#[derive(Clone)]
pub(crate) struct FleetMetrics {
    polls: CounterFamily,
    durations: HistogramFamily,
    pub(crate) store_errors: Counter,
    pub(crate) poller: Gauge,
}

/// 1 for pass, 0.5 for warn, 0 for fail.
pub(crate) fn status_value(w: Word) -> f64 {
    match w {
        Word::Pass => 1.0,
        Word::Warn => 0.5,
        Word::Fail => 0.0,
    }
}

impl FleetMetrics {
    pub(crate) fn register(m: &Metrics, latest: Arc<Latest>) -> Result<Self, Error> {
        m.add_collector(StatusCollector { latest })?;
        Ok(Self {
            polls: m.counter_vec(
                "vitals_fleet_polls_total",
                "Polls of the fleet's status documents by target and result (ok: a document was read; error: refused, timed out, non-2xx or not a document).",
                &["target", "result"],
            )?,
            durations: m.histogram_vec(
                "vitals_fleet_poll_duration_seconds",
                "Time one poll of a target's status document took.",
                &["target"],
                Some(BUCKETS.to_vec()),
            )?,
            store_errors: m.counter(
                "vitals_fleet_store_errors_total",
                "Failed or late calls of the fleet view to its database (migrations, lease, writes, page reads).",
            )?,
            poller: m.gauge(
                "vitals_fleet_poller",
                "1 while this collector holds the fleet view's lease and polls; 0 while another one does (or the database cannot be reached).",
            )?,
        })
    }

    pub(crate) fn record(&self, p: &Poll) {
        let result = if p.outcome.is_ok() { "ok" } else { "error" };
        self.polls.with_label_values(&[&p.target, result]).inc();
        self.durations
            .with_label_values(&[&p.target])
            .observe(p.duration.as_secs_f64());
    }
}

/// Each target's status at its last poll and when it was (Unix ms), in configuration order.
pub(crate) struct Latest {
    names: Vec<String>,
    slots: Mutex<Vec<Option<(Word, u64)>>>,
    stale_after: Duration,
}

impl Latest {
    pub(crate) fn new(names: Vec<String>, interval: Duration) -> Self {
        let slots = Mutex::new(vec![None; names.len()]);
        Self {
            names,
            slots,
            stale_after: interval * 3,
        }
    }

    /// Records `target`'s status at `at_ms`, unless a later one is known.
    pub(crate) fn set(&self, target: &str, status: Word, at_ms: u64) {
        let Some(i) = self.names.iter().position(|n| n == target) else {
            return;
        };
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots[i].is_none_or(|(_, at)| at <= at_ms) {
            slots[i] = Some((status, at_ms));
        }
    }

    /// `(target, value)` of every target polled within three intervals of `now_ms`.
    pub(crate) fn fresh(&self, now_ms: u64) -> Vec<(String, f64)> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        self.names
            .iter()
            .zip(slots.iter())
            .filter_map(|(n, s)| {
                let (w, at) = (*s)?;
                recent(at, now_ms, self.stale_after).then(|| (n.clone(), status_value(w)))
            })
            .collect()
    }
}

/// Whether a poll at `at_ms` is within `window` of `now_ms`, on either side: a poll stamped
/// ahead of this clock (another collector's clock ahead of this one's) is not fresh for longer
/// than the window either.
pub(crate) fn recent(at_ms: u64, now_ms: u64, window: Duration) -> bool {
    u128::from(now_ms.abs_diff(at_ms)) <= window.as_millis()
}

struct StatusCollector {
    latest: Arc<Latest>,
}

impl StatusCollector {
    fn family(&self) -> CollectedFamily {
        let mut f = CollectedFamily::gauge(
            "vitals_fleet_target_status",
            "Status of each polled service at its last poll: 1 pass, 0.5 warn, 0 fail or unreachable; absent before the first poll and once the last poll is older than three poll intervals.",
            &["target"],
        );
        for (name, v) in self.latest.fresh(unix_ms(std::time::SystemTime::now())) {
            f.push(&[&name], v);
        }
        f
    }
}

#[vitals::async_trait]
impl Collect for StatusCollector {
    fn name(&self) -> &str {
        "fleet_status"
    }

    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        Ok(vec![self.family()])
    }

    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        Some(vec![self.family()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_absent_before_the_first_poll_and_once_stale() {
        let l = Latest::new(vec!["api".into(), "jobs".into()], Duration::from_secs(1));
        assert!(l.fresh(10_000).is_empty());
        l.set("api", Word::Warn, 10_000);
        l.set("api", Word::Pass, 9_000); // older: ignored
        l.set("nobody", Word::Pass, 10_000);
        assert_eq!(l.fresh(12_000), [("api".to_owned(), 0.5)]);
        assert_eq!(l.fresh(13_000), [("api".to_owned(), 0.5)]);
        assert!(l.fresh(13_001).is_empty());
    }

    #[test]
    fn a_status_stamped_ahead_of_this_clock_is_fresh_for_three_intervals_only() {
        let l = Latest::new(vec!["api".into()], Duration::from_secs(1));
        // Written by a collector whose clock is an hour ahead, then polls stop.
        l.set("api", Word::Pass, 3_600_000);
        assert_eq!(l.fresh(3_597_000), [("api".to_owned(), 1.0)]);
        assert!(l.fresh(3_596_999).is_empty());
        assert!(l.fresh(10_000).is_empty());
    }
}
