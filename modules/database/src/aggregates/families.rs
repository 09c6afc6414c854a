use super::runner::{Runner, Snapshot};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use vitals::metrics::{Collect, CollectedFamily};

/// Serves every aggregate's families plus `vitals_db_aggregate_up`,
/// `vitals_db_aggregate_last_success_timestamp_seconds`,
/// `vitals_db_aggregate_refresh_duration_seconds` and `vitals_db_aggregate_ttl_seconds` (for the
/// "not refreshed for 3 TTLs" alert), each labelled by `aggregate`.
///
/// When a scrape's deadline passes before the refreshes it waits for have finished, the
/// [`fallback`](Collect::fallback) serves the same families from the snapshots as they stand, so
/// `up` and last success are in every scrape.
pub(crate) struct AggregateFamilies {
    pub(crate) runners: Vec<Arc<Runner>>,
    pub(crate) timeout: Duration,
}

impl AggregateFamilies {
    fn families(&self, snaps: &[Arc<Snapshot>]) -> Vec<CollectedFamily> {
        let mut up = CollectedFamily::gauge(
            "vitals_db_aggregate_up",
            "Whether the last refresh of each DB aggregate succeeded.",
            &["aggregate"],
        );
        let mut last = CollectedFamily::gauge(
            "vitals_db_aggregate_last_success_timestamp_seconds",
            "Unix time of each DB aggregate's last successful refresh.",
            &["aggregate"],
        );
        let mut took = CollectedFamily::gauge(
            "vitals_db_aggregate_refresh_duration_seconds",
            "Duration of each DB aggregate's last refresh.",
            &["aggregate"],
        );
        let mut ttl = CollectedFamily::gauge(
            "vitals_db_aggregate_ttl_seconds",
            "How often each DB aggregate is meant to refresh (its TTL).",
            &["aggregate"],
        );
        let mut families = Vec::new();
        let now = Instant::now();
        for (runner, snap) in self.runners.iter().zip(snaps) {
            let name = runner.agg.name.as_str();
            // Before the first attempt has finished, the aggregate is not known to be up.
            up.push(&[name], if snap.up == Some(true) { 1.0 } else { 0.0 });
            ttl.push(&[name], runner.agg.ttl.as_secs_f64());
            if let Some(t) = snap.succeeded_at {
                last.push(&[name], t);
            }
            if let Some(d) = snap.refresh_seconds {
                took.push(&[name], d);
            }
            let (Some(rows), Some(until)) = (&snap.rows, snap.good_until) else {
                continue;
            };
            if now >= until {
                continue;
            }
            let labels: Vec<&str> = runner.agg.labels.iter().map(String::as_str).collect();
            for (i, column) in runner.agg.values.iter().enumerate() {
                let mut f = CollectedFamily::gauge(
                    &runner.agg.family_name(column),
                    &runner.agg.help,
                    &labels,
                );
                // Rows are checked against the declaration when read back from the results table;
                // a row of another shape is skipped here too, never indexed out of range.
                for (label_values, values) in rows.iter() {
                    if label_values.len() != labels.len() || values.len() != runner.agg.values.len()
                    {
                        continue;
                    }
                    if let Some(v) = values.get(i).copied().flatten() {
                        let lv: Vec<&str> = label_values.iter().map(String::as_str).collect();
                        f.push(&lv, v);
                    }
                }
                families.push(f);
            }
        }
        families.extend([up, last, took, ttl]);
        families.retain(|f| !f.samples.is_empty());
        families
    }
}

#[async_trait::async_trait]
impl Collect for AggregateFamilies {
    fn name(&self) -> &str {
        "db_aggregates"
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        let snaps = futures_util::future::join_all(self.runners.iter().map(|r| r.snapshot())).await;
        Ok(self.families(&snaps))
    }

    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        let snaps: Vec<_> = self.runners.iter().map(|r| r.previous()).collect();
        Some(self.families(&snaps))
    }
}
