//! The exports of an aggregate, run together by the scheduler and by run-once mode: the
//! Pushgateway (families as on `/metrics`) and CloudWatch (datapoints through the mapping).
//! Each failure is counted per exporter and logged; each success stamps a gauge. A failed
//! aggregation sends only `vitals_signals_up 0` to the Pushgateway and nothing to CloudWatch, so
//! neither shows old values as fresh.
use super::cloudwatch::CloudWatch;
use super::mapping::{Mapping, points};
use super::metrics::families;
use super::pushgateway::Pushgateway;
use crate::cluster::{ClusterFigures, Source};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use vitals::metrics::{CollectedFamily, CounterFamily, GaugeFamily};

pub(crate) struct Exports {
    pushgateway: Option<Arc<Pushgateway>>,
    cloudwatch: Option<CloudWatch>,
    mapping: Mapping,
    instruments: OnceLock<(CounterFamily, GaugeFamily)>,
    /// The kernel's metrics, whose `/metrics` encoder writes what is pushed.
    metrics: OnceLock<vitals::Metrics>,
}

impl Exports {
    pub(crate) fn new(
        pushgateway: Option<Pushgateway>,
        cloudwatch: Option<CloudWatch>,
        mapping: Mapping,
    ) -> Self {
        Self {
            pushgateway: pushgateway.map(Arc::new),
            cloudwatch,
            mapping,
            instruments: OnceLock::new(),
            metrics: OnceLock::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pushgateway.is_none() && self.cloudwatch.is_none()
    }

    /// Keeps the kernel's metrics, whose encoder writes what is pushed (a process that is not the
    /// exporter can still export once).
    pub(crate) fn keep_metrics(&self, metrics: &vitals::Metrics) {
        let _ = self.metrics.set(metrics.clone());
    }

    /// Declares the failure counter and last-success gauge (when there is an export at all).
    pub(crate) fn register(&self, metrics: &vitals::Metrics) -> Result<(), vitals::Error> {
        self.keep_metrics(metrics);
        if self.is_empty() {
            return Ok(());
        }
        let failures = metrics.counter_vec(
            "vitals_signals_export_failures_total",
            "Signal exports that failed, per exporter.",
            &["exporter"],
        )?;
        let last = metrics.gauge_vec(
            "vitals_signals_export_last_success_timestamp_seconds",
            "Unix time of the last signal export that succeeded, per exporter.",
            &["exporter"],
        )?;
        let _ = self.instruments.set((failures, last));
        if let Some(cw) = &self.cloudwatch {
            cw.instrument(metrics)?;
        }
        Ok(())
    }

    fn outcome(&self, exporter: &str, r: Result<(), String>) -> Result<(), String> {
        if let Some((failures, last)) = self.instruments.get() {
            match &r {
                Ok(()) => {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default();
                    last.with_label_values(&[exporter]).set(now.as_secs_f64());
                }
                Err(_) => failures.with_label_values(&[exporter]).inc(),
            }
        }
        r.map_err(|e| format!("{exporter}: {e}"))
    }

    /// Sends `snap` to every configured exporter (each one even when another failed).
    ///
    /// # Errors
    /// Every exporter that failed, with its reason.
    pub(crate) async fn export(
        &self,
        snap: &ClusterFigures,
        deadline: Instant,
    ) -> Result<(), String> {
        let mut errors = Vec::new();
        if let Some(push) = self.pushgateway.clone() {
            let r = self.push(push, &families(Some(snap)), deadline).await;
            errors.extend(self.outcome("pushgateway", r).err());
        }
        if let Some(cw) = &self.cloudwatch {
            let metrics = self.mapping.export(&points(snap));
            let r = cw.put(&metrics).await.map(|_| ());
            errors.extend(self.outcome("cloudwatch", r).err());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Writes `families` with the kernel's encoder and replaces the group with them, off the
    /// async workers.
    async fn push(
        &self,
        push: Arc<Pushgateway>,
        families: &[CollectedFamily],
        deadline: Instant,
    ) -> Result<(), String> {
        let body = self
            .metrics
            .get()
            .ok_or("no metrics to write the push with: register the module, or call SignalsModule::register_exports")?
            .encode_text(families)
            .map_err(|e| e.to_string())?;
        let until = deadline.into_std();
        tokio::task::spawn_blocking(move || push.push(body, until))
            .await
            .unwrap_or_else(|e| Err(format!("push panicked: {e}")))
    }

    /// Aggregates now and sends the result to every exporter (the scheduler's step and the
    /// whole of run-once mode).
    ///
    /// # Errors
    /// The aggregation failed, or an exporter refused or was unreachable.
    pub(crate) async fn run(&self, source: &Source, deadline: Instant) -> Result<(), String> {
        match source.read_fresh().await {
            Ok(snap) => self.export(&snap, deadline).await,
            Err(e) => Err(self.failed(&e, deadline).await),
        }
    }

    /// A failed aggregation: `vitals_signals_up 0` alone replaces the Pushgateway group (so its
    /// old values do not look fresh), CloudWatch gets no datum (its alarms' missing-data policy
    /// applies), and the failure counts against every exporter.
    pub(crate) async fn failed(&self, reason: &str, deadline: Instant) -> String {
        let mut errors = vec![format!("aggregation failed, nothing exported: {reason}")];
        if let Some(push) = self.pushgateway.clone() {
            if let Err(e) = self.push(push, &families(None), deadline).await {
                errors.push(format!("pushgateway: {e}"));
            }
            let _ = self.outcome("pushgateway", Err(String::new()));
        }
        if self.cloudwatch.is_some() {
            let _ = self.outcome("cloudwatch", Err(String::new()));
        }
        errors.join("; ")
    }

    /// Deletes the Pushgateway group: the last exporter's clean stop.
    pub(crate) async fn withdraw(&self) {
        if let Some(push) = self.pushgateway.clone() {
            match tokio::task::spawn_blocking(move || push.delete()).await {
                Ok(Ok(())) => tracing::info!("signals group deleted from the Pushgateway"),
                Ok(Err(e)) => tracing::warn!(error = %e, "signals group not deleted"),
                Err(e) => tracing::warn!(error = %e, "signals group delete panicked"),
            }
        }
    }
}
