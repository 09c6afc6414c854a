//! The aggregate engine's start: the pools, the shared results table (PostgreSQL, cluster
//! mode), one runner per declaration, validation under the lease when the database answers, and
//! the families that serve them at scrape time. The module only hands it the declarations.
use super::{AggregateFamilies, AggregateMode, AggregatePools, Runner, Store};
use crate::{DatabaseConfig, Error, SqlAggregate};
use sea_orm::{DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::Duration;

/// Starts serving `all` (the file's and the code's declarations) as gauges on `metrics`;
/// returns the runners (for their execution counts). Nothing when aggregates are off or none
/// is declared.
///
/// # Errors
/// The aggregate pool cannot be opened; with the database reachable, a declaration whose query
/// fails or a results table that cannot be prepared.
pub(crate) async fn start(
    config: &DatabaseConfig,
    conn: &DatabaseConnection,
    all: Vec<SqlAggregate>,
    metrics: &vitals::Metrics,
) -> Result<Vec<Arc<Runner>>, vitals::Error> {
    let settings = &config.aggregates;
    if !settings.enabled || all.is_empty() {
        return Ok(Vec::new());
    }
    let module_err = |reason: String| vitals::Error::Module {
        module: "database".into(),
        reason,
    };
    let pools = AggregatePools::open(&config.url, conn, settings)
        .await
        .map_err(|e| module_err(format!("cannot open the aggregate pool: {e}")))?;
    let store = match (pools.store.get_database_backend(), settings.mode) {
        (DbBackend::Postgres, AggregateMode::Cluster) => Some(Arc::new(Store::new(
            &settings.table,
            settings.store_timeout,
        ))),
        _ => None,
    };
    let ping = |pool: DatabaseConnection| async move {
        matches!(
            tokio::time::timeout(settings.store_timeout, pool.ping()).await,
            Ok(Ok(()))
        )
    };
    let reachable =
        ping(pools.queries.clone()).await && (store.is_none() || ping(pools.store.clone()).await);
    let runners: Vec<Arc<Runner>> = all
        .into_iter()
        .map(|a| Arc::new(Runner::new(a, &pools, store.clone(), settings, false)))
        .collect();
    if reachable {
        // The database answers: a bad aggregate or an unusable results table stops start-up.
        for r in &runners {
            r.validate().await.map_err(|reason| {
                module_err(
                    Error::InvalidAggregate {
                        name: r.agg.name.clone(),
                        reason: format!("query failed: {reason}"),
                    }
                    .to_string(),
                )
            })?;
        }
        if let Some(store) = &store {
            store.prepare(&pools.store).await.map_err(|e| {
                module_err(format!("cannot prepare table {:?}: {e}", settings.table))
            })?;
        }
    } else {
        tracing::warn!(
            "database unreachable at start: DB aggregates report up 0 and are validated on the first successful connection"
        );
    }
    tracing::info!(
        aggregates = runners.len(),
        shared = store.is_some(),
        "DB aggregate gauges ready"
    );
    metrics.add_collector(AggregateFamilies {
        runners: runners.clone(),
        timeout: settings.wait + Duration::from_secs(1),
    })?;
    Ok(runners)
}
