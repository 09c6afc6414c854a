use crate::aggregates::{AggregateCollector, AggregateMode, Runner, Store, load_file};
use crate::error::mask_password;
use crate::pool::PoolCollector;
use crate::timing::{QueryMetrics, TimedConnection, mark_acquired};
use crate::{DatabaseConfig, DbCheck, Error};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use vitals::metrics::SqlAggregate;
use vitals::{Module, ModuleContext};

/// The database module: owns the service's sea-orm connection, registers the `db` check, pool
/// gauges and query timing, and serves the DB aggregate gauges.
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
    query_metrics: Arc<OnceLock<QueryMetrics>>,
    file_aggregates: Vec<SqlAggregate>,
    runners: Arc<Mutex<Vec<Arc<Runner>>>>,
}

fn options(config: &DatabaseConfig, max: u32) -> ConnectOptions {
    let mut opts = ConnectOptions::new(config.url.clone());
    opts.max_connections(max)
        .acquire_timeout(config.acquire_timeout)
        .connect_timeout(config.acquire_timeout)
        .sqlx_logging(false);
    opts
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
    /// Reads the aggregates file (if any), then connects.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for an unknown scheme, [`Error::AggregatesFile`] for a bad
    /// aggregates file, [`Error::Connect`] when the database cannot be reached.
    pub async fn connect(config: DatabaseConfig) -> Result<Self, Error> {
        let masked = mask_password(&config.url);
        let supported = ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .chain(cfg!(feature = "mysql").then_some(&"mysql:"))
            .any(|s| config.url.starts_with(s));
        if !supported {
            return Err(Error::UnsupportedUrl { url: masked });
        }
        let file_aggregates = match (&config.aggregates.file, config.aggregates.enabled) {
            (Some(path), true) => load_file(path)?,
            _ => Vec::new(),
        };
        let mut opts = options(&config, config.max_connections);
        opts.map_sqlx_postgres_pool_opts(mark_handover)
            .map_sqlx_sqlite_pool_opts(mark_handover);
        let mut conn = Database::connect(opts)
            .await
            .map_err(|source| Error::Connect {
                url: masked,
                source,
            })?;
        let query_metrics = Arc::new(OnceLock::new());
        conn.set_metric_callback(QueryMetrics::callback(query_metrics.clone()));
        Ok(Self {
            config,
            conn,
            query_metrics,
            file_aggregates,
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

    async fn start_aggregates(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        let settings = &self.config.aggregates;
        if !settings.enabled {
            return Ok(());
        }
        let mut all = self.file_aggregates.clone();
        for a in ctx.metrics().sql_aggregates() {
            if all.iter().any(|f| f.name == a.name) {
                return Err(vitals::Error::InvalidAggregate {
                    name: a.name,
                    reason: "declared both in the aggregates file and in code".into(),
                });
            }
            all.push(a);
        }
        if all.is_empty() {
            return Ok(());
        }
        let module_err = |reason: String| vitals::Error::Module {
            module: "database".into(),
            reason,
        };
        let pool = Database::connect(options(&self.config, settings.pool_size.max(1)))
            .await
            .map_err(|e| module_err(format!("cannot open the aggregate pool: {e}")))?;
        let backend = pool.get_database_backend();
        for a in &all {
            let probe = Statement::from_string(backend, crate::aggregates::probe_sql(a, backend));
            pool.query_all_raw(probe)
                .await
                .map_err(|e| vitals::Error::InvalidAggregate {
                    name: a.name.clone(),
                    reason: format!("query failed: {e}"),
                })?;
        }
        let store = match (backend, settings.mode) {
            (DbBackend::Postgres, AggregateMode::Cluster) => {
                let store = Store::new(&settings.table);
                let names: Vec<String> = all.iter().map(|a| a.name.clone()).collect();
                store.prepare(&pool, &names).await.map_err(|e| {
                    module_err(format!("cannot prepare table {:?}: {e}", settings.table))
                })?;
                Some(Arc::new(store))
            }
            _ => None,
        };
        let runners: Vec<Arc<Runner>> = all
            .into_iter()
            .map(|a| Arc::new(Runner::new(a, pool.clone(), store.clone(), settings.wait)))
            .collect();
        *self.runners.lock().unwrap_or_else(|e| e.into_inner()) = runners.clone();
        tracing::info!(
            aggregates = runners.len(),
            shared = store.is_some(),
            "DB aggregate gauges ready"
        );
        ctx.metrics().add_collector(AggregateCollector {
            runners,
            timeout: settings.wait + Duration::from_secs(1),
        })
    }
}

#[async_trait::async_trait]
impl Module for DatabaseModule {
    fn name(&self) -> &str {
        "database"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        let metrics = QueryMetrics::register(ctx.metrics())?;
        let _ = self.query_metrics.set(metrics);
        ctx.metrics().add_collector(PoolCollector {
            conn: self.conn.clone(),
        })?;
        ctx.add_checker(DbCheck::new(self.conn.clone(), self.config.check_timeout))
    }

    async fn start(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        self.start_aggregates(ctx).await
    }
}
