//! What the pages read: each target's latest state, its checks' last readings, its uptime over
//! three windows and its incidents, folded into the [`FleetDocument`].
use super::{FleetStore, StoreError};
use crate::config::Target;
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use vitals_status::{
    CheckDocument, FleetDocument, Incident, ReadingDocument, ServiceInfo, TargetDocument, Uptime,
    Word,
};

/// Readings shown per check.
pub const READINGS_PER_CHECK: usize = 120;
/// Incidents shown per target (newest first).
pub const INCIDENTS_PER_TARGET: usize = 100;

const DAY_MS: u64 = 24 * 3600 * 1000;

/// A target's latest state in `fleet_targets`.
pub(super) const LATEST_COLUMNS: &str =
    "name, service_name, service_version, status, polled_at_ms, poll_error, checks";

/// The uptime's counts over `fleet_polls p` rows: polls and polls serving since `$1` (a day ago),
/// `$2` (a week ago), and in the rows' whole range, [`UPTIME_RANGE`] (a month ago to now).
pub(super) const UPTIME_COLUMNS: &str = "
    SUM(CASE WHEN p.at_ms >= $1 THEN 1 ELSE 0 END) AS day_n,
    SUM(CASE WHEN p.at_ms >= $1 AND p.status <> 'fail' THEN 1 ELSE 0 END) AS day_up,
    SUM(CASE WHEN p.at_ms >= $2 THEN 1 ELSE 0 END) AS week_n,
    SUM(CASE WHEN p.at_ms >= $2 AND p.status <> 'fail' THEN 1 ELSE 0 END) AS week_up,
    COUNT(*) AS month_n,
    SUM(CASE WHEN p.status <> 'fail' THEN 1 ELSE 0 END) AS month_up";
pub(super) const UPTIME_RANGE: &str = "p.at_ms >= $3 AND p.at_ms <= $4";

/// The values of `$1`…`$4` in [`UPTIME_COLUMNS`] and [`UPTIME_RANGE`] as of `now_ms`.
pub(super) fn uptime_values(now_ms: u64) -> Vec<sea_orm::Value> {
    let since = |days: u64| i64::try_from(now_ms.saturating_sub(days * DAY_MS)).unwrap_or(0);
    vec![
        since(1).into(),
        since(7).into(),
        since(30).into(),
        i64::try_from(now_ms).unwrap_or(i64::MAX).into(),
    ]
}

pub(super) fn uptime_of(r: &QueryResult) -> Result<Uptime, StoreError> {
    let get = |col: &str| -> Result<Option<i64>, DbErr> { r.try_get("", col) };
    Ok(Uptime {
        day: share(get("day_up")?, get("day_n")?),
        week: share(get("week_up")?, get("week_n")?),
        month: share(get("month_up")?, Some(get("month_n")?.unwrap_or(0))),
    })
}

/// An incident of a `fleet_incidents` row (`started_at_ms`, `ended_at_ms`, `checks`).
pub(super) fn incident_of(r: &QueryResult) -> Result<Incident, StoreError> {
    let checks: String = r.try_get("", "checks")?;
    Ok(Incident {
        started_at_ms: r.try_get::<i64>("", "started_at_ms")?.max(0) as u64,
        ended_at_ms: r
            .try_get::<Option<i64>>("", "ended_at_ms")?
            .map(|v| v.max(0) as u64),
        checks: serde_json::from_str(&checks).map_err(|e| corrupt("checks", e))?,
    })
}

/// `t` with nothing known (yet, or because the database could not be read).
pub(crate) fn nothing_known(t: &Target) -> TargetDocument {
    TargetDocument {
        name: t.name.clone(),
        url: t.url.clone(),
        service: None,
        status: None,
        polled_at_ms: None,
        poll_error: None,
        uptime: Uptime::default(),
        checks: Vec::new(),
        incidents: Vec::new(),
    }
}

/// `doc` with its latest state read from a row of [`LATEST_COLUMNS`]: service, status, last
/// poll and its checks (their readings not yet).
fn fill_latest(doc: &mut TargetDocument, r: &QueryResult) -> Result<(), StoreError> {
    let name: Option<String> = r.try_get("", "service_name")?;
    let version: Option<String> = r.try_get("", "service_version")?;
    doc.service = name.map(|name| ServiceInfo {
        name,
        version: version.unwrap_or_default(),
    });
    doc.status = word(&r.try_get::<String>("", "status")?);
    doc.polled_at_ms = Some(r.try_get::<i64>("", "polled_at_ms")?.max(0) as u64);
    doc.poll_error = r.try_get("", "poll_error")?;
    let checks: String = r.try_get("", "checks")?;
    doc.checks =
        serde_json::from_str::<Vec<CheckDocument>>(&checks).map_err(|e| corrupt("checks", e))?;
    Ok(())
}

