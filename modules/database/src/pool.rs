use sea_orm::{ConnectOptions, DatabaseBackend, DatabaseConnection};
use std::time::Duration;

/// Pool options; every pool connects lazily, so a database that is down at start-up does not
/// stop the service from starting (ADR 0007).
pub(crate) fn options(url: &str, max: u32, wait: Duration) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max)
        .min_connections(0)
        .acquire_timeout(wait)
        .connect_timeout(wait)
        .connect_lazy(true)
        .sqlx_logging(false);
    opts
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections not in use.
    pub idle: u32,
    /// Open connections in use.
    pub in_use: u32,
    /// The pool's limit.
    pub max: u32,
}

impl PoolStatus {
    /// Reads the pool behind a sea-orm connection; `None` for backends without a pool here.
    pub fn of(conn: &DatabaseConnection) -> Option<Self> {
        fn read<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolStatus {
            let size = pool.size();
            let idle = pool.num_idle() as u32;
            PoolStatus {
                idle,
                in_use: size.saturating_sub(idle),
                max: pool.options().get_max_connections(),
            }
        }
        match conn.get_database_backend() {
            DatabaseBackend::Postgres => Some(read(conn.get_postgres_connection_pool())),
            DatabaseBackend::Sqlite => Some(read(conn.get_sqlite_connection_pool())),
            #[cfg(feature = "mysql")]
            DatabaseBackend::MySql => Some(read(conn.get_mysql_connection_pool())),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// `vitals_db_pool_connections{state="idle|in_use"}` and `vitals_db_pool_max_connections`, read
/// from the pool when scraped.
pub(crate) struct PoolFamilies {
    pub(crate) conn: DatabaseConnection,
}

#[async_trait::async_trait]
impl vitals::metrics::Collect for PoolFamilies {
    fn name(&self) -> &str {
        "db_pool"
    }

    async fn collect(&self) -> Result<Vec<vitals::metrics::CollectedFamily>, String> {
        use vitals::metrics::CollectedFamily;
        let Some(p) = PoolStatus::of(&self.conn) else {
            return Ok(Vec::new());
        };
        let mut conns = CollectedFamily::gauge(
            "vitals_db_pool_connections",
            "Open connections of the request pool by state.",
            &["state"],
        );
        conns.push(&["idle"], f64::from(p.idle));
        conns.push(&["in_use"], f64::from(p.in_use));
        let mut max = CollectedFamily::gauge(
            "vitals_db_pool_max_connections",
            "Connection limit of the request pool.",
            &[],
        );
        max.push(&[], f64::from(p.max));
        Ok(vec![conns, max])
    }
}
