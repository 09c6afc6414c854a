use super::pools::AggregatePools;
use super::sql::{Row, probe, read_rows, wrapped};
use super::store::{Key, Store, StoreError, Stored, new_token};
use super::{AggregatesConfig, payload};
use crate::SqlAggregate;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement,
    TransactionTrait,
};
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use vitals::Coalesced;

/// What a scrape can serve for one aggregate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    /// Last good rows, served until `good_until`.
    pub(crate) rows: Option<Arc<Vec<Row>>>,
    pub(crate) good_until: Option<Instant>,
    /// Unix time of the last success (the database's clock in cluster mode).
    pub(crate) succeeded_at: Option<f64>,
    /// Whether the last attempt succeeded; `None` before the first attempt.
    pub(crate) up: Option<bool>,
    pub(crate) refresh_seconds: Option<f64>,
}

/// One aggregate: when to refresh, the refresh itself (coalesced), and the last snapshot.
pub(crate) struct Runner {
    pub(crate) agg: SqlAggregate,
    sql: String,
    probe: String,
    backend: DbBackend,
    /// Runs the declared SQL (read-only where the driver allows).
    queries: DatabaseConnection,
    /// Reads and writes the results table.
    store_pool: DatabaseConnection,
    store: Option<Arc<Store>>,
    /// Of the declaration: the results table keeps one row per name and fingerprint.
    fingerprint: String,
    wait: Duration,
    store_deadline: Duration,
    /// Whether the query was checked against the database (at start, or on the first
    /// successful connection when the database was down at start).
    validated: AtomicBool,
    /// Set when a refresh panicked or was cancelled: the snapshot then reads `up` 0.
    run_failed: Arc<AtomicBool>,
    executions: AtomicU64,
    /// Valid until the next check is due.
    snap: Coalesced<Arc<Snapshot>>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

impl Runner {
    pub(crate) fn new(
        agg: SqlAggregate,
        pools: &AggregatePools,
        store: Option<Arc<Store>>,
        settings: &AggregatesConfig,
        validated: bool,
    ) -> Self {
        let backend = pools.queries.get_database_backend();
        let run_failed = Arc::new(AtomicBool::new(false));
        let (failed, name) = (run_failed.clone(), agg.name.clone());
        Self {
            sql: wrapped(&agg, backend),
            probe: probe(&agg, backend),
            fingerprint: payload::fingerprint(&agg),
            agg,
            backend,
            queries: pools.queries.clone(),
            store_pool: pools.store.clone(),
            store,
            wait: settings.wait,
            store_deadline: settings.store_timeout,
            validated: AtomicBool::new(validated),
            run_failed,
            executions: AtomicU64::new(0),
            snap: Coalesced::new().on_failure(move |f| {
                failed.store(true, Ordering::SeqCst);
                tracing::warn!(aggregate = %name, "aggregate refresh {f}");
            }),
        }
    }

    /// The snapshot as it stands, without waiting: `up` reads 0 after a refresh that panicked
    /// or was cancelled.
    pub(crate) fn previous(&self) -> Arc<Snapshot> {
        let snap = self.snap.current().unwrap_or_default();
        if self.run_failed.load(Ordering::SeqCst) {
            Arc::new(Snapshot {
                up: Some(false),
                ..(*snap).clone()
            })
        } else {
            snap
        }
    }

    /// The snapshot to serve. When the window is due, one refresh runs (shared by concurrent
    /// scrapes, and finishing even if they stop waiting); a scrape waits for it at most `wait`,
    /// then serves the previous snapshot.
    pub(crate) async fn snapshot(self: &Arc<Self>) -> Arc<Snapshot> {
        let me = self.clone();
        let run = self.snap.get(move || async move { me.refresh().await });
        match tokio::time::timeout(self.wait, run.into_future()).await {
            Ok(Ok(snap)) => snap,
            _ => self.previous(),
        }
    }

