use sea_orm::{DatabaseBackend, DatabaseConnection};

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
