//! DB aggregate gauges against a real PostgreSQL (and SQLite for local mode).
mod common;

use common::{scrape, start_module, tag, value};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use std::time::{Duration, Instant};
use vitals_judges::postgres_url;
use vitals_module_database::{AggregateMode, DatabaseConfig, DatabaseModule, SqlAggregate};
use vitals_prometheus::PrometheusRecorder;

async fn admin(url: &str) -> DatabaseConnection {
    Database::connect(url).await.unwrap()
}

/// A fresh `jobs` table: 3 done, 1 failed, 2 pending.
async fn jobs_table(db: &DatabaseConnection, table: &str) {
    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
        .await
        .unwrap();
    db.execute_unprepared(&format!("CREATE TABLE {table} (id INTEGER, status TEXT)"))
        .await
        .unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO {table} VALUES (1,'done'),(2,'done'),(3,'done'),(4,'failed'),(5,'pending'),(6,'pending')"
    ))
    .await
    .unwrap();
}

fn jobs_aggregate(name: &str, table: &str, ttl: Duration) -> SqlAggregate {
    SqlAggregate::new(
        name,
        "Jobs per status.",
        &format!("SELECT status, count(*) AS n FROM {table} GROUP BY status"),
    )
    .labels(["status"])
    .values(["n"])
    .ttl(ttl)
}

async fn start(
    url: &str,
    mode: AggregateMode,
    aggregates: Vec<SqlAggregate>,
) -> Result<(DatabaseModule, PrometheusRecorder), vitals::Error> {
    let mut config = DatabaseConfig::new(url);
    config.aggregates.mode = mode;
    let (db, metrics, _) = start_module(config, aggregates).await?;
    Ok((db, metrics))
}

/// Calls of the aggregate query (not the start-up probe) as pg_stat_statements counts them.
async fn pg_calls(db: &DatabaseConnection, table: &str) -> f64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COALESCE(sum(calls), 0)::float8 AS calls FROM pg_stat_statements
             WHERE query LIKE $1",
            [format!("SELECT CAST(%FROM {table} GROUP BY status%) AS vitals_aggregate%").into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "calls").unwrap()
}