    /// Aborts the refresh under way (shutdown, tests).
    #[cfg(test)]
    pub(crate) fn cancel_refresh(&self) {
        self.snap.cancel();
    }

    async fn refresh(&self) -> (Arc<Snapshot>, Option<Instant>) {
        let (snap, next) = match &self.store {
            None => self.refresh_here().await,
            Some(store) => self.refresh_shared(store).await,
        };
        self.run_failed.store(false, Ordering::SeqCst);
        (Arc::new(snap), Some(next))
    }

    /// Runs `sql` read-only under the aggregate's timeout: on PostgreSQL inside a READ ONLY
    /// transaction with `SET LOCAL statement_timeout` and `lock_timeout`, on MySQL in a READ ONLY
    /// transaction, on SQLite on the pool's `query_only` connections. A deadline in Rust bounds
    /// all of it (pool wait included).
    async fn read_only(&self, sql: &str) -> Result<Vec<QueryResult>, String> {
        let stmt = Statement::from_string(self.backend, sql.to_owned());
        let timeout = self.agg.timeout;
        let query = async {
            if self.backend == DbBackend::Sqlite {
                return self
                    .queries
                    .query_all_raw(stmt)
                    .await
                    .map_err(|e| e.to_string());
            }
            let txn = self
                .queries
                .begin_with_config(None, Some(AccessMode::ReadOnly))
                .await
                .map_err(|e| e.to_string())?;
            if self.backend == DbBackend::Postgres {
                let ms = timeout.as_millis().max(1);
                txn.execute_unprepared(&format!(
                    "SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {ms}"
                ))
                .await
                .map_err(|e| e.to_string())?;
            }
            let rows = txn.query_all_raw(stmt).await.map_err(|e| e.to_string())?;
            txn.commit().await.map_err(|e| e.to_string())?;
            Ok(rows)
        };
        match tokio::time::timeout(self.run_bound(), query).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "timed out after {}",
                humantime::format_duration(timeout)
            )),
        }
    }

    /// The longest one read-only statement takes, pool wait included.
    fn run_bound(&self) -> Duration {
        self.agg.timeout + self.store_deadline + Duration::from_secs(1)
    }

    /// The lease a claimant takes: the claim's answer, the work it then does — validating the
    /// query first when that is still due, then running it, each within [`Self::run_bound`] —
    /// and the write of the result, with a second to spare. No other replica can claim the
    /// window while the claimant may still be running it, so the first run after an outage,
    /// which also validates, does not run twice.
    fn lease(&self) -> Duration {
        let steps = if self.validated.load(Ordering::SeqCst) {
            1
        } else {
            2
        };
        self.run_bound() * steps + self.store_deadline * 2 + Duration::from_secs(1)
    }

    fn key(&self) -> Key<'_> {
        Key {
            name: &self.agg.name,
            fingerprint: &self.fingerprint,
            labels: self.agg.labels.len(),
            values: self.agg.values.len(),
        }
    }

    /// Runs the query returning no rows (read-only, under the aggregate's timeout): checks that
    /// the SQL and its columns exist.
    ///
    /// # Errors
    /// The database's message.
    pub(crate) async fn validate(&self) -> Result<(), String> {
        self.read_only(&self.probe).await?;
        self.validated.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Checks the query once against the database (when that was not possible at start), then
    /// runs it.
    async fn run_query(&self) -> Result<Vec<Row>, String> {
        if !self.validated.load(Ordering::SeqCst) {
            self.validate().await.map_err(|e| {
                tracing::error!(aggregate = %self.agg.name, "aggregate not validated (invalid query, or the database is unavailable): {e}");
                format!("not validated: {e}")
            })?;
        }
        self.executions.fetch_add(1, Ordering::Relaxed);
        let rows = self.read_only(&self.sql).await?;
        read_rows(&self.agg, &rows)
    }

    fn after(&self, result: Result<Vec<Row>, String>, took: Duration, at: f64) -> Snapshot {
        let previous = self.previous();
        match result {
            Ok(rows) => Snapshot {
                rows: Some(Arc::new(rows)),
                good_until: Some(Instant::now() + self.agg.staleness_limit()),
                succeeded_at: Some(at),
                up: Some(true),
                refresh_seconds: Some(took.as_secs_f64()),
            },
            Err(e) => {
                tracing::warn!(aggregate = %self.agg.name, "aggregate refresh failed: {e}");
                Snapshot {
                    up: Some(false),
                    refresh_seconds: Some(took.as_secs_f64()),
                    ..(*previous).clone()
                }
            }
        }
    }

    /// Local mode: this process computes its own result once per TTL.
    async fn refresh_here(&self) -> (Snapshot, Instant) {
        let start = Instant::now();
        let result = self.run_query().await;
        let snap = self.after(result, start.elapsed(), unix_now());
        (snap, Instant::now() + self.agg.ttl)
    }

    /// Cluster mode: claim the window or read what the claimant wrote.
    async fn refresh_shared(&self, store: &Store) -> (Snapshot, Instant) {
        if let Err(e) = store.prepare(&self.store_pool).await {
            return self.store_failed(e);
        }
        let key = self.key();
        let name = key.name;
        let token = new_token();
        match store
            .claim(&self.store_pool, &key, &token, self.lease())
            .await
        {
            Ok(true) => {
                let start = Instant::now();
                let result = self.run_query().await;
                let took = start.elapsed();
                match store
                    .complete(&self.store_pool, &key, &token, &result, took, self.agg.ttl)
                    .await
                {
                    Ok(Some(at)) => (self.after(result, took, at), Instant::now() + self.agg.ttl),
                    Ok(None) => {
                        tracing::warn!(aggregate = %name, "late aggregate result refused: the lease expired and another replica took over");
                        self.read_shared(store).await
                    }
                    Err(e) => self.store_failed(e),
                }
            }
            Ok(false) => self.read_shared(store).await,
            Err(e) => self.store_failed(e),
        }
    }

    async fn read_shared(&self, store: &Store) -> (Snapshot, Instant) {
        match store.read(&self.store_pool, &self.key()).await {
            Ok(stored) => {
                let next = if stored.due_in_seconds > 0.0 {
                    Duration::from_secs_f64(stored.due_in_seconds.min(self.agg.ttl.as_secs_f64()))
                } else {
                    // Due but claimed by another replica: look again shortly.
                    self.agg.ttl.min(Duration::from_millis(250))
                };
                (self.snapshot_of(stored), Instant::now() + next)
            }
            Err(e) => self.store_failed(e),
        }
    }

    fn store_failed(&self, e: StoreError) -> (Snapshot, Instant) {
        tracing::warn!(aggregate = %self.agg.name, "aggregate results table unavailable: {e}");
        let previous = self.previous();
        let snap = Snapshot {
            up: Some(false),
            ..(*previous).clone()
        };
        (
            snap,
            Instant::now() + self.agg.ttl.min(Duration::from_secs(1)),
        )
    }

    fn snapshot_of(&self, s: Stored) -> Snapshot {
        let limit = self.agg.staleness_limit().as_secs_f64();
        let good = match (s.rows, s.age_seconds) {
            (Some(rows), Some(age)) if age < limit => Some((
                Arc::new(rows),
                Instant::now() + Duration::from_secs_f64(limit - age.max(0.0)),
            )),
            _ => None,
        };
        Snapshot {
            good_until: good.as_ref().map(|g| g.1),
            rows: good.map(|g| g.0),
            succeeded_at: s.succeeded_at,
            up: s.attempted.then_some(s.last_error.is_none()),
            refresh_seconds: s.refresh_seconds,
        }
    }

    /// How many times this process has run the aggregate query.
    pub(crate) fn executions(&self) -> u64 {
        self.executions.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
