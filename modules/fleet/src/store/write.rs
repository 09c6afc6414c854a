//! The poller's writes: one transaction per cycle, guarded by the lease, holding every target's
//! poll, the readings its document carried (each kept once: `(target, check, at)` is the
//! readings' key; none older than the retention or stamped far ahead of the poll), the target's
//! latest state and its incident; and the retention's prune, bounded per cycle.
use super::{FleetStore, StoreError};
use crate::incident::{Step, next};
use crate::poll::{MAX_REASON_BYTES, Poll, bounded};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::time::Duration;
use vitals_status::CheckDocument;

/// Fewest rows each table may lose per cycle to the retention; a cycle that added more rows to a
/// table may prune twice as many from it, so that a backlog shrinks every interval whatever the
/// size of the fleet (by this much at least, and by what a cycle adds at least), and a prune
/// stays in proportion to the cycle's own write under the same deadline.
pub const PRUNED_PER_CYCLE: i64 = 10_000;

/// How far ahead of its poll a reading may be stamped (the service's clock ahead of the
/// collector's) and still be kept: one stamped later would never be pruned by the retention and
/// would stand as the check's latest reading for as long as it is ahead.
const MAX_AHEAD_MS: u64 = 5 * 60 * 1000;

/// Readings inserted per statement (6 values each: within every backend's parameter limit).
const READINGS_PER_STATEMENT: usize = 500;

