//! Query timing: [`TimedConnection`] wraps the service's sea-orm connection and times every call
//! on the monotonic clock, splitting pool wait from execution with the pool's acquire hooks.
use sea_orm::{
    AccessMode, ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, IsolationLevel, QueryResult, Statement, TransactionError,
    TransactionOptions, TransactionTrait,
};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use vitals::Metrics;
use vitals::metrics::{Counter, ErrorKind, Histogram};

tokio::task_local! {
    /// Set while a [`TimedConnection`] call runs; the pool's acquire hooks note when the
    /// connection was handed over.
    static CALL: Cell<Option<Instant>>;
}

/// Called by the pool's `before_acquire` / `after_connect` hooks (which run in the acquiring
/// task): the end of the pool wait.
pub(crate) fn mark_acquired() {
    let _ = CALL.try_with(|c| c.set(Some(Instant::now())));
}

/// Runs `fut` so that its statements are not counted as service queries (the health check's own).
pub(crate) async fn uncounted<T>(fut: impl Future<Output = T>) -> T {
    CALL.scope(Cell::new(None), fut).await
}

fn in_timed_call() -> bool {
    CALL.try_with(|_| ()).is_ok()
}

/// The bounded `operation` label: the statement's first keyword.
/// The discriminant is the index into [`QueryMetrics`]' resolved series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Select = 0,
    Insert,
    Update,
    Delete,
    Other,
}

impl Operation {
    const ALL: [Operation; 5] = [
        Self::Select,
        Self::Insert,
        Self::Update,
        Self::Delete,
        Self::Other,
    ];

    pub(crate) fn of(sql: &str) -> Self {
        let word = sql
            .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        match word.to_ascii_lowercase().as_str() {
            "select" => Self::Select,
            "insert" => Self::Insert,
            "update" => Self::Update,
            "delete" => Self::Delete,
            _ => Self::Other,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Select => "select",
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Other => "other",
        }
    }
}

/// The database module's query families, with every label set resolved once.
pub(crate) struct QueryMetrics {
    /// `[operation][ok, error]`.
    duration: Vec<[Histogram; 2]>,
    acquire: Histogram,
    acquire_timeouts: Counter,
    db_errors: Counter,
    /// The latest pool wait, in nanoseconds (for the `db` check's details).
    last_wait_nanos: std::sync::atomic::AtomicU64,
}

impl QueryMetrics {
    pub(crate) fn register(metrics: &Metrics) -> Result<Self, vitals::Error> {
        let buckets = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let duration = metrics.histogram_vec(
            "vitals_db_query_duration_seconds",
            "Database query execution time (after the pool wait), by operation and outcome.",
            &["operation", "outcome"],
            Some(buckets.clone()),
        )?;
        let acquire = metrics.histogram(
            "vitals_db_pool_acquire_duration_seconds",
            "Time queries waited for a pooled connection.",
            Some(buckets),
        )?;
        let acquire_timeouts = metrics.counter(
            "vitals_db_pool_acquire_timeouts_total",
            "Queries that gave up waiting for a pooled connection.",
        )?;
        let duration = Operation::ALL
            .iter()
            .map(|op| {
                [
                    duration.with_label_values(&[op.as_str(), "ok"]),
                    duration.with_label_values(&[op.as_str(), "error"]),
                ]
            })
            .collect();
        Ok(Self {
            duration,
            acquire,
            acquire_timeouts,
            db_errors: metrics.error_counter(ErrorKind::Db),
            last_wait_nanos: std::sync::atomic::AtomicU64::new(0),
        })
    }

    fn observe_wait(&self, wait: std::time::Duration) {
        self.acquire.observe(wait.as_secs_f64());
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.last_wait_nanos
            .store(nanos, std::sync::atomic::Ordering::Relaxed);
    }

