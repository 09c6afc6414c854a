use futures_util::FutureExt;
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, GaugeVec, IntCounter, Opts};
use std::future::IntoFuture;
use std::sync::Arc;
use tokio::time::Instant;
use vitals::Coalesced;
use vitals::metrics::{Collect, CollectedFamily, CollectedKind, validate_family};

type Families = Arc<Vec<MetricFamily>>;

/// One collect-time collector with its TTL cache and its in-flight run.
pub(crate) struct Slot {
    pub(crate) collector: Arc<dyn Collect>,
    errors: IntCounter,
    error_kind: IntCounter,
    /// `None` after a failed run: nothing to serve, and the next scrape tries again.
    families: Coalesced<Option<Families>>,
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
            families: Coalesced::new(),
        }
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
        let me = self.clone();
        let run = self.families.get(move || {
            let task = tokio::spawn(async move { me.run().await });
            async move { task.await.ok().flatten() }.boxed()
        });
        match tokio::time::timeout_at(deadline, run.into_future()).await {
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
        let families = match result {
            Ok(families) => Some(Arc::new(families)),
            Err(e) => {
                self.fail(&e);
                None
            }
        };
        let ttl = self.collector.ttl();
        let valid_until = (families.is_some() && !ttl.is_zero()).then(|| Instant::now() + ttl);
        self.families.finish(families.clone(), valid_until);
        families
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
