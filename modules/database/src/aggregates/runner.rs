use super::sql::{Row, read_rows, wrapped};
use super::store::{Store, Stored};
use futures_util::FutureExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use vitals::Coalesced;
use vitals::metrics::SqlAggregate;

/// What a scrape can serve for one aggregate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    /// Last good rows, served until `good_until`.
    pub(crate) rows: Option<Arc<Vec<Row>>>,
    pub(crate) good_until: Option<Instant>,
    /// Unix time of the last success.
    pub(crate) succeeded_at: Option<f64>,
    /// Whether the last attempt succeeded; `None` before the first attempt.
    pub(crate) up: Option<bool>,
    pub(crate) refresh_seconds: Option<f64>,
}

/// One aggregate: when to refresh, the refresh itself (coalesced), and the last snapshot.
pub(crate) struct Runner {
    pub(crate) agg: SqlAggregate,
    sql: String,
    backend: DbBackend,
    pool: DatabaseConnection,
    store: Option<Arc<Store>>,
    wait: Duration,
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
        pool: DatabaseConnection,
        store: Option<Arc<Store>>,
        wait: Duration,
    ) -> Self {
        let backend = pool.get_database_backend();
        Self {
            sql: wrapped(&agg, backend),
            agg,
            backend,
            pool,
            store,
            wait,
            executions: AtomicU64::new(0),
            snap: Coalesced::new(),
        }
    }

    fn previous(&self) -> Arc<Snapshot> {
        self.snap.current().unwrap_or_default()
    }

    /// The snapshot to serve. When the window is due, one refresh runs (shared by concurrent
    /// scrapes); a scrape waits for it at most `wait`, then serves the previous snapshot.
    pub(crate) async fn snapshot(self: &Arc<Self>) -> Arc<Snapshot> {
        let me = self.clone();
        let previous = self.previous();
        let run = self.snap.get(move || {
            let task = tokio::spawn(async move { me.refresh().await });
            async move { task.await.unwrap_or(previous) }.boxed()
        });
        match tokio::time::timeout(self.wait, run.into_future()).await {
            Ok(snap) => snap,
            Err(_) => self.previous(),
        }
    }

    async fn refresh(&self) -> Arc<Snapshot> {
        let (snap, next) = match &self.store {
            None => self.refresh_here().await,
            Some(store) => self.refresh_shared(store).await,
        };
        let snap = Arc::new(snap);
        self.snap.finish(snap.clone(), Some(next));
        snap
    }

    /// Runs the aggregate on the dedicated pool: on PostgreSQL inside a READ ONLY transaction with
    /// `SET LOCAL statement_timeout`, elsewhere bounded by dropping the future.
    async fn run_query(&self) -> Result<Vec<Row>, String> {
        self.executions.fetch_add(1, Ordering::Relaxed);
        let stmt = Statement::from_string(self.backend, self.sql.clone());
        let timeout = self.agg.timeout;
        let query = async {
            if self.backend == DbBackend::Postgres {
                let txn = self
                    .pool
                    .begin_with_config(None, Some(AccessMode::ReadOnly))
                    .await
                    .map_err(|e| e.to_string())?;
                txn.execute_unprepared(&format!(
                    "SET LOCAL statement_timeout = {}",
                    timeout.as_millis().max(1)
                ))
                .await
                .map_err(|e| e.to_string())?;
                let rows = txn.query_all_raw(stmt).await.map_err(|e| e.to_string())?;
                txn.commit().await.map_err(|e| e.to_string())?;
                Ok(rows)
            } else {
                self.pool
                    .query_all_raw(stmt)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        // The database enforces the timeout on PostgreSQL; this bound is the fallback.
        let rows = match tokio::time::timeout(timeout + Duration::from_secs(1), query).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(format!(
                    "timed out after {}",
                    humantime::format_duration(timeout)
                ));
            }
        };
        read_rows(&self.agg, &rows)
    }

    fn after(&self, result: Result<Vec<Row>, String>, took: Duration) -> Snapshot {
        let previous = self.previous();
        match result {
            Ok(rows) => Snapshot {
                rows: Some(Arc::new(rows)),
                good_until: Some(Instant::now() + self.agg.staleness_limit()),
                succeeded_at: Some(unix_now()),
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
        let snap = self.after(result, start.elapsed());
        (snap, Instant::now() + self.agg.ttl)
    }

    /// Cluster mode: claim the window or read what the claimant wrote.
    async fn refresh_shared(&self, store: &Store) -> (Snapshot, Instant) {
        let name = &self.agg.name;
        let lease = self.agg.timeout + Duration::from_secs(5);
        match store.claim(&self.pool, name, lease).await {
            Ok(true) => {
                let start = Instant::now();
                let result = self.run_query().await;
                let took = start.elapsed();
                if let Err(e) = store
                    .complete(&self.pool, name, &result, took, self.agg.ttl)
                    .await
                {
                    tracing::warn!(aggregate = %name, "cannot record aggregate result: {e}");
                }
                (self.after(result, took), Instant::now() + self.agg.ttl)
            }
            Ok(false) => match store.read(&self.pool, name).await {
                Ok(stored) => {
                    let next = if stored.due_in_seconds > 0.0 {
                        Duration::from_secs_f64(stored.due_in_seconds)
                    } else {
                        // Due but claimed by another replica: look again shortly.
                        self.agg.ttl.min(Duration::from_millis(250))
                    };
                    (self.snapshot_of(stored), Instant::now() + next)
                }
                Err(e) => self.store_failed(e),
            },
            Err(e) => self.store_failed(e),
        }
    }

    fn store_failed(&self, e: sea_orm::DbErr) -> (Snapshot, Instant) {
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
