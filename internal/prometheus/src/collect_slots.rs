use crate::{PrometheusRecorder, SeriesBudget};
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, GaugeVec, IntCounter, Opts};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;
use vitals::Coalesced;
use vitals::metrics::{Collect, CollectedFamily, CollectedKind, OVERFLOW, validate_family};

type Families = Arc<Vec<MetricFamily>>;

/// Counts and logs a collector's failures: `vitals_collector_errors_total{collector}` and
/// `vitals_errors_total{type="collector"}`.
#[derive(Clone)]
struct Failures {
    name: String,
    errors: IntCounter,
    error_kind: IntCounter,
}

impl Failures {
    fn record(&self, why: &str) {
        self.errors.inc();
        self.error_kind.inc();
        tracing::warn!(collector = %self.name, "collector failed: {why}");
    }
}

/// One collect-time collector with its TTL cache, its in-flight run and the series budgets of
/// its families.
pub(crate) struct Slot {
    pub(crate) collector: Arc<dyn Collect>,
    recorder: PrometheusRecorder,
    failures: Failures,
    /// `None` after a failed run: nothing to serve, and the next scrape tries again.
    families: Coalesced<Option<Families>>,
    budgets: Mutex<HashMap<String, Arc<SeriesBudget>>>,
}

impl Slot {
    pub(crate) fn new(collector: Arc<dyn Collect>, recorder: &PrometheusRecorder) -> Self {
        let failures = Failures {
            name: collector.name().to_owned(),
            errors: recorder.collector_errors(collector.name()),
            error_kind: recorder.errors(vitals::metrics::ErrorKind::Collector),
        };
        let on_failure = failures.clone();
        Self {
            collector,
            recorder: recorder.clone(),
            failures,
            families: Coalesced::new().on_failure(move |f| on_failure.record(&f.to_string())),
            budgets: Mutex::default(),
        }
    }

    /// The families, from the cache when younger than the TTL, else from a (shared) run; `None`
    /// when the run fails. A run that has not finished by `deadline` is counted as failed and the
    /// collector's [`fallback`](Collect::fallback) is served instead; the run goes on (bounded by
    /// the collector's own timeout) so that the next scrape can use its result.
    pub(crate) async fn families(self: &Arc<Self>, deadline: Instant) -> Option<Families> {
        let me = self.clone();
        let run = self.families.get(move || async move { me.run().await });
        match tokio::time::timeout_at(deadline, run.into_future()).await {
            Ok(Ok(families)) => families,
            // Panicked or cancelled: the failure hook has counted it.
            Ok(Err(_)) => None,
            Err(_) => {
                self.failures
                    .record("scrape deadline passed before it finished");
                let fallback = self.collector.fallback()?;
                self.convert(&fallback)
                    .map_err(|e| self.failures.record(&e))
                    .ok()
                    .map(Arc::new)
            }
        }
    }

    async fn run(&self) -> (Option<Families>, Option<Instant>) {
        let timeout = self.collector.timeout();
        let result = match tokio::time::timeout(timeout, self.collector.collect()).await {
            Ok(Ok(families)) => self.convert(&families),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("timed out after {timeout:?}")),
        };
        let families = match result {
            Ok(families) => Some(Arc::new(families)),
            Err(e) => {
                self.failures.record(&e);
                None
            }
        };
        let ttl = self.collector.ttl();
        let valid_until = (families.is_some() && !ttl.is_zero()).then(|| Instant::now() + ttl);
        (families, valid_until)
    }

    /// Converts with each family's series budget (kept across runs, like a registered family's).
    fn convert(&self, families: &[CollectedFamily]) -> Result<Vec<MetricFamily>, String> {
        let mut budgets = self.budgets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(families.len());
        for f in families {
            let budget = match budgets.entry(f.name.clone()) {
                Entry::Occupied(e) => e.get().clone(),
                Entry::Vacant(e) => e
                    .insert(
                        self.recorder
                            .series_budget(&f.name, self.recorder.default_series_budget()),
                    )
                    .clone(),
            };
            out.extend(convert(f, &budget)?);
        }
        Ok(out)
    }
}

/// Turns one collected family into Prometheus families, validating names, labels and arity.
/// Label sets beyond the family's budget fold into one `<overflow>` series (their values summed)
/// and count in `vitals_series_overflow_total{family}`.
pub(crate) fn convert(
    f: &CollectedFamily,
    budget: &SeriesBudget,
) -> Result<Vec<MetricFamily>, String> {
    validate_family(f).map_err(|e| e.to_string())?;
    let labels: Vec<&str> = f.label_names.iter().map(String::as_str).collect();
    let overflow = vec![OVERFLOW; labels.len()];
    fn admitted<'a>(
        values: &'a [String],
        budget: &SeriesBudget,
        overflow: &[&'a str],
    ) -> Vec<&'a str> {
        if values.is_empty() || budget.admit(values) {
            values.iter().map(String::as_str).collect()
        } else {
            overflow.to_vec()
        }
    }
    let opts = Opts::new(f.name.clone(), f.help.clone());
    let collected = match f.kind {
        CollectedKind::Gauge => {
            let vec = GaugeVec::new(opts, &labels).map_err(|e| e.to_string())?;
            for (values, v) in &f.samples {
                let series = admitted(values, budget, &overflow);
                if series == overflow && !labels.is_empty() {
                    vec.with_label_values(&series).add(*v);
                } else {
                    vec.with_label_values(&series).set(*v);
                }
            }
            vec.collect()
        }
        CollectedKind::Counter => {
            let vec = CounterVec::new(opts, &labels).map_err(|e| e.to_string())?;
            for (values, v) in &f.samples {
                if *v < 0.0 || v.is_nan() {
                    return Err(format!("counter {} got value {v}", f.name));
                }
                vec.with_label_values(&admitted(values, budget, &overflow))
                    .inc_by(*v);
            }
            vec.collect()
        }
    };
    Ok(collected
        .into_iter()
        .filter(|f| !f.get_metric().is_empty())
        .collect())
}