    /// The latest time a query waited for a pooled connection.
    pub(crate) fn last_wait(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(
            self.last_wait_nanos
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    fn observe(&self, op: Operation, ok: bool, seconds: f64) {
        self.duration[op as usize][usize::from(!ok)].observe(seconds);
        if !ok {
            self.db_errors.inc();
        }
    }

    /// The sea-orm metric callback, for statements that run outside a [`TimedConnection`] call
    /// (inside transactions). sea-orm measures those with the wall clock.
    pub(crate) fn callback(
        cell: Arc<OnceLock<QueryMetrics>>,
    ) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
        move |info| {
            if in_timed_call() {
                return;
            }
            if let Some(m) = cell.get() {
                m.observe(
                    Operation::of(&info.statement.sql),
                    !info.failed,
                    info.elapsed.as_secs_f64(),
                );
            }
        }
    }
}

/// The service's sea-orm connection, timed: every query, `execute_unprepared` included, is
/// observed in `vitals_db_query_duration_seconds{operation,outcome}`, its pool wait in
/// `vitals_db_pool_acquire_duration_seconds`, and failures in `vitals_errors_total{type="db"}`.
///
/// Use it wherever sea-orm takes `&impl ConnectionTrait`: `Entity::find().all(&conn)`.
/// Statements inside a transaction (`begin()` / `transaction(..)`) are timed by sea-orm's own
/// metric callback instead, which starts after the pool wait and uses the wall clock.
#[derive(Clone)]
pub struct TimedConnection {
    inner: DatabaseConnection,
    metrics: Arc<OnceLock<QueryMetrics>>,
}

impl std::fmt::Debug for TimedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedConnection").finish_non_exhaustive()
    }
}

impl TimedConnection {
    pub(crate) fn new(inner: DatabaseConnection, metrics: Arc<OnceLock<QueryMetrics>>) -> Self {
        Self { inner, metrics }
    }

    /// The untimed sea-orm connection underneath.
    pub fn inner(&self) -> &DatabaseConnection {
        &self.inner
    }

    async fn timed<T>(
        &self,
        op: Operation,
        call: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<T, DbErr> {
        let Some(m) = self.metrics.get() else {
            return call.await;
        };
        let start = Instant::now();
        let (result, acquired) = CALL
            .scope(Cell::new(None), async {
                let r = call.await;
                (r, CALL.with(Cell::get))
            })
            .await;
        let end = Instant::now();
        let ok = result.is_ok();
        match (acquired, &result) {
            (_, Err(DbErr::ConnectionAcquire(reason))) => {
                m.observe_wait(end - start);
                if matches!(reason, ConnAcquireErr::Timeout) {
                    m.acquire_timeouts.inc();
                }
                m.db_errors.inc();
            }
            (Some(at), _) => {
                m.observe_wait(at.saturating_duration_since(start));
                m.observe(op, ok, end.saturating_duration_since(at).as_secs_f64());
            }
            (None, _) => m.observe(op, ok, (end - start).as_secs_f64()),
        }
        result
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for TimedConnection {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let op = Operation::of(&stmt.sql);
        self.timed(op, self.inner.execute_raw(stmt)).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.timed(Operation::of(sql), self.inner.execute_unprepared(sql))
            .await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let op = Operation::of(&stmt.sql);
        self.timed(op, self.inner.query_one_raw(stmt)).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let op = Operation::of(&stmt.sql);
        self.timed(op, self.inner.query_all_raw(stmt)).await
    }
}

type TxnCallback<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

#[async_trait::async_trait]
impl TransactionTrait for TimedConnection {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.inner.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner.begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxnCallback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxnCallback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;

    #[test]
    fn operation_is_the_first_keyword() {
        let table = [
            ("SELECT 1", Operation::Select),
            ("  select * from t", Operation::Select),
            ("(SELECT 1) UNION (SELECT 2)", Operation::Select),
            ("INSERT INTO t VALUES (1)", Operation::Insert),
            ("update t set x = 1", Operation::Update),
            ("DELETE FROM t", Operation::Delete),
            ("WITH x AS (SELECT 1) SELECT * FROM x", Operation::Other),
            ("CREATE TABLE t (id int)", Operation::Other),
            ("", Operation::Other),
        ];
        for (sql, want) in table {
            assert_eq!(Operation::of(sql), want, "{sql}");
        }
    }
}
