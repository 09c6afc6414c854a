use super::AggregatesConfig;
use crate::pool::options;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

/// The aggregate engine's connections: `queries` runs the declared SQL, `store` reads and writes
/// the shared results table (PostgreSQL, cluster mode).
///
/// `queries` cannot write where the driver allows it: on SQLite the file is opened read-only
/// (`SQLITE_OPEN_READONLY`, which no statement can undo) with `PRAGMA query_only` on top; with a
/// URL of its own (`VITALS_AGGREGATE_DATABASE_URL`, a read-only role) its PostgreSQL sessions
/// default to read-only transactions, and `store` is a separate pool on the service's URL, since
/// the results table must stay writable. Without one, both are the same pool and each run is its
/// own `READ ONLY` transaction.
#[derive(Clone)]
pub(crate) struct AggregatePools {
    pub(crate) queries: DatabaseConnection,
    pub(crate) store: DatabaseConnection,
}

/// A small pool whose every wait is bounded by `store_timeout` and whose PostgreSQL sessions
/// cannot hang on a lock (`lock_timeout`, `statement_timeout`); `read_only` sessions default to
/// read-only transactions.
fn bounded_options(url: &str, settings: &AggregatesConfig, read_only: bool) -> ConnectOptions {
    let mut opts = options(url, settings.pool_size.max(1), settings.store_timeout);
    let ms = settings.store_timeout.as_millis().max(1).to_string();
    opts.map_sqlx_postgres_opts(move |o| {
        let o = o.options([
            ("lock_timeout", ms.as_str()),
            ("statement_timeout", ms.as_str()),
        ]);
        if read_only {
            o.options([("default_transaction_read_only", "on")])
        } else {
            o
        }
    });
    opts
}

/// The pool that runs the declared SQL: on SQLite opened read-only.
pub(crate) fn query_options(
    url: &str,
    settings: &AggregatesConfig,
    own_url: bool,
) -> ConnectOptions {
    let mut opts = bounded_options(url, settings, own_url);
    opts.map_sqlx_sqlite_opts(|o| o.read_only(true).pragma("query_only", "ON"));
    opts
}

impl AggregatePools {
    /// Opens the pools (lazily). `service` is the service's own URL and pool: on SQLite it is
    /// touched first, so that a file the service creates (`mode=rwc`) exists before the
    /// read-only pool opens it.
    pub(crate) async fn open(
        service_url: &str,
        service: &DatabaseConnection,
        settings: &AggregatesConfig,
    ) -> Result<Self, DbErr> {
        if service.get_database_backend() == DbBackend::Sqlite {
            let _ = tokio::time::timeout(settings.store_timeout, service.ping()).await;
        }
        let own_url = settings.url.as_deref().filter(|u| *u != service_url);
        let queries = Database::connect(query_options(
            own_url.unwrap_or(service_url),
            settings,
            own_url.is_some(),
        ))
        .await?;
        let store = if own_url.is_some() {
            Database::connect(bounded_options(service_url, settings, false)).await?
        } else {
            queries.clone()
        };
        Ok(Self { queries, store })
    }
}

#[cfg(test)]
mod tests;
