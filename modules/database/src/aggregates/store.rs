use super::payload;
use super::sql::Row;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The PostgreSQL results table that lets replicas share one computation per window.
///
/// Each version of an aggregate — its name and the [fingerprint](super::payload::fingerprint)
/// of its declaration — has a row, so that during a rolling deploy the old and the new
/// declaration each have their own window and result, and neither ever reads the other's rows
/// (ADR 0015). A replica whose window is due *claims* the row with one atomic
/// `UPDATE … WHERE due_at <= now() AND lease expired … RETURNING`, writing a fresh token; only
/// the claimant runs the query, then writes the result, the next due time and clears the lease,
/// *only while its token still holds*: a claimant whose lease expired and was taken over cannot
/// overwrite the newer result. Others read the row. A lease (not a session advisory lock) is used
/// so that a claimant that dies or is cancelled blocks nobody past its lease.
///
/// Every call is bounded: the aggregate pool's sessions carry `lock_timeout` and
/// `statement_timeout`, and each call here runs under a deadline of its own.
pub(crate) struct Store {
    table: String,
    deadline: Duration,
    prepared: AtomicBool,
}

/// Rows no version has claimed for this long past their due time are removed at start-up: a
/// declaration that was deployed away. A live one that was merely not scraped is due anyway,
/// and its next claim writes its row again.
const ABANDONED_AFTER: &str = "1 day";

/// One version of one aggregate: its row in the table, and the shape its payload must have.
pub(crate) struct Key<'a> {
    pub(crate) name: &'a str,
    pub(crate) fingerprint: &'a str,
    pub(crate) labels: usize,
    pub(crate) values: usize,
}

/// What the results row says. Times are the database's clock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stored {
    pub(crate) rows: Option<Vec<Row>>,
    pub(crate) succeeded_at: Option<f64>,
    pub(crate) age_seconds: Option<f64>,
    pub(crate) refresh_seconds: Option<f64>,
    pub(crate) last_error: Option<String>,
    pub(crate) attempted: bool,
    pub(crate) due_in_seconds: f64,
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The database refused or failed the statement.
    #[error("{0}")]
    Db(#[from] DbErr),
    /// No answer within the deadline (a lock, a hung connection, an exhausted pool).
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Deadline(Duration),
}

