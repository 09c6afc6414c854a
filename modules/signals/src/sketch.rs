//! A mergeable quantile sketch with a fixed logarithmic bucket mapping (the DDSketch paper's
//! canonical mapping, relative accuracy 1%): a value `v` lands in bucket `⌈log_γ v⌉`, γ = 1.01 /
//! 0.99. Bucket counts add, so sketches merge by adding counts — in memory, or in Redis with
//! `HINCRBY` of bucket indices into one hash per signal per minute (ADR 0014): a read costs the
//! number of buckets, whatever the number of publishers or flushes.

/// Relative accuracy of every sketch: a quantile estimate `q̂` of a true value `q` satisfies
/// `|q̂ − q| ≤ 1% · q`.
pub const RELATIVE_ACCURACY: f64 = 0.01;

/// Values below this (zero included) count in the zero bucket; values above the top bucket's
/// range fold into it. 1 ns to ~11.6 days in seconds: 1,728 buckets at the most.
const MIN_VALUE: f64 = 1.0e-9;
/// Lowest and highest bucket index: `⌈log_γ 1e-9⌉` and `⌈log_γ 1e6⌉`.
pub(crate) const MIN_INDEX: i32 = -1036;
pub(crate) const MAX_INDEX: i32 = 691;
const BUCKETS: usize = (MAX_INDEX - MIN_INDEX + 1) as usize;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// The bucket of a positive value, clamped to the sketch's range.
pub(crate) fn index(v: f64) -> i32 {
    let i = (v.ln() / gamma().ln()).ceil();
    (i as i32).clamp(MIN_INDEX, MAX_INDEX)
}

/// The value a bucket stands for: within the relative accuracy of every value it holds.
pub(crate) fn value(i: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(i) / (g + 1.0)
}

/// Observations of one signal (seconds, or any positive quantity): a dense array of bucket
/// counts, allocated on the first observation.
#[derive(Clone, Default, Debug, PartialEq)]
pub struct Sketch {
    zero: u64,
    counts: Vec<u64>,
    total: u64,
}

impl Sketch {
    /// Adds one observation; negative and non-finite values are ignored.
    pub fn add(&mut self, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            return;
        }
        self.total += 1;
        if v < MIN_VALUE {
            self.zero += 1;
            return;
        }
        self.add_bucket(index(v), 1);
    }

    /// Empties the sketch, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.zero = 0;
        self.total = 0;
        self.counts.iter_mut().for_each(|c| *c = 0);
    }

    /// Adds `n` observations to bucket `i` (in range: callers validate).
    pub(crate) fn add_bucket(&mut self, i: i32, n: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        let c = &mut self.counts[(i - MIN_INDEX) as usize];
        *c = c.saturating_add(n);
    }

    /// Adds `n` observations to the zero bucket.
    pub(crate) fn add_zero(&mut self, n: u64) {
        self.zero = self.zero.saturating_add(n);
    }

    /// Sets the observation count after [`add_bucket`](Self::add_bucket)/[`add_zero`](Self::add_zero).
    pub(crate) fn recount(&mut self) {
        self.total = self
            .counts
            .iter()
            .fold(self.zero, |t, c| t.saturating_add(*c));
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Merges `other` in.
    pub fn merge(&mut self, other: &Sketch) {
        self.zero = self.zero.saturating_add(other.zero);
        self.total = self.total.saturating_add(other.total);
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
    }

    /// The non-empty buckets, `(index, count)`, and the zero bucket's count.
    pub(crate) fn buckets(&self) -> (u64, impl Iterator<Item = (i32, u64)> + '_) {
        let it = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (i as i32 + MIN_INDEX, *c));
        (self.zero, it)
    }

    /// The Redis hash fields and counts a flush writes for this sketch (`z` is the zero
    /// bucket): for benches that lay down history directly.
    #[doc(hidden)]
    pub fn bucket_counts(&self) -> Vec<(String, u64)> {
        let (zero, buckets) = self.buckets();
        let mut out: Vec<(String, u64)> = buckets.map(|(i, c)| (i.to_string(), c)).collect();
        if zero > 0 {
            out.push(("z".into(), zero));
        }
        out
    }

    /// The `q` quantile (0..=1) by nearest rank, `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = (q * (self.total - 1) as f64).floor() as u64;
        if rank < self.zero {
            return Some(0.0);
        }
        let mut seen = self.zero;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Some(value(i as i32 + MIN_INDEX));
            }
        }
        None
    }
}

