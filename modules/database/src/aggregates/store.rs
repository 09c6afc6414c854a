use super::sql::Row;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use std::time::Duration;

/// The PostgreSQL results table that lets replicas share one computation per window.
///
/// Each aggregate has a row. A replica whose window is due *claims* the row with one atomic
/// `UPDATE … WHERE due_at <= now() AND lease expired … RETURNING`; only the claimant runs the
/// query, then writes the result, the next due time and clears the lease. Others read the row.
/// A lease (not a session advisory lock) is used so that a claimant that dies or is cancelled
/// blocks nobody past `timeout`.
pub(crate) struct Store {
    table: String,
}

/// What the results row says.
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

fn stmt(sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

impl Store {
    pub(crate) fn new(table: &str) -> Self {
        Self {
            table: format!("\"{}\"", table.replace('"', "\"\"")),
        }
    }

    /// Creates the table (once per cluster; a concurrent creator's race is tolerated) and a row
    /// per aggregate.
    pub(crate) async fn prepare(
        &self,
        db: &DatabaseConnection,
        names: &[String],
    ) -> Result<(), DbErr> {
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {} (
                name text PRIMARY KEY,
                payload text,
                succeeded_at timestamptz,
                attempted_at timestamptz,
                refresh_seconds double precision,
                last_error text,
                due_at timestamptz NOT NULL DEFAULT to_timestamp(0),
                claimed_until timestamptz
            )",
            self.table
        );
        if let Err(e) = db.execute_unprepared(&create).await {
            // Two replicas creating the table at once: the loser sees a unique violation on the
            // catalog; the table exists either way, which the inserts below confirm.
            tracing::debug!("creating aggregate results table: {e}");
        }
        for name in names {
            db.execute_raw(stmt(
                format!(
                    "INSERT INTO {} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                    self.table
                ),
                vec![name.clone().into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Claims the refresh of `name` if its window is due and nobody holds the lease.
    pub(crate) async fn claim(
        &self,
        db: &DatabaseConnection,
        name: &str,
        lease: Duration,
    ) -> Result<bool, DbErr> {
        let row = db
            .query_one_raw(stmt(
                format!(
                    "UPDATE {} SET claimed_until = now() + make_interval(secs => $2)
                     WHERE name = $1 AND due_at <= now()
                       AND (claimed_until IS NULL OR claimed_until < now())
                     RETURNING name",
                    self.table
                ),
                vec![name.into(), lease.as_secs_f64().into()],
            ))
            .await?;
        Ok(row.is_some())
    }

    /// Records a refresh: the rows on success (keeping the previous ones on failure), the error,
    /// the duration, and the next due time; releases the lease.
    pub(crate) async fn complete(
        &self,
        db: &DatabaseConnection,
        name: &str,
        result: &Result<Vec<Row>, String>,
        refresh: Duration,
        ttl: Duration,
    ) -> Result<(), DbErr> {
        let (payload, error): (Option<String>, Option<String>) = match result {
            Ok(rows) => (Some(serde_json::to_string(rows).unwrap_or_default()), None),
            Err(e) => (None, Some(e.clone())),
        };
        db.execute_raw(stmt(
            format!(
                "UPDATE {} SET
                    payload = COALESCE($2, payload),
                    succeeded_at = CASE WHEN $3::text IS NULL THEN now() ELSE succeeded_at END,
                    last_error = $3,
                    attempted_at = now(),
                    refresh_seconds = $4,
                    due_at = now() + make_interval(secs => $5),
                    claimed_until = NULL
                 WHERE name = $1",
                self.table
            ),
            vec![
                name.into(),
                payload.into(),
                error.into(),
                refresh.as_secs_f64().into(),
                ttl.as_secs_f64().into(),
            ],
        ))
        .await?;
        Ok(())
    }

    /// Reads the shared result of `name`.
    pub(crate) async fn read(&self, db: &DatabaseConnection, name: &str) -> Result<Stored, DbErr> {
        let row = db
            .query_one_raw(stmt(
                format!(
                    "SELECT payload,
                        EXTRACT(EPOCH FROM succeeded_at)::float8 AS succeeded_at,
                        EXTRACT(EPOCH FROM (now() - succeeded_at))::float8 AS age,
                        refresh_seconds, last_error,
                        attempted_at IS NOT NULL AS attempted,
                        EXTRACT(EPOCH FROM (due_at - now()))::float8 AS due_in
                     FROM {} WHERE name = $1",
                    self.table
                ),
                vec![name.into()],
            ))
            .await?;
        let Some(r) = row else {
            return Ok(Stored::default());
        };
        let payload: Option<String> = r.try_get("", "payload")?;
        Ok(Stored {
            rows: payload.and_then(|p| serde_json::from_str(&p).ok()),
            succeeded_at: r.try_get("", "succeeded_at")?,
            age_seconds: r.try_get("", "age")?,
            refresh_seconds: r.try_get("", "refresh_seconds")?,
            last_error: r.try_get("", "last_error")?,
            attempted: r.try_get("", "attempted")?,
            due_in_seconds: r.try_get::<Option<f64>>("", "due_in")?.unwrap_or(0.0),
        })
    }
}
