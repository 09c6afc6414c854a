//! What an aggregation yields: the cluster-wide gauges and latency windows at one instant.

/// The rolling windows: label and length in minutes.
pub const WINDOWS: [(&str, u64); 3] = [("1m", 1), ("15m", 15), ("1h", 60)];

/// Most signals of each kind read from one tenant/project: keeps label values bounded. Dead
/// names are pruned before the limit applies, so it never keeps a dead signal over a live one.
pub const MAX_SIGNALS: usize = 256;

/// One gauge summed over live publishers.
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeSignal {
    /// Signal name.
    pub name: String,
    /// Sum over the live publishers (flushed within the max age) that publish it.
    pub sum: f64,
    /// How many publishers the sum counts.
    pub publishers: usize,
    /// Maximum of the sum over each of [`WINDOWS`], in that order; `None` where the source
    /// keeps no history (proxy mode).
    pub max: [Option<f64>; 3],
}

/// One latency signal's percentiles per window.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySignal {
    /// Signal name.
    pub name: String,
    /// Per window of [`WINDOWS`]: observation count and p50, p95, p99 (`None` when empty).
    /// Only the first [`ClusterFigures::windows`] are meaningful.
    pub windows: [(u64, Option<[f64; 3]>); 3],
}

/// Everything an export needs, read at one instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterFigures {
    /// Gauges, by name.
    pub gauges: Vec<GaugeSignal>,
    /// Latencies, by name.
    pub latencies: Vec<LatencySignal>,
    /// Whether the source keeps history: windows beyond the first and the maxima exist
    /// (Redis), or not (proxy mode, which sees each service's present only).
    pub history: bool,
    /// Live names the [`MAX_SIGNALS`] limit left out.
    pub cut: usize,
}

impl ClusterFigures {
    /// How many of [`WINDOWS`] the source knows.
    pub fn windows(&self) -> usize {
        if self.history { WINDOWS.len() } else { 1 }
    }

    /// A gauge by name.
    pub fn gauge(&self, name: &str) -> Option<&GaugeSignal> {
        self.gauges.iter().find(|g| g.name == name)
    }

    /// A latency by name.
    pub fn latency(&self, name: &str) -> Option<&LatencySignal> {
        self.latencies.iter().find(|l| l.name == name)
    }

    /// `numerator / denominator` of two summed gauges (queue pressure, pool utilisation);
    /// `None` when either is missing or the denominator is not positive.
    pub fn ratio(&self, numerator: &str, denominator: &str) -> Option<f64> {
        let (n, d) = (self.gauge(numerator)?.sum, self.gauge(denominator)?.sum);
        (d > 0.0).then(|| n / d)
    }

    /// The ratio gauge `g` heads, if any, with the queue's or pool's name: `<q>.depth` over
    /// `<q>.capacity` (queue pressure), `<p>.in_use` over `<p>.size` (pool utilisation).
    pub fn derived<'a>(&self, g: &'a GaugeSignal) -> Option<(Derived, &'a str, f64)> {
        [
            (Derived::QueuePressure, ".depth", ".capacity"),
            (Derived::PoolUtilisation, ".in_use", ".size"),
        ]
        .into_iter()
        .find_map(|(kind, numerator, denominator)| {
            let base = g.name.strip_suffix(numerator)?;
            let r = self.ratio(&g.name, &format!("{base}{denominator}"))?;
            Some((kind, base, r))
        })
    }
}

/// A ratio of two summed gauges (see [`ClusterFigures::derived`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// Queue depth over capacity.
    QueuePressure,
    /// Pool connections in use over pool size.
    PoolUtilisation,
}