pub(super) fn word(s: &str) -> Option<Word> {
    match s {
        "pass" => Some(Word::Pass),
        "warn" => Some(Word::Warn),
        "fail" => Some(Word::Fail),
        _ => None,
    }
}

pub(super) fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: e.to_string(),
    }
}

fn share(up: Option<i64>, all: Option<i64>) -> Option<f64> {
    match (up, all) {
        (Some(up), Some(all)) if all > 0 => Some(up as f64 / all as f64),
        _ => None,
    }
}

/// No reasons, details or poll errors, and target URLs without their query or fragment (where an
/// operator may have put a token): what a caller without details sees.
pub(crate) fn without_details(doc: &mut FleetDocument) {
    doc.details = false;
    for t in &mut doc.targets {
        t.poll_error = None;
        if let Some(cut) = t.url.find(['?', '#']) {
            t.url.truncate(cut);
        }
        for c in &mut t.checks {
            c.reason = None;
            c.details.clear();
            for r in &mut c.readings {
                r.reason = None;
            }
        }
    }
}

impl FleetStore {
    /// The fleet document of `targets` as of `now_ms`, every check with its last
    /// [`READINGS_PER_CHECK`] readings; without reasons, details and poll errors unless
    /// `details`. Three queries read every target's latest state, uptime and incidents, then one
    /// per check its readings. The reads are bounded together by twice the store's deadline, not
    /// only one by one: a database slow at every read would otherwise hold the page for their sum.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] for any of its reads or all together.
    pub async fn fleet_document(
        &self,
        targets: &[Target],
        now_ms: u64,
        details: bool,
    ) -> Result<FleetDocument, StoreError> {
        self.within_twice(self.read_fleet(targets, now_ms, details, true))
            .await
    }

