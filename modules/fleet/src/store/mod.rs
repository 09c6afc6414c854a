//! The fleet view's database: polls, check readings, incidents, each target's latest state and
//! the poller's lease, on SQLite or PostgreSQL through sea-orm. Every call runs under the
//! store's deadline; times are Unix milliseconds (the collector's clock for polls, the
//! database's for the lease).
use crate::migration::Migrator;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm::{Statement, Value};
use sea_orm_migration::MigratorTrait;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod lease;
mod notified;
mod read;
mod whole_fleet;
mod write;

pub use lease::new_token;
pub use read::{INCIDENTS_PER_TARGET, READINGS_PER_CHECK};
pub(crate) use read::{nothing_known, without_details};
pub use write::PRUNED_PER_CYCLE;

/// Retries of a failed migration, and the pause before each.
const MIGRATION_RETRIES: u32 = 3;
const MIGRATION_PAUSE: Duration = Duration::from_millis(250);

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed the statement.
    #[error("{0}")]
    Db(#[from] DbErr),
    /// No answer within the deadline (a lock, a hung connection, an exhausted pool).
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Deadline(Duration),
    /// A stored value could not be read back.
    #[error("stored {what} unreadable: {reason}")]
    Corrupt {
        /// The column.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// The fleet view's tables in one database, shared by every collector that points at it.
///
/// ```no_run
/// # async fn f() -> Result<(), vitals_module_fleet::StoreError> {
/// use std::time::Duration;
/// use vitals_module_fleet::FleetStore;
/// let store = FleetStore::connect("sqlite://fleet.db?mode=rwc", Duration::from_secs(5)).await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
pub struct FleetStore {
    db: DatabaseConnection,
    backend: DbBackend,
    deadline: Duration,
    migrated: AtomicBool,
    /// Held while migrating: the poll loop's first cycle and a page read at start-up migrate
    /// one after the other, not racing each other's `CREATE`s.
    migrating: tokio::sync::Mutex<()>,
    /// The newest reading this process wrote of each `(target, check)`: a document sends its
    /// whole ring at every poll, and only the readings after it are written again (the others
    /// are kept already). Entries of checks that are gone stay: a few dozen bytes each.
    newest: std::sync::Mutex<std::collections::HashMap<(String, String), u64>>,
}

impl FleetStore {
    /// A pool over `url` (`sqlite:` or `postgres://`) that connects on first use, so that a
    /// database that is down does not stop the collector from starting; every call is bounded
    /// by `deadline`.
    ///
    /// # Errors
    /// [`StoreError::Db`] for a URL no driver takes.
    pub async fn connect(url: &str, deadline: Duration) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            DbBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbBackend::Postgres
        } else {
            return Err(StoreError::Db(DbErr::Custom(
                "the fleet view keeps its history in sqlite: or postgres://".into(),
            )));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(4)
            .min_connections(0)
            .acquire_timeout(deadline)
            .connect_timeout(deadline)
            .connect_lazy(true)
            .sqlx_logging(false);
        // A lazy pool does no I/O here.
        let db = Database::connect(opts).await?;
        Ok(Self {
            db,
            backend,
            deadline,
            migrated: AtomicBool::new(false),
            migrating: tokio::sync::Mutex::new(()),
            newest: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The connection (tests count rows through it).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs the pending migrations, once per process (retried by the next call after a
    /// failure); concurrent calls wait for the one under way. Two collectors migrating at once:
    /// the loser's error is retried, up to three times 250 ms apart, until the winner's tables
    /// exist.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] (also while waiting for the call under
    /// way).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let wait = self.deadline * (MIGRATION_RETRIES + 1) + MIGRATION_PAUSE * MIGRATION_RETRIES;
        let _one = tokio::time::timeout(wait, self.migrating.lock())
            .await
            .map_err(|_| StoreError::Deadline(wait))?;
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        for retry in 1.. {
            match self.bounded(self.migrate_once()).await {
                Ok(()) => break,
                // Another collector migrating at the same moment: our CREATEs collide with its
                // own until it is done (an immediate retry collided again); then its tables
                // are found. A database that does not answer or connect is not retried.
                Err(StoreError::Db(
                    e @ (DbErr::Exec(_) | DbErr::Query(_) | DbErr::Migration(_)),
                )) if retry <= MIGRATION_RETRIES => {
                    tracing::debug!("fleet migrations, attempt {retry}: {e}");
                    tokio::time::sleep(MIGRATION_PAUSE).await;
                }
                Err(e) => return Err(e),
            }
        }
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Applies the pending migrations, unless every one this collector knows is applied: a
    /// database migrated further by a newer collector (a rolling update, a rollback) is left as
    /// it is, where sea-orm's `up` refuses a migration applied but unknown to it.
    async fn migrate_once(&self) -> Result<(), DbErr> {
        let applied: HashSet<String> = Migrator::get_migration_models(&self.db)
            .await?
            .into_iter()
            .map(|m| m.version)
            .collect();
        if Migrator::migrations()
            .iter()
            .all(|m| applied.contains(m.name()))
        {
            return Ok(());
        }
        Migrator::up(&self.db, None).await
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

    /// The deadline of each call.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// A statement written with `$1`, `$2`… placeholders, as the backend spells them (`?1` on
    /// SQLite).
    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        let sql = match self.backend {
            DbBackend::Sqlite => sql.replace('$', "?"),
            _ => sql.to_owned(),
        };
        Statement::from_sql_and_values(self.backend, sql, values)
    }

    /// The database's clock in Unix milliseconds, as an SQL expression.
    fn now_ms(&self) -> &'static str {
        match self.backend {
            DbBackend::Sqlite => {
                "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
            }
            _ => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// Rows of `table` (`fleet_polls`, `fleet_readings`, `fleet_incidents`, `fleet_targets`,
    /// `fleet_lease`, `fleet_notified`), for tests and diagnostics.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`]; an unknown table is refused.
    pub async fn count(&self, table: &str) -> Result<i64, StoreError> {
        const TABLES: [&str; 6] = [
            "fleet_polls",
            "fleet_readings",
            "fleet_incidents",
            "fleet_targets",
            "fleet_lease",
            "fleet_notified",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::Db(DbErr::Custom(format!("no table {table}"))));
        }
        let row = self
            .bounded(
                self.db.query_one_raw(
                    self.stmt(&format!("SELECT COUNT(*) AS n FROM {table}"), vec![]),
                ),
            )
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    }
}
