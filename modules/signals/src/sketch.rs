//! A mergeable quantile sketch (DDSketch) with one fixed relative accuracy everywhere, so the
//! per-process, per-minute sketches in Redis merge into any window.
use sketches_ddsketch::{Config, DDSketch};

/// Relative accuracy of every sketch: a quantile estimate `q̂` of a true value `q` satisfies
/// `|q̂ − q| ≤ 1% · q`.
pub const RELATIVE_ACCURACY: f64 = 0.01;

/// Upper bound of the sketch's bins (stored values beyond it fold into the last bin).
const MAX_BINS: u32 = 2048;

/// Observations of one signal (seconds, or any positive quantity).
#[derive(Clone)]
pub struct Sketch(DDSketch);

impl Default for Sketch {
    fn default() -> Self {
        Self(DDSketch::new(Config::new(
            RELATIVE_ACCURACY,
            MAX_BINS,
            1.0e-9,
        )))
    }
}

impl Sketch {
    /// Adds one observation; negative and non-finite values are ignored.
    pub fn add(&mut self, v: f64) {
        if v.is_finite() && v >= 0.0 {
            self.0.add(v);
        }
    }

    /// Number of observations.
    pub fn count(&self) -> usize {
        self.0.count()
    }

    /// Merges `other` in (both have the same accuracy by construction).
    pub fn merge(&mut self, other: &Sketch) {
        // Same Config everywhere: merge cannot fail.
        let _ = self.0.merge(&other.0);
    }

    /// The `q` quantile (0..=1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.0.quantile(q).ok().flatten()
    }

    /// Serialized form stored in Redis.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.0).unwrap_or_default()
    }

    /// Parses a stored sketch; `None` for anything not written by [`Sketch::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        serde_json::from_slice(b).ok().map(Self)
    }
}

/// The reference sample sets of the accuracy test and the publishing bench, 10,000 values
/// each: uniform (1 ms to 10 s), long-tailed (Pareto α = 1.5 from 10 ms, by inverse transform
/// over evenly spaced probabilities), bimodal (80% around 2 ms, 20% around 300 ms).
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

    /// Exact quantile of sorted data, nearest rank (what DDSketch estimates).
    fn exact(sorted: &[f64], q: f64) -> f64 {
        let rank = (q * (sorted.len() - 1) as f64).floor() as usize;
        sorted[rank]
    }

    fn check(name: &str, mut data: Vec<f64>, parts: usize) {
        // Split over `parts` sketches (publishers), serialized and merged as the aggregator does.
        let mut merged = Sketch::default();
        for chunk in data.chunks(data.len().div_ceil(parts)) {
            let mut s = Sketch::default();
            chunk.iter().for_each(|v| s.add(*v));
            merged.merge(&Sketch::from_bytes(&s.to_bytes()).unwrap());
        }
        data.sort_by(f64::total_cmp);
        assert_eq!(merged.count(), data.len());
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
}