#[tokio::test]
async fn values_and_status_families_are_exported() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_values");
    jobs_table(&db, &table).await;
    let name = tag("jobs_by_status_values");
    let (_m, metrics) = start(
        &url,
        AggregateMode::Cluster,
        vec![jobs_aggregate(&name, &table, Duration::from_secs(60))],
    )
    .await
    .unwrap();
    let f = scrape(&metrics).await;
    assert_eq!(value(&f, &name, &["done"]), Some(3.0));
    assert_eq!(value(&f, &name, &["failed"]), Some(1.0));
    assert_eq!(value(&f, &name, &["pending"]), Some(2.0));
    assert_eq!(value(&f, "vitals_db_aggregate_up", &[&name]), Some(1.0));
    let last = value(
        &f,
        "vitals_db_aggregate_last_success_timestamp_seconds",
        &[&name],
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (now - last).abs() < 60.0,
        "last success {last} vs now {now}"
    );
    assert!(value(&f, "vitals_db_aggregate_refresh_duration_seconds", &[&name]).unwrap() >= 0.0);
    assert_eq!(
        value(&f, "vitals_db_aggregate_ttl_seconds", &[&name]),
        Some(60.0)
    );
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn burst_of_100_concurrent_scrapes_runs_the_query_once() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_burst");
    jobs_table(&db, &table).await;
    let before = pg_calls(&db, &table).await;
    let name = tag("jobs_burst");
    let (module, metrics) = start(
        &url,
        AggregateMode::Cluster,
        vec![jobs_aggregate(&name, &table, Duration::from_secs(60))],
    )
    .await
    .unwrap();
    let scrapes = (0..100).map(|_| {
        let m = metrics.clone();
        tokio::spawn(async move { scrape(&m).await })
    });
    for s in futures_util::future::join_all(scrapes).await {
        let f = s.unwrap();
        assert_eq!(value(&f, &name, &["done"]), Some(3.0));
    }
    assert_eq!(module.aggregate_executions(), [(name.clone(), 1)]);
    assert_eq!(pg_calls(&db, &table).await - before, 1.0);
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn replicas_share_one_run_per_window_in_cluster_mode_but_not_in_local_mode() {
    let url = postgres_url();
    let db = admin(&url).await;
    for (mode, want) in [(AggregateMode::Cluster, 1.0), (AggregateMode::Local, 3.0)] {
        let table = tag(&format!("agg_replicas_{mode:?}").to_lowercase());
        jobs_table(&db, &table).await;
        let before = pg_calls(&db, &table).await;
        let name = tag(&format!("jobs_replicas_{mode:?}").to_lowercase());
        let mut replicas = Vec::new();
        for _ in 0..3 {
            replicas.push(
                start(
                    &url,
                    mode,
                    vec![jobs_aggregate(&name, &table, Duration::from_secs(60))],
                )
                .await
                .unwrap(),
            );
        }
        for (_, metrics) in &replicas {
            // a replica that is not the claimant may see the result a moment later
            let deadline = Instant::now() + Duration::from_secs(5);
            while value(&scrape(metrics).await, &name, &["done"]) != Some(3.0) {
                assert!(Instant::now() < deadline, "{mode:?}: no value");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        assert_eq!(pg_calls(&db, &table).await - before, want, "{mode:?}");
        db.execute_unprepared(&format!("DROP TABLE {table}"))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn refresh_failure_keeps_the_last_value_and_reports_down() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_failure");
    jobs_table(&db, &table).await;
    let name = tag("jobs_failure");
    let (_m, metrics) = start(
        &url,
        AggregateMode::Local,
        vec![jobs_aggregate(&name, &table, Duration::from_millis(200))],
    )
    .await
    .unwrap();
    let first = scrape(&metrics).await;
    assert_eq!(value(&first, &name, &["done"]), Some(3.0));
    let last_ok = value(
        &first,
        "vitals_db_aggregate_last_success_timestamp_seconds",
        &[&name],
    );
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = scrape(&metrics).await;
    assert_eq!(value(&after, "vitals_db_aggregate_up", &[&name]), Some(0.0));
    assert_eq!(
        value(&after, &name, &["done"]),
        Some(3.0),
        "last good value kept"
    );
    assert_eq!(
        value(
            &after,
            "vitals_db_aggregate_last_success_timestamp_seconds",
            &[&name]
        ),
        last_ok
    );
}

#[tokio::test]
async fn stale_values_are_dropped_after_max_staleness() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_stale");
    jobs_table(&db, &table).await;
    let name = tag("jobs_stale");
    let agg = jobs_aggregate(&name, &table, Duration::from_millis(100))
        .max_staleness(Duration::from_millis(400));
    let (_m, metrics) = start(&url, AggregateMode::Local, vec![agg]).await.unwrap();
    assert_eq!(value(&scrape(&metrics).await, &name, &["done"]), Some(3.0));
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let f = scrape(&metrics).await;
    assert_eq!(
        value(&f, &name, &["done"]),
        None,
        "older than max_staleness: dropped"
    );
    assert_eq!(value(&f, "vitals_db_aggregate_up", &[&name]), Some(0.0));
    assert!(
        value(
            &f,
            "vitals_db_aggregate_last_success_timestamp_seconds",
            &[&name]
        )
        .is_some()
    );
}

#[tokio::test]
async fn never_succeeded_aggregate_has_no_family() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_never");
    jobs_table(&db, &table).await;
    let name = tag("jobs_never");
    let (_m, metrics) = start(
        &url,
        AggregateMode::Local,
        vec![jobs_aggregate(&name, &table, Duration::from_secs(60))],
    )
    .await
    .unwrap();
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
    let f = scrape(&metrics).await;
    assert_eq!(value(&f, "vitals_db_aggregate_up", &[&name]), Some(0.0));
    assert!(
        f.iter().all(|fam| fam.name != name),
        "no fake zero for {name}"
    );
    assert_eq!(
        value(
            &f,
            "vitals_db_aggregate_last_success_timestamp_seconds",
            &[&name]
        ),
        None
    );
}

#[tokio::test]
async fn statement_timeout_is_enforced_by_postgres() {
    let url = postgres_url();
    let db = admin(&url).await;
    let name = tag("sleepy");
    let agg = SqlAggregate::new(&name, "Sleeps.", "SELECT 1 AS value FROM pg_sleep(3)")
        .timeout(Duration::from_millis(300));
    let (_m, metrics) = start(&url, AggregateMode::Local, vec![agg]).await.unwrap();
    let started = Instant::now();
    let f = scrape(&metrics).await;
    let took = started.elapsed();
    // the refresh ended (in failure) well before the scrape's 1 s wait: the server cancelled it
    assert_eq!(
        value(&f, "vitals_db_aggregate_up", &[&name]),
        Some(0.0),
        "after {took:?}"
    );
    assert!(took < Duration::from_millis(1_000), "{took:?}");
    let running = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*)::float8 AS n FROM pg_stat_activity
             WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.try_get::<f64>("", "n").unwrap(), 0.0);
}

#[tokio::test]
async fn bad_declarations_fail_at_start_naming_the_entry() {
    let url = postgres_url();
    let db = admin(&url).await;
    let table = tag("agg_bad");
    jobs_table(&db, &table).await;
    let missing_col =
        jobs_aggregate(&tag("bad_col"), &table, Duration::from_secs(1)).labels(["nope"]);
    let err = start(&url, AggregateMode::Cluster, vec![missing_col])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "module \"database\" failed to register: invalid SQL aggregate \"{}\": query failed:",
            tag("bad_col")
        )),
        "{err}"
    );
    assert!(err.contains("nope"), "{err}");
    let missing_table = jobs_aggregate(
        &tag("bad_table"),
        "no_such_table_anywhere",
        Duration::from_secs(1),
    );
    let err = start(&url, AggregateMode::Cluster, vec![missing_table])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no_such_table_anywhere"), "{err}");
    let zero_ttl = jobs_aggregate(&tag("bad_ttl"), &table, Duration::ZERO);
    let err = start(&url, AggregateMode::Cluster, vec![zero_ttl])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.ends_with("ttl must be greater than zero"), "{err}");
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_computes_aggregates_per_process() {
    let dir = std::env::temp_dir().join(format!("vitals-agg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("agg.db").display());
    let db = admin(&url).await;
    jobs_table(&db, "jobs").await;
    let (module, metrics) = start(
        &url,
        AggregateMode::Cluster,
        vec![jobs_aggregate(
            "jobs_by_status",
            "jobs",
            Duration::from_secs(60),
        )],
    )
    .await
    .unwrap();
    for _ in 0..5 {
        let f = scrape(&metrics).await;
        assert_eq!(value(&f, "jobs_by_status", &["pending"]), Some(2.0));
    }
    assert_eq!(
        module.aggregate_executions(),
        [("jobs_by_status".to_owned(), 1)]
    );
}
