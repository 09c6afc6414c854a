use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, GaugeVec, IntCounter, Opts};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::Instant;
use vitals::metrics::{Collect, CollectedFamily, CollectedKind, validate_family};

type Families = Arc<Vec<MetricFamily>>;
type InFlight = Shared<BoxFuture<'static, Option<Families>>>;

/// One collect-time collector with its TTL cache and its in-flight run.
pub(crate) struct Slot {
    pub(crate) collector: Arc<dyn Collect>,
    errors: IntCounter,
    error_kind: IntCounter,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    last: Option<(Instant, Families)>,
    in_flight: Option<InFlight>,
}

impl Slot {
    pub(crate) fn new(
        collector: Arc<dyn Collect>,
        errors: IntCounter,
        error_kind: IntCounter,
    ) -> Self {
        Self {
            collector,
            errors,
            error_kind,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(&self, why: &str) {
        self.errors.inc();
        self.error_kind.inc();
        tracing::warn!(collector = self.collector.name(), "collector failed: {why}");
    }

    /// The families, from the cache when younger than the TTL, else from a (shared) run; `None`
    /// when the run fails or does not finish by `deadline`. A run outlives a missed deadline (it
    /// is bounded by the collector's own timeout) so that the next scrape can use its result.
    pub(crate) async fn families(self: &Arc<Self>, deadline: Instant) -> Option<Families> {
        let run = {
            let mut state = self.state();
            let ttl = self.collector.ttl();
            if let Some((at, families)) = &state.last
                && !ttl.is_zero()
                && at.elapsed() < ttl
            {
                return Some(families.clone());
            }
            match &state.in_flight {
                Some(run) => run.clone(),
                None => {
                    let me = self.clone();
                    let task = tokio::spawn(async move { me.run().await });
                    let run = async move { task.await.ok().flatten() }.boxed().shared();
                    state.in_flight = Some(run.clone());
                    run
                }
            }
        };
        match tokio::time::timeout_at(deadline, run).await {
            Ok(families) => families,
            Err(_) => {
                self.fail("scrape deadline passed before it finished");
                None
            }
        }
    }

    async fn run(&self) -> Option<Families> {
        let timeout = self.collector.timeout();
        let result = match tokio::time::timeout(timeout, self.collector.collect()).await {
            Ok(Ok(families)) => convert(&families),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("timed out after {timeout:?}")),
        };
        let mut state = self.state();
        state.in_flight = None;
        match result {
            Ok(families) => {
                let families = Arc::new(families);
                state.last = Some((Instant::now(), families.clone()));
                Some(families)
            }
            Err(e) => {
                drop(state);
                self.fail(&e);
                None
            }
        }
    }
}

/// Turns collected families into Prometheus families, validating names, labels and arity.
pub(crate) fn convert(families: &[CollectedFamily]) -> Result<Vec<MetricFamily>, String> {
    let mut out = Vec::with_capacity(families.len());
    for f in families {
        validate_family(f).map_err(|e| e.to_string())?;
        let labels: Vec<&str> = f.label_names.iter().map(String::as_str).collect();
        let opts = Opts::new(f.name.clone(), f.help.clone());
        let collected = match f.kind {
            CollectedKind::Gauge => {
                let vec = GaugeVec::new(opts, &labels).map_err(|e| e.to_string())?;
                for (values, v) in &f.samples {
                    vec.with_label_values(values).set(*v);
                }
                vec.collect()
            }
            CollectedKind::Counter => {
                let vec = CounterVec::new(opts, &labels).map_err(|e| e.to_string())?;
                for (values, v) in &f.samples {
                    if *v < 0.0 || v.is_nan() {
                        return Err(format!("counter {} got value {v}", f.name));
                    }
                    vec.with_label_values(values).inc_by(*v);
                }
                vec.collect()
            }
        };
        out.extend(collected.into_iter().filter(|f| !f.get_metric().is_empty()));
    }
    Ok(out)
}