/// The newest reading written of each `(target, check)`, as this process last committed it.
type Newest = HashMap<(String, String), u64>;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn i64_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl FleetStore {
    /// Writes one cycle's polls under `token`'s lease (renewed to `lease` in the same
    /// transaction) and prunes what is older than `cutoff_ms`. Returns `false`, having written
    /// nothing, when `token` no longer holds the lease.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] (the transaction is rolled back).
    pub async fn record(
        &self,
        token: &str,
        lease: Duration,
        polls: &[Poll],
        cutoff_ms: u64,
    ) -> Result<bool, StoreError> {
        self.bounded(async {
            let Some(tx) = self.begin_held(token, lease).await? else {
                return Ok(false);
            };
            let mut readings = 0;
            let newest = self.newest_written();
            let mut wrote = Vec::new();
            for p in polls {
                readings += self
                    .write_poll(&tx, p, cutoff_ms, &newest, &mut wrote)
                    .await?;
            }
            // Twice what this cycle added to each table (a poll and at most one incident per
            // target; the readings new to the table, not those a document sent again).
            let limit = |added: usize| {
                PRUNED_PER_CYCLE.max(i64::try_from(added.saturating_mul(2)).unwrap_or(i64::MAX))
            };
            let (polls, readings) = (limit(polls.len()), limit(readings));
            self.prune(&tx, cutoff_ms, [polls, readings, polls]).await?;
            tx.commit().await?;
            let mut newest = self.newest.lock().unwrap_or_else(|e| e.into_inner());
            for (key, at) in wrote {
                let n = newest.entry(key).or_insert(at);
                *n = (*n).max(at);
            }
            Ok(true)
        })
        .await
    }

    /// A copy of what this process last wrote of each check (taken once per cycle: the map
    /// stays unlocked through the awaits of the write).
    fn newest_written(&self) -> Newest {
        self.newest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn write_poll(
        &self,
        tx: &DatabaseTransaction,
        p: &Poll,
        cutoff_ms: u64,
        newest: &Newest,
        wrote: &mut Vec<((String, String), u64)>,
    ) -> Result<usize, DbErr> {
        // Returns the readings added (new to the table).
        let at = i64_ms(p.at_ms);
        tx.execute_raw(self.stmt(
            "INSERT INTO fleet_polls (target, at_ms, status, error, failing, duration_seconds)
             VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                p.target.as_str().into(),
                at.into(),
                p.status().as_str().into(),
                p.error().map(str::to_owned).into(),
                json(&p.failing()).into(),
                p.duration.as_secs_f64().into(),
            ],
        ))
        .await?;
        let mut readings = 0;
        match &p.outcome {
            Ok(doc) => {
                let kept = cutoff_ms..=p.at_ms.saturating_add(MAX_AHEAD_MS);
                readings = self
                    .write_readings(tx, &p.target, &doc.checks, kept, newest, wrote)
                    .await?;
                let checks: Vec<CheckDocument> = doc
                    .checks
                    .iter()
                    .map(|c| CheckDocument {
                        readings: Vec::new(),
                        ..c.clone()
                    })
                    .collect();
                let service = doc.service.as_ref();
                tx.execute_raw(self.stmt(
                    "INSERT INTO fleet_targets (name, url, service_name, service_version,
                        status, polled_at_ms, poll_error, checks)
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)
                     ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                        service_name = excluded.service_name,
                        service_version = excluded.service_version,
                        status = excluded.status, polled_at_ms = excluded.polled_at_ms,
                        poll_error = NULL, checks = excluded.checks",
                    vec![
                        p.target.as_str().into(),
                        p.url.as_str().into(),
                        service.map(|s| s.name.clone()).into(),
                        service.map(|s| s.version.clone()).into(),
                        p.status().as_str().into(),
                        at.into(),
                        json(&checks).into(),
                    ],
                ))
                .await?;
            }
            Err(e) => {
                // The last document's checks and service stay: what was known, marked failed.
                tx.execute_raw(self.stmt(
                    "INSERT INTO fleet_targets (name, url, status, polled_at_ms, poll_error, checks)
                     VALUES ($1, $2, 'fail', $3, $4, '[]')
                     ON CONFLICT (name) DO UPDATE SET url = excluded.url, status = 'fail',
                        polled_at_ms = excluded.polled_at_ms, poll_error = excluded.poll_error",
                    vec![
                        p.target.as_str().into(),
                        p.url.as_str().into(),
                        at.into(),
                        e.as_str().into(),
                    ],
                ))
                .await?;
            }
        }
        self.write_incident(tx, p).await?;
        Ok(readings)
    }

    async fn write_readings(
        &self,
        tx: &DatabaseTransaction,
        target: &str,
        checks: &[CheckDocument],
        kept: RangeInclusive<u64>,
        newest: &Newest,
        wrote: &mut Vec<((String, String), u64)>,
    ) -> Result<usize, DbErr> {
        for c in checks {
            if let Some(at) = c
                .readings
                .iter()
                .map(|r| r.at_ms)
                .filter(|at| kept.contains(at))
                .max()
            {
                wrote.push(((target.to_owned(), c.name.clone()), at));
            }
        }
        let rows: Vec<[Value; 6]> = checks
            .iter()
            .flat_map(|c| {
                let kept = kept.clone();
                let after = newest.get(&(target.to_owned(), c.name.clone())).copied();
                c.readings
                    .iter()
                    .filter(move |r| kept.contains(&r.at_ms) && after.is_none_or(|n| r.at_ms > n))
                    .map(move |r| {
                        [
                            target.into(),
                            c.name.as_str().into(),
                            i64_ms(r.at_ms).into(),
                            r.status.as_str().into(),
                            r.duration_seconds.into(),
                            r.reason
                                .clone()
                                .map(|s| bounded(s, MAX_REASON_BYTES))
                                .into(),
                        ]
                    })
            })
            .collect();
        let mut added = 0;
        for chunk in rows.chunks(READINGS_PER_STATEMENT) {
            let mut insert = Query::insert();
            insert
                .into_table("fleet_readings")
                .columns([
                    "target",
                    "check_name",
                    "at_ms",
                    "status",
                    "duration_seconds",
                    "reason",
                ])
                .on_conflict(
                    OnConflict::columns(["target", "check_name", "at_ms"])
                        .do_nothing()
                        .to_owned(),
                );
            for row in chunk {
                insert
                    .values(row.iter().cloned().map(Into::into))
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            added += tx.execute(&insert).await?.rows_affected();
        }
        Ok(usize::try_from(added).unwrap_or(usize::MAX))
    }

    async fn write_incident(&self, tx: &DatabaseTransaction, p: &Poll) -> Result<(), DbErr> {
        let open = tx
            .query_one_raw(self.stmt(
                "SELECT id, checks FROM fleet_incidents
                 WHERE target = $1 AND ended_at_ms IS NULL
                 ORDER BY started_at_ms DESC LIMIT 1",
                vec![p.target.as_str().into()],
            ))
            .await?;
        let open = match open {
            Some(r) => {
                let id: i32 = r.try_get("", "id")?;
                let checks: String = r.try_get("", "checks")?;
                Some((
                    id,
                    serde_json::from_str::<Vec<String>>(&checks).unwrap_or_default(),
                ))
            }
            None => None,
        };
        let at = i64_ms(p.at_ms);
        match (next(open.as_ref().map(|(_, c)| c.as_slice()), p), open) {
            (Step::Keep, _) => {}
            (Step::Open(checks), _) => {
                tx.execute_raw(self.stmt(
                    "INSERT INTO fleet_incidents (target, started_at_ms, ended_at_ms, checks)
                     VALUES ($1, $2, NULL, $3)",
                    vec![p.target.as_str().into(), at.into(), json(&checks).into()],
                ))
                .await?;
            }
            (Step::Extend(checks), Some((id, _))) => {
                tx.execute_raw(self.stmt(
                    "UPDATE fleet_incidents SET checks = $2 WHERE id = $1",
                    vec![id.into(), json(&checks).into()],
                ))
                .await?;
            }
            (Step::Close, Some((id, _))) => {
                // Never before its start: a collector whose clock is behind the one that opened
                // it (after a lease handover) closes it at its start, not earlier.
                tx.execute_raw(self.stmt(
                    "UPDATE fleet_incidents SET ended_at_ms =
                        CASE WHEN started_at_ms > $2 THEN started_at_ms ELSE $2 END
                     WHERE id = $1",
                    vec![id.into(), at.into()],
                ))
                .await?;
            }
            (Step::Extend(_) | Step::Close, None) => {}
        }
        Ok(())
    }

    /// Removes polls and readings older than `cutoff_ms`, and incidents that ended before it: at
    /// most `limits` rows of each table (polls, readings, incidents), so that a backlog (a retention shortened, a collector
    /// back after weeks) is cleared over several cycles instead of one transaction that overruns
    /// its deadline at every cycle and so never writes again.
    async fn prune(
        &self,
        tx: &DatabaseTransaction,
        cutoff_ms: u64,
        limits: [i64; 3],
    ) -> Result<(), DbErr> {
        let cutoff = i64_ms(cutoff_ms);
        // The rows to remove by their physical id: one index range, then direct lookups.
        let (id, open, close) = match self.backend {
            DbBackend::Postgres => ("ctid", "= ANY(ARRAY(", "))"),
            _ => ("rowid", "IN (", ")"),
        };
        for ((table, old), limit) in [
            ("fleet_polls", "at_ms < $1"),
            ("fleet_readings", "at_ms < $1"),
            (
                "fleet_incidents",
                "ended_at_ms IS NOT NULL AND ended_at_ms < $1",
            ),
        ]
        .into_iter()
        .zip(limits)
        {
            let sql = format!(
                "DELETE FROM {table} WHERE {id} {open}SELECT {id} FROM {table} WHERE {old} LIMIT $2{close}"
            );
            tx.execute_raw(self.stmt(&sql, vec![cutoff.into(), limit.into()]))
                .await?;
        }
        Ok(())
    }
}
