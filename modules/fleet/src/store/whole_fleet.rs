//! The whole fleet's reads, one query each whatever the number of targets: every target's
//! latest state, uptime and last incidents, keyed by target name. Rows of targets no longer
//! configured are read too (until the retention prunes them) and left out by the caller.
use super::read::{
    LATEST_COLUMNS, UPTIME_COLUMNS, UPTIME_RANGE, incident_of, uptime_of, uptime_values,
};
use super::{FleetStore, StoreError};
use crate::config::Target;
use sea_orm::{ConnectionTrait, QueryResult};
use std::collections::{HashMap, HashSet};
use vitals_status::{Incident, Uptime};

impl FleetStore {
    /// Every target's row of `fleet_targets`, by name.
    pub(super) async fn every_latest(&self) -> Result<HashMap<String, QueryResult>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                &format!("SELECT {LATEST_COLUMNS} FROM fleet_targets"),
                vec![],
            )))
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get::<String>("", "name")?, r)))
            .collect()
    }

    /// Every polled target's uptime as of `now_ms` (a target without a poll in 30 days has
    /// none: its uptime is all absent).
    pub(super) async fn every_uptime(
        &self,
        now_ms: u64,
    ) -> Result<HashMap<String, Uptime>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                // Each target's range of the (target, at_ms, status) index, as its own query
                // reads it: the targets drive the join (SQLite keeps a CROSS JOIN's order).
                // Grouping the whole range of `at_ms` instead read every row from the table
                // (20 s at 1,000 targets on SQLite, where the per-target reads took 10).
                &format!(
                    "SELECT t.name AS target, {UPTIME_COLUMNS}
                     FROM fleet_targets t CROSS JOIN fleet_polls p
                     WHERE p.target = t.name AND {UPTIME_RANGE} GROUP BY t.name"
                ),
                uptime_values(now_ms),
            )))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String>("", "target")?, uptime_of(r)?)))
            .collect()
    }

    /// The last `limit` incidents of each of `targets`, newest first. The query numbers every
    /// stored incident (bounded by the retention); only those of `targets` are read back.
    pub(super) async fn every_incidents(
        &self,
        targets: &[Target],
        limit: usize,
    ) -> Result<HashMap<String, Vec<Incident>>, StoreError> {
        let wanted: HashSet<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                "SELECT target, started_at_ms, ended_at_ms, checks FROM (
                    SELECT target, started_at_ms, ended_at_ms, checks, id, ROW_NUMBER() OVER (
                        PARTITION BY target ORDER BY started_at_ms DESC, id DESC
                    ) AS nth FROM fleet_incidents
                 ) AS newest WHERE nth <= $1 ORDER BY target, started_at_ms DESC, id DESC",
                vec![(limit as i64).into()],
            )))
            .await?;
        let mut out: HashMap<String, Vec<Incident>> = HashMap::new();
        for r in &rows {
            let target: String = r.try_get("", "target")?;
            if wanted.contains(target.as_str()) {
                out.entry(target).or_default().push(incident_of(r)?);
            }
        }
        Ok(out)
    }
}
