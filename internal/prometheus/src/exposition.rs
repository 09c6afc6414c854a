use crate::PrometheusRecorder;
use crate::collect_slots::Slot;
use crate::encode::encode_text;
use prometheus::proto::MetricFamily;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Renders one kernel's metrics: the registry's families plus every collect-time collector's,
/// sorted by name. Collectors run concurrently under the scrape's deadline; one that fails or
/// is late is left out and counted, and the rest of the scrape is served.
pub struct Exposition {
    recorder: PrometheusRecorder,
    slots: Mutex<Vec<Arc<Slot>>>,
}

impl Exposition {
    /// An exposition of `recorder`.
    pub fn new(recorder: PrometheusRecorder) -> Self {
        Self {
            recorder,
            slots: Mutex::default(),
        }
    }

    /// The recorder it exposes.
    pub fn recorder(&self) -> &PrometheusRecorder {
        &self.recorder
    }

    fn slots(&self) -> Vec<Arc<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        for c in self.recorder.collectors() {
            if !slots.iter().any(|s| Arc::ptr_eq(&s.collector, &c)) {
                slots.push(Arc::new(Slot::new(c, &self.recorder)));
            }
        }
        slots.clone()
    }

    /// Runs the collect-time collectors, waiting at most `deadline`.
    pub async fn collect(&self, deadline: Duration) -> Vec<MetricFamily> {
        let until = tokio::time::Instant::now() + deadline;
        let slots = self.slots();
        let results = futures_util::future::join_all(slots.iter().map(|s| s.families(until))).await;
        results
            .into_iter()
            .flatten()
            .flat_map(|f| f.as_ref().clone())
            .collect()
    }

    /// The registry's families merged with `collected`, sorted by name. A collected family whose
    /// name the registry already has is dropped (and logged): one name, one family.
    pub fn gather(&self, collected: Vec<MetricFamily>) -> Vec<MetricFamily> {
        let mut families = self.recorder.registry().gather();
        let mut names: HashSet<String> = families.iter().map(|f| f.name().to_owned()).collect();
        for f in collected {
            if names.insert(f.name().to_owned()) {
                families.push(f);
            } else {
                tracing::warn!(
                    family = f.name(),
                    "collected family dropped: name already exported"
                );
            }
        }
        families.sort_by(|a, b| a.name().cmp(b.name()));
        families
    }

    /// Collects, gathers and encodes in text format (gzip when asked). Gathering and encoding run
    /// on the blocking pool so a large registry does not hold an actix worker.
    ///
    /// # Errors
    /// Encoding failures.
    pub async fn render(
        self: &Arc<Self>,
        deadline: Duration,
        gzip: bool,
    ) -> std::io::Result<Vec<u8>> {
        let collected = self.collect(deadline).await;
        let me = self.clone();
        tokio::task::spawn_blocking(move || encode_text(&me.gather(collected), gzip))
            .await
            .map_err(std::io::Error::other)?
    }
}

#[cfg(test)]
mod tests;
