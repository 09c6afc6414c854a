use prometheus::IntCounter;
use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// A family's cardinality budget: admits at most `limit` distinct label sets; the rest are told
/// to use the overflow series, and each such use counts in `vitals_series_overflow_total{family}`.
///
/// ```
/// let recorder = vitals_prometheus::PrometheusRecorder::new();
/// let budget = recorder.series_budget("demo_total", 2);
/// assert!(budget.admit(&["a"]));
/// assert!(budget.admit(&["b"]));
/// assert!(budget.admit(&["a"])); // already admitted
/// assert!(!budget.admit(&["c"])); // over budget
/// ```
#[derive(Debug)]
pub struct SeriesBudget {
    limit: usize,
    seen: Mutex<HashSet<u64>>,
    overflow: IntCounter,
}

impl SeriesBudget {
    pub(crate) fn new(limit: usize, overflow: IntCounter) -> Self {
        Self {
            limit,
            seen: Mutex::default(),
            overflow,
        }
    }

    /// The most label sets admitted.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether this label set may have its own series (it was admitted before, or there is room).
    /// A refusal counts one overflow.
    pub fn admit<V: AsRef<str>>(&self, values: &[V]) -> bool {
        let mut h = DefaultHasher::new();
        for v in values {
            v.as_ref().hash(&mut h);
        }
        let key = h.finish();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(&key) {
            return true;
        }
        if seen.len() < self.limit {
            seen.insert(key);
            return true;
        }
        drop(seen);
        self.overflow.inc();
        false
    }

    /// Counts one more observation folded into the overflow series.
    pub fn count_overflow(&self) {
        self.overflow.inc();
    }
}