    /// The fleet document without the checks' readings (each check's `readings` empty): what
    /// the fleet page shows, in three queries whatever the number of targets and checks, and
    /// bounded as [`FleetStore::fleet_document`].
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] for any of its reads or all together.
    pub async fn fleet_summary(
        &self,
        targets: &[Target],
        now_ms: u64,
        details: bool,
    ) -> Result<FleetDocument, StoreError> {
        self.within_twice(self.read_fleet(targets, now_ms, details, false))
            .await
    }

    /// A fleet document of `target` alone, with its checks' readings: what its page shows, in
    /// three queries and one per check, bounded as [`FleetStore::fleet_document`].
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] for any of its reads or all together.
    pub async fn target_document(
        &self,
        target: &Target,
        now_ms: u64,
        details: bool,
    ) -> Result<FleetDocument, StoreError> {
        let read = async {
            let mut doc = FleetDocument {
                generated_at_ms: now_ms,
                details,
                unavailable: false,
                targets: vec![self.read_target(target, now_ms).await?],
            };
            if !details {
                without_details(&mut doc);
            }
            Ok(doc)
        };
        self.within_twice(read).await
    }

    async fn within_twice<T>(
        &self,
        reads: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let whole = self.deadline * 2;
        tokio::time::timeout(whole, reads)
            .await
            .unwrap_or(Err(StoreError::Deadline(whole)))
    }

    async fn read_fleet(
        &self,
        targets: &[Target],
        now_ms: u64,
        details: bool,
        readings: bool,
    ) -> Result<FleetDocument, StoreError> {
        let mut latest = self.every_latest().await?;
        let mut uptimes = self.every_uptime(now_ms).await?;
        let mut incidents = self.every_incidents(targets, INCIDENTS_PER_TARGET).await?;
        let mut doc = FleetDocument {
            generated_at_ms: now_ms,
            details,
            unavailable: false,
            targets: Vec::with_capacity(targets.len()),
        };
        for t in targets {
            let mut target = nothing_known(t);
            target.uptime = uptimes.remove(&t.name).unwrap_or_default();
            target.incidents = incidents.remove(&t.name).unwrap_or_default();
            if let Some(row) = latest.remove(&t.name) {
                fill_latest(&mut target, &row)?;
                if readings {
                    self.fill_readings(&mut target).await?;
                }
            }
            doc.targets.push(target);
        }
        if !details {
            without_details(&mut doc);
        }
        Ok(doc)
    }

    async fn read_target(&self, t: &Target, now_ms: u64) -> Result<TargetDocument, StoreError> {
        let mut doc = nothing_known(t);
        doc.uptime = self.uptime(&t.name, now_ms).await?;
        doc.incidents = self.incidents(&t.name, INCIDENTS_PER_TARGET).await?;
        let row = self
            .bounded(self.db.query_one_raw(self.stmt(
                &format!("SELECT {LATEST_COLUMNS} FROM fleet_targets WHERE name = $1"),
                vec![t.name.as_str().into()],
            )))
            .await?;
        if let Some(r) = row {
            fill_latest(&mut doc, &r)?;
            self.fill_readings(&mut doc).await?;
        }
        Ok(doc)
    }

    async fn fill_readings(&self, doc: &mut TargetDocument) -> Result<(), StoreError> {
        for c in &mut doc.checks {
            c.readings = self
                .readings(&doc.name, &c.name, READINGS_PER_CHECK)
                .await?;
        }
        Ok(())
    }

    /// Every target's status at its last poll and when it was (Unix ms): what a collector
    /// without the lease exports.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn latest(&self) -> Result<Vec<(String, Word, u64)>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                "SELECT name, status, polled_at_ms FROM fleet_targets",
                vec![],
            )))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let status: String = r.try_get("", "status")?;
            out.push((
                r.try_get("", "name")?,
                word(&status).ok_or_else(|| corrupt("status", &status))?,
                r.try_get::<i64>("", "polled_at_ms")?.max(0) as u64,
            ));
        }
        Ok(out)
    }

    /// The share of `target`'s polls in the last 24 h, 7 d and 30 d (before `now_ms`) at which
    /// it was serving; `None` for a window without a poll.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn uptime(&self, target: &str, now_ms: u64) -> Result<Uptime, StoreError> {
        let mut values = uptime_values(now_ms);
        values.push(target.into());
        let row = self
            .bounded(self.db.query_one_raw(self.stmt(
                &format!(
                    "SELECT {UPTIME_COLUMNS} FROM fleet_polls p WHERE {UPTIME_RANGE} AND p.target = $5"
                ),
                values,
            )))
            .await?;
        match row {
            Some(r) => uptime_of(&r),
            None => Ok(Uptime::default()),
        }
    }

    /// `target`'s incidents, newest first, at most `limit`.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn incidents(&self, target: &str, limit: usize) -> Result<Vec<Incident>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                "SELECT started_at_ms, ended_at_ms, checks FROM fleet_incidents
                 WHERE target = $1 ORDER BY started_at_ms DESC, id DESC LIMIT $2",
                vec![target.into(), (limit as i64).into()],
            )))
            .await?;
        rows.iter().map(incident_of).collect()
    }

    /// The last `per_check` readings of `check` of `target`, oldest first: one index range
    /// (the readings' key) per check, whatever the number kept.
    async fn readings(
        &self,
        target: &str,
        check: &str,
        per_check: usize,
    ) -> Result<Vec<ReadingDocument>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                "SELECT at_ms, status, duration_seconds, reason FROM fleet_readings
                 WHERE target = $1 AND check_name = $2 ORDER BY at_ms DESC LIMIT $3",
                vec![target.into(), check.into(), (per_check as i64).into()],
            )))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows.iter().rev() {
            let status: String = r.try_get("", "status")?;
            out.push(ReadingDocument {
                at_ms: r.try_get::<i64>("", "at_ms")?.max(0) as u64,
                status: word(&status).ok_or_else(|| corrupt("status", &status))?,
                duration_seconds: r.try_get("", "duration_seconds")?,
                reason: r.try_get("", "reason")?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_status::{TargetDocument, Uptime};

    #[test]
    fn without_details_a_target_url_loses_its_query_and_fragment() {
        let target = |url: &str| TargetDocument {
            name: "api".into(),
            url: url.into(),
            service: None,
            status: None,
            polled_at_ms: None,
            poll_error: Some("HTTP 500".into()),
            uptime: Uptime::default(),
            checks: Vec::new(),
            incidents: Vec::new(),
        };
        let mut doc = FleetDocument {
            generated_at_ms: 0,
            details: true,
            unavailable: false,
            targets: vec![
                target("http://10.0.0.7:8080/status/history?token=s3cret"),
                target("http://10.0.0.8:8080/status/history#x"),
                target("http://10.0.0.9:8080/status/history"),
            ],
        };
        without_details(&mut doc);
        let urls: Vec<&str> = doc.targets.iter().map(|t| t.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://10.0.0.7:8080/status/history",
                "http://10.0.0.8:8080/status/history",
                "http://10.0.0.9:8080/status/history",
            ]
        );
        assert!(doc.targets.iter().all(|t| t.poll_error.is_none()));
    }
}