/// The reference sample sets of the accuracy test and the benches, 10,000 values each: uniform
/// (1 ms to 10 s), long-tailed (Pareto α = 1.5 from 10 ms, by inverse transform over evenly
/// spaced probabilities), bimodal (80% around 2 ms, 20% around 300 ms).
#[doc(hidden)]
pub fn reference_sets() -> [(&'static str, Vec<f64>); 3] {
    let uniform = (1..=10_000).map(|i| i as f64 / 1000.0).collect();
    let pareto = (0..10_000)
        .map(|i| 0.01 * (1.0 - (i as f64 + 0.5) / 10_000.0).powf(-1.0 / 1.5))
        .collect();
    let bimodal = (0..10_000)
        .map(|i| {
            if i % 10 < 8 {
                0.002 + (i % 97) as f64 * 1e-5
            } else {
                0.3 + (i % 89) as f64 * 1e-3
            }
        })
        .collect();
    [
        ("uniform", uniform),
        ("long-tailed", pareto),
        ("bimodal", bimodal),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact quantile of sorted data, nearest rank (what the sketch estimates).
    fn exact(sorted: &[f64], q: f64) -> f64 {
        let rank = (q * (sorted.len() - 1) as f64).floor() as usize;
        sorted[rank]
    }

    fn check(name: &str, mut data: Vec<f64>, parts: usize) {
        // Split over `parts` sketches (publishers), merged bucket by bucket as Redis does.
        let mut merged = Sketch::default();
        for chunk in data.chunks(data.len().div_ceil(parts)) {
            let mut s = Sketch::default();
            chunk.iter().for_each(|v| s.add(*v));
            let (zero, buckets) = s.buckets();
            let mut copy = Sketch::default();
            copy.add_zero(zero);
            buckets.for_each(|(i, c)| copy.add_bucket(i, c));
            copy.recount();
            merged.merge(&copy);
        }
        data.sort_by(f64::total_cmp);
        assert_eq!(merged.count(), data.len() as u64);
        for q in [0.5, 0.95, 0.99] {
            let (est, truth) = (merged.quantile(q).unwrap(), exact(&data, q));
            let err = (est - truth).abs() / truth;
            assert!(
                err <= RELATIVE_ACCURACY,
                "{name} p{q}: {est} vs {truth} ({err})"
            );
        }
    }

    #[test]
    fn merged_estimates_stay_within_the_relative_accuracy() {
        let [uniform, pareto, bimodal] = reference_sets().map(|(_, v)| v);
        check("uniform", uniform, 3);
        check("long-tailed", pareto, 5);
        check("bimodal", bimodal, 4);
    }

    #[test]
    fn the_range_constants_are_the_buckets_of_its_ends() {
        let g = gamma().ln();
        assert_eq!((MIN_VALUE.ln() / g).ceil() as i32, MIN_INDEX);
        assert_eq!((1.0e6f64.ln() / g).ceil() as i32, MAX_INDEX);
        for v in [MIN_VALUE, 1e-3, 0.25, 1.0, 7.5, 1e5] {
            let err = (value(index(v)) - v).abs() / v;
            assert!(err <= RELATIVE_ACCURACY, "{v}: {err}");
        }
    }

    #[test]
    fn zeros_and_out_of_range_values_are_counted_not_lost() {
        let mut s = Sketch::default();
        s.add(0.0);
        s.add(-1.0);
        s.add(f64::NAN);
        s.add(1e12);
        assert_eq!(s.count(), 2);
        assert_eq!(s.quantile(0.0), Some(0.0));
        assert_eq!(s.quantile(1.0), Some(value(MAX_INDEX)));
        assert_eq!(Sketch::default().quantile(0.5), None);
    }
}