fn stmt(sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// A claim token unique across processes and calls.
pub(crate) fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Store {
    pub(crate) fn new(table: &str, deadline: Duration) -> Self {
        Self {
            table: format!("\"{}\"", table.replace('"', "\"\"")),
            deadline,
            prepared: AtomicBool::new(false),
        }
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.deadline, call).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(StoreError::Deadline(self.deadline)),
        }
    }

    /// Creates the table (once per cluster; a concurrent creator's race is tolerated) and
    /// removes abandoned rows, unless done already by this process.
    pub(crate) async fn prepare(&self, db: &DatabaseConnection) -> Result<(), StoreError> {
        if self.prepared.load(Ordering::Acquire) {
            return Ok(());
        }
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {t} (
                name text NOT NULL,
                fingerprint text NOT NULL,
                payload text,
                succeeded_at timestamptz,
                attempted_at timestamptz,
                refresh_seconds double precision,
                last_error text,
                due_at timestamptz NOT NULL DEFAULT to_timestamp(0),
                claimed_until timestamptz,
                claim_token text,
                accepted_runs bigint NOT NULL DEFAULT 0,
                PRIMARY KEY (name, fingerprint)
            )",
            t = self.table
        );
        if let Err(e) = self.bounded(db.execute_unprepared(&create)).await {
            // Two replicas creating the table at once: the loser sees a unique violation on the
            // catalog; the table exists either way, which the statement below confirms.
            tracing::debug!("creating aggregate results table: {e}");
        }
        self.bounded(db.execute_unprepared(&format!(
            "DELETE FROM {} WHERE due_at < now() - interval '{ABANDONED_AFTER}'
               AND (claimed_until IS NULL OR claimed_until < now())",
            self.table
        )))
        .await?;
        self.prepared.store(true, Ordering::Release);
        Ok(())
    }

    /// Claims the refresh of `key` with `token` if its window is due and nobody holds the lease;
    /// a version without a row yet gets one, claimed. The lease starts on the database's clock
    /// when the statement runs (after the connection was acquired).
    pub(crate) async fn claim(
        &self,
        db: &DatabaseConnection,
        key: &Key<'_>,
        token: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let row = self
            .bounded(db.query_one_raw(stmt(
                format!(
                    "INSERT INTO {t} AS r (name, fingerprint, claimed_until, claim_token)
                     VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3), $4)
                     ON CONFLICT (name, fingerprint) DO UPDATE
                        SET claimed_until = excluded.claimed_until, claim_token = excluded.claim_token
                        WHERE r.due_at <= now()
                          AND (r.claimed_until IS NULL OR r.claimed_until < now())
                     RETURNING r.name",
                    t = self.table
                ),
                vec![
                    key.name.into(),
                    key.fingerprint.into(),
                    lease.as_secs_f64().into(),
                    token.into(),
                ],
            )))
            .await?;
        Ok(row.is_some())
    }

    /// Records a refresh made under `token`: the rows on success (keeping the previous ones on
    /// failure), the error, the duration, the next due time; releases the lease. Returns the
    /// database's time of the write, or `None` when the token no longer holds (the lease expired
    /// and another replica took over): the late result is refused.
    pub(crate) async fn complete(
        &self,
        db: &DatabaseConnection,
        key: &Key<'_>,
        token: &str,
        result: &Result<Vec<Row>, String>,
        refresh: Duration,
        ttl: Duration,
    ) -> Result<Option<f64>, StoreError> {
        let (payload, error): (Option<String>, Option<String>) = match result {
            Ok(rows) => (Some(payload::encode(rows)), None),
            Err(e) => (None, Some(e.clone())),
        };
        let row = self
            .bounded(db.query_one_raw(stmt(
                format!(
                    "UPDATE {} SET
                        payload = COALESCE($2, payload),
                        succeeded_at = CASE WHEN $3::text IS NULL THEN now() ELSE succeeded_at END,
                        last_error = $3,
                        attempted_at = now(),
                        refresh_seconds = $4,
                        due_at = now() + make_interval(secs => $5),
                        claimed_until = NULL,
                        claim_token = NULL,
                        accepted_runs = accepted_runs + 1
                     WHERE name = $1 AND fingerprint = $7 AND claim_token = $6
                     RETURNING EXTRACT(EPOCH FROM now())::float8 AS at",
                    self.table
                ),
                vec![
                    key.name.into(),
                    payload.into(),
                    error.into(),
                    refresh.as_secs_f64().into(),
                    ttl.as_secs_f64().into(),
                    token.into(),
                    key.fingerprint.into(),
                ],
            )))
            .await?;
        match row {
            Some(r) => Ok(Some(r.try_get("", "at")?)),
            None => Ok(None),
        }
    }

    /// Reads the shared result of `key`. A payload that does not have the declaration's shape
    /// is ignored (no rows), never served.
    pub(crate) async fn read(
        &self,
        db: &DatabaseConnection,
        key: &Key<'_>,
    ) -> Result<Stored, StoreError> {
        let row = self
            .bounded(db.query_one_raw(stmt(
                format!(
                    "SELECT payload,
                        EXTRACT(EPOCH FROM succeeded_at)::float8 AS succeeded_at,
                        EXTRACT(EPOCH FROM (now() - succeeded_at))::float8 AS age,
                        refresh_seconds, last_error,
                        attempted_at IS NOT NULL AS attempted,
                        EXTRACT(EPOCH FROM (due_at - now()))::float8 AS due_in
                     FROM {} WHERE name = $1 AND fingerprint = $2",
                    self.table
                ),
                vec![key.name.into(), key.fingerprint.into()],
            )))
            .await?;
        let Some(r) = row else {
            return Ok(Stored::default());
        };
        let payload: Option<String> = r.try_get("", "payload")?;
        let decoded = payload
            .as_deref()
            .map(|p| payload::decode(p, key.labels, key.values))
            .transpose();
        let rows = match decoded {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(aggregate = %key.name, "stored result ignored: {e}");
                None
            }
        };
        Ok(Stored {
            rows,
            succeeded_at: r.try_get("", "succeeded_at")?,
            age_seconds: r.try_get("", "age")?,
            refresh_seconds: r.try_get("", "refresh_seconds")?,
            last_error: r.try_get("", "last_error")?,
            attempted: r.try_get("", "attempted")?,
            due_in_seconds: r.try_get::<Option<f64>>("", "due_in")?.unwrap_or(0.0),
        })
    }

    /// How many completed runs of `key` were accepted.
    #[cfg(test)]
    pub(crate) async fn accepted_runs(
        &self,
        db: &DatabaseConnection,
        key: &Key<'_>,
    ) -> Result<i64, StoreError> {
        let row = self
            .bounded(db.query_one_raw(stmt(
                format!(
                    "SELECT accepted_runs FROM {} WHERE name = $1 AND fingerprint = $2",
                    self.table
                ),
                vec![key.name.into(), key.fingerprint.into()],
            )))
            .await?;
        Ok(match row {
            Some(r) => r.try_get("", "accepted_runs")?,
            None => 0,
        })
    }
}

#[cfg(test)]
mod tests;
