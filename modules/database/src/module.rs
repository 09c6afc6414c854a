use crate::error::mask_password;
use crate::{DatabaseConfig, DbCheck, Error};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use vitals::{Module, ModuleContext};

/// The database module: owns the service's sea-orm connection and registers the `db` check.
///
/// ```no_run
/// # async fn demo() -> Result<(), vitals_module_database::Error> {
/// use vitals_module_database::{DatabaseConfig, DatabaseModule};
/// let db = DatabaseModule::connect(DatabaseConfig::new("sqlite::memory:")).await?;
/// let conn = db.connection(); // use it for the service's own queries
/// # let _ = conn; Ok(()) }
/// ```
#[derive(Clone)]
pub struct DatabaseModule {
    config: DatabaseConfig,
    conn: DatabaseConnection,
}

impl DatabaseModule {
    /// Connects with the given configuration.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for an unknown scheme, [`Error::Connect`] when the database
    /// cannot be reached.
    pub async fn connect(config: DatabaseConfig) -> Result<Self, Error> {
        let masked = mask_password(&config.url);
        let supported = ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .chain(cfg!(feature = "mysql").then_some(&"mysql:"))
            .any(|s| config.url.starts_with(s));
        if !supported {
            return Err(Error::UnsupportedUrl { url: masked });
        }
        let mut opts = ConnectOptions::new(config.url.clone());
        opts.max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            .connect_timeout(config.acquire_timeout)
            .sqlx_logging(false);
        let conn = Database::connect(opts)
            .await
            .map_err(|source| Error::Connect {
                url: masked,
                source,
            })?;
        Ok(Self { config, conn })
    }

    /// The connection for the service's own queries (cheap to clone).
    pub fn connection(&self) -> DatabaseConnection {
        self.conn.clone()
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }
}

impl Module for DatabaseModule {
    fn name(&self) -> &str {
        "database"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.add_checker(DbCheck::new(self.conn.clone(), self.config.check_timeout))
    }
}
