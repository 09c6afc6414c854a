use crate::SqlAggregate;
use crate::aggregates::{self, Runner};
use crate::pool::{PoolFamilies, options};
use crate::timing::{QueryMetrics, TimedConnection, mark_acquired};
use crate::{DatabaseConfig, DbCheck, Error, check_url, masked_url};
use sea_orm::{Database, DatabaseConnection};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use vitals::{Module, ModuleContext};

/// The database module: owns the service's sea-orm connection, registers the `db` check, pool
/// gauges and query timing, and serves the DB aggregate gauges. It provides its
/// [`TimedConnection`] and itself to the other modules and the app through the kernel's
/// container (`ctx.service::<TimedConnection>()`, `kernel.service::<TimedConnection>()`).
///
/// ```no_run
/// # async fn demo() -> Result<(), vitals_module_database::Error> {
/// use vitals_module_database::{DatabaseConfig, DatabaseModule};
/// let db = DatabaseModule::connect(DatabaseConfig::new("sqlite::memory:")).await?;
/// let conn = db.connection(); // timed; use it for the service's own queries
/// # let _ = conn; Ok(()) }
/// ```
#[derive(Clone)]
pub struct DatabaseModule {
    config: DatabaseConfig,
    conn: DatabaseConnection,
    check_conn: DatabaseConnection,
    query_metrics: Arc<OnceLock<QueryMetrics>>,
    file_aggregates: Vec<SqlAggregate>,
    declared: Arc<Mutex<Vec<SqlAggregate>>>,
    runners: Arc<Mutex<Vec<Arc<Runner>>>>,
}

/// Marks the end of the pool wait when a connection is handed over: `before_acquire` runs for an
/// idle connection, `after_connect` for a new one, both in the acquiring task.
fn mark_handover<DB: sea_orm::sqlx::Database>(
    o: sea_orm::sqlx::pool::PoolOptions<DB>,
) -> sea_orm::sqlx::pool::PoolOptions<DB> {
    o.before_acquire(|_, _| {
        Box::pin(async {
            mark_acquired();
            Ok(true)
        })
    })
    .after_connect(|_, _| {
        Box::pin(async {
            mark_acquired();
            Ok(())
        })
    })
}

impl DatabaseModule {
    /// Checks the URL, takes the aggregates file's entries (if any) and sets up the pools. Connections are
    /// made lazily: a database that is down now makes the `db` check fail (and `/ready` 503)
    /// until it is back, but does not stop the service from starting.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for an unparseable URL or unknown scheme, [`Error::Connect`] for
    /// options the driver refuses.
    pub async fn connect(config: DatabaseConfig) -> Result<Self, Error> {
        check_url(&config.url)?;
        if let Some(url) = &config.aggregates.url {
            check_url(url)?;
        }
        let masked = masked_url(&config.url);
        let file_aggregates = match (&config.aggregates.file, config.aggregates.enabled) {
            (Some(file), true) => file.aggregates.clone(),
            _ => Vec::new(),
        };
        let mut opts = options(&config.url, config.max_connections, config.acquire_timeout);
        opts.map_sqlx_postgres_pool_opts(mark_handover)
            .map_sqlx_sqlite_pool_opts(mark_handover);
        let connect_err = |source| Error::Connect {
            url: masked.clone(),
            source,
        };
        let mut conn = Database::connect(opts).await.map_err(connect_err)?;
        // The check's own connection, so that it measures the database and not the request pool.
        let check_wait = config.check_timeout.unwrap_or(Duration::from_secs(1)) * 3 / 4;
        let check_conn = Database::connect(options(&config.url, 1, check_wait))
            .await
            .map_err(connect_err)?;
        let query_metrics = Arc::new(OnceLock::new());
        conn.set_metric_callback(QueryMetrics::callback(query_metrics.clone()));
        Ok(Self {
            config,
            conn,
            check_conn,
            query_metrics,
            file_aggregates,
            declared: Arc::default(),
            runners: Arc::default(),
        })
    }

    /// The connection for the service's own queries: timed (see [`TimedConnection`]), cheap to
    /// clone.
    pub fn connection(&self) -> TimedConnection {
        TimedConnection::new(self.conn.clone(), self.query_metrics.clone())
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// How many times this process has run each aggregate query (aggregate name, count).
    pub fn aggregate_executions(&self) -> Vec<(String, u64)> {
        self.runners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|r| (r.agg.name.clone(), r.executions()))
            .collect()
    }

    /// Declares a SQL aggregate in code (beside those of `VITALS_AGGREGATES_FILE`), before the
    /// kernel starts: any module that holds the database module (through the container, see
    /// [`DatabaseModule::connection`]) can declare its own.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), vitals_module_database::Error> {
    /// use vitals_module_database::{DatabaseConfig, DatabaseModule, SqlAggregate};
    /// let db = DatabaseModule::connect(DatabaseConfig::new("sqlite::memory:")).await?;
    /// db.declare_aggregate(SqlAggregate::new("users", "Users.", "SELECT count(*) AS value FROM users"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidAggregate`] for a bad declaration or a name declared twice.
    pub fn declare_aggregate(&self, aggregate: SqlAggregate) -> Result<(), Error> {
        aggregate.validate()?;
        let mut list = self.declared.lock().unwrap_or_else(|e| e.into_inner());
        if list
            .iter()
            .chain(&self.file_aggregates)
            .any(|a| a.name == aggregate.name)
        {
            return Err(Error::InvalidAggregate {
                name: aggregate.name,
                reason: "declared twice (in code, or in code and in the aggregates file)".into(),
            });
        }
        list.push(aggregate);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Module for DatabaseModule {
    fn name(&self) -> &str {
        "database"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        // Other modules and the app find the connection (and this module, to declare
        // aggregates) through the kernel's container.
        ctx.provide(self.connection())?;
        ctx.provide(self.clone())?;
        if !self.config.aggregates_only {
            let metrics = QueryMetrics::register(ctx.metrics())?;
            let _ = self.query_metrics.set(metrics);
            ctx.metrics().add_collector(PoolFamilies {
                conn: self.conn.clone(),
            })?;
        }
        ctx.add_checker(DbCheck::new(
            self.check_conn.clone(),
            self.conn.clone(),
            self.query_metrics.clone(),
            self.config.check_timeout,
            self.config.check_cache_ttl,
        ))
    }

    async fn start(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        let mut all = self.file_aggregates.clone();
        all.extend(
            self.declared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        let runners = aggregates::start(&self.config, &self.conn, all, ctx.metrics()).await?;
        *self.runners.lock().unwrap_or_else(|e| e.into_inner()) = runners;
        Ok(())
    }
}
