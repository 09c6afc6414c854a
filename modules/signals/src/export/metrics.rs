//! The pull export: the aggregate as gauges on `/metrics`, reused for the scrape TTL. What is
//! not known is absent: a signal no live publisher publishes has no series, and a failed or
//! late aggregation leaves `vitals_signals_up 0` and nothing else.
use crate::cluster::{ClusterFigures, Derived, Source, WINDOWS};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vitals::metrics::{Collect, CollectedFamily};

pub(crate) struct SignalsFamilies {
    source: Arc<Source>,
    ttl: Duration,
    timeout: Duration,
    failing: AtomicBool,
}

impl SignalsFamilies {
    pub(crate) fn new(source: Arc<Source>, ttl: Duration, timeout: Duration) -> Self {
        Self {
            source,
            ttl,
            timeout,
            failing: AtomicBool::new(false),
        }
    }
}

/// Values of the `percentile` label (`quantile` is reserved for summaries).
const PERCENTILES: [&str; 3] = ["50", "95", "99"];

/// The families of the cluster figures (and `vitals_signals_up`).
pub(crate) fn families(snap: Option<&ClusterFigures>) -> Vec<CollectedFamily> {
    let mut up = CollectedFamily::gauge(
        "vitals_signals_up",
        "1 when the last aggregation of the signals read Redis, 0 when it failed.",
        &[],
    );
    up.push(&[], if snap.is_some() { 1.0 } else { 0.0 });
    let Some(snap) = snap else { return vec![up] };
    let mut cut = CollectedFamily::gauge(
        "vitals_signals_names_left_out",
        "Live signal names the last aggregation left out: past 256 of a kind.",
        &[],
    );
    cut.push(&[], snap.cut as f64);
    let mut value = CollectedFamily::gauge(
        "vitals_signal_value",
        "A signal summed over its live publishers.",
        &["signal"],
    );
    let mut publishers = CollectedFamily::gauge(
        "vitals_signal_publishers",
        "Live publishers counted in a signal's sum.",
        &["signal"],
    );
    let mut max = CollectedFamily::gauge(
        "vitals_signal_max",
        "Maximum of a signal's sum over a rolling window.",
        &["signal", "window"],
    );
    let mut pressure = CollectedFamily::gauge(
        "vitals_signal_queue_pressure_ratio",
        "Queue depth over capacity, summed over publishers.",
        &["signal"],
    );
    let mut utilisation = CollectedFamily::gauge(
        "vitals_signal_pool_utilisation_ratio",
        "Pool connections in use over pool size, summed over publishers.",
        &["signal"],
    );
    for g in &snap.gauges {
        value.push(&[&g.name], g.sum);
        publishers.push(&[&g.name], g.publishers as f64);
        for ((w, _), m) in WINDOWS.iter().zip(g.max) {
            if let Some(m) = m {
                max.push(&[&g.name, w], m);
            }
        }
        match snap.derived(g) {
            Some((Derived::QueuePressure, q, r)) => pressure.push(&[q], r),
            Some((Derived::PoolUtilisation, p, r)) => utilisation.push(&[p], r),
            None => {}
        }
    }
    let mut latency = CollectedFamily::gauge(
        "vitals_signal_latency_seconds",
        "Latency percentile of a signal over a rolling window, from merged sketches (1% relative accuracy).",
        &["signal", "window", "percentile"],
    );
    let mut observations = CollectedFamily::gauge(
        "vitals_signal_latency_observations",
        "Latency observations of a signal in a rolling window.",
        &["signal", "window"],
    );
    for l in &snap.latencies {
        for (i, (w, _)) in WINDOWS.iter().enumerate().take(snap.windows()) {
            let (count, qs) = l.windows[i];
            observations.push(&[&l.name, w], count as f64);
            if let Some(qs) = qs {
                for (q, v) in PERCENTILES.iter().zip(qs) {
                    latency.push(&[&l.name, w, q], v);
                }
            }
        }
    }
    vec![
        up,
        cut,
        value,
        publishers,
        max,
        pressure,
        utilisation,
        latency,
        observations,
    ]
}

#[async_trait::async_trait]
impl Collect for SignalsFamilies {
    fn name(&self) -> &str {
        "signals"
    }

    fn ttl(&self) -> Duration {
        self.ttl
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        // Logged once per change between working and failing, not once per scrape.
        match self.source.read().await {
            Ok(snap) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("signals aggregation works again");
                }
                Ok(families(Some(&snap)))
            }
            Err(e) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "signals aggregation fails: only vitals_signals_up 0 is served");
                }
                Ok(families(None))
            }
        }
    }

    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        Some(families(None))
    }
}
