use crate::AggregatesConfig;
use std::time::Duration;

/// How to connect: URL, pool limits, aggregates.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://file.db?mode=rwc`, `sqlite::memory:`, or `postgres://user:pass@host/db`.
    pub url: String,
    /// Largest number of pooled connections. Defaults to 10.
    pub max_connections: u32,
    /// How long a query waits for a pooled connection. Defaults to 5 s.
    pub acquire_timeout: Duration,
    /// Timeout of the `db` health check. Defaults to 1 s.
    pub check_timeout: Duration,
    /// The aggregate gauges.
    pub aggregates: AggregatesConfig,
}

impl DatabaseConfig {
    /// The embedded default: a SQLite file `vitals.db` in the working directory.
    pub const DEFAULT_URL: &'static str = "sqlite://vitals.db?mode=rwc";

    /// Defaults with the given URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            check_timeout: Duration::from_secs(1),
            aggregates: AggregatesConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self::new(Self::DEFAULT_URL)
    }
}
