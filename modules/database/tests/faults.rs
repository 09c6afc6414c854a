//! The database module's fault paths on a real PostgreSQL: a locked results table, an exhausted
//! request pool, oversized and odd results, and aggregates that try to write.
mod common;

use common::{scrape, start_module, tag, value};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use std::time::{Duration, Instant};
use vitals::HealthStatus;
use vitals_judges::postgres_url;
use vitals_module_database::{AggregateMode, DatabaseConfig, SqlAggregate};

async fn admin() -> DatabaseConnection {
    Database::connect(postgres_url()).await.unwrap()
}

#[tokio::test]
async fn locked_results_table_reports_down_within_one_timeout_and_recovers() {
    let db = admin().await;
    let results = tag("results_locked");
    let name = tag("locked_agg");
    let mut config = DatabaseConfig::new(postgres_url());
    config.aggregates.mode = AggregateMode::Cluster;
    config.aggregates.table = results.clone();
    config.aggregates.store_timeout = Duration::from_millis(300);
    let agg = SqlAggregate::new(&name, "One.", "SELECT 1 AS value").ttl(Duration::from_millis(200));
    let (_m, metrics, _) = start_module(config, vec![agg]).await.unwrap();
    assert_eq!(
        value(&scrape(&metrics).await, "vitals_db_aggregate_up", &[&name]),
        Some(1.0)
    );

    // Another session holds the table, as an ALTER or VACUUM FULL would.
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared(&format!(
        "LOCK TABLE \"{results}\" IN ACCESS EXCLUSIVE MODE"
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let started = Instant::now();
    let down = scrape(&metrics).await;
    let took = started.elapsed();
    assert_eq!(
        value(&down, "vitals_db_aggregate_up", &[&name]),
        Some(0.0),
        "after {took:?}"
    );
    assert!(
        took < Duration::from_millis(800),
        "up 0 took {took:?} with a 300 ms store timeout"
    );
    assert_eq!(
        value(&down, &name, &[]),
        Some(1.0),
        "last good value kept within staleness"
    );

    txn.rollback().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while value(&scrape(&metrics).await, "vitals_db_aggregate_up", &[&name]) != Some(1.0) {
        assert!(
            Instant::now() < deadline,
            "never recovered after the lock was released"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.execute_unprepared(&format!("DROP TABLE \"{results}\""))
        .await
        .unwrap();
}

#[tokio::test]
async fn exhausted_request_pool_degrades_the_db_check_instead_of_failing_it() {
    let mut config = DatabaseConfig::new(postgres_url());
    config.max_connections = 2;
    config.acquire_timeout = Duration::from_secs(5);
    let (module, _metrics, registrar) = start_module(config, vec![]).await.unwrap();
    let conn = module.connection();
    // Traffic holds every connection of the request pool.
    let a = conn.begin().await.unwrap();
    let b = conn.begin().await.unwrap();
    let check = registrar.checker("db").unwrap();
    let started = Instant::now();
    let outcome = check.check().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.status(), HealthStatus::Degraded, "{outcome:?}");
    assert_eq!(
        outcome.error(),
        Some("request pool exhausted: 2 of 2 connections in use; queries wait for one")
    );
    assert_eq!(outcome.details()["pool_in_use"], 2);
    assert!(
        outcome.details()["pool_last_wait_seconds"]
            .as_f64()
            .is_some()
    );
    a.rollback().await.unwrap();
    b.rollback().await.unwrap();
    // The pool takes the connections back on a task of its own: healthy again shortly.
    let deadline = Instant::now() + Duration::from_secs(2);
    while check.check().await.status() != HealthStatus::Healthy {
        assert!(
            Instant::now() < deadline,
            "still degraded after the connections were released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn null_labels_and_special_values_survive_the_shared_store() {
    let name = tag("odd_values");
    let results = tag("results_odd");
    let sql = "SELECT k, v FROM (VALUES (NULL, 1.0::float8), ('', 2.0), ('nan', 'NaN'::float8), \
               ('inf', 'Infinity'::float8), ('ninf', '-Infinity'::float8)) AS t(k, v)";
    let agg = || {
        SqlAggregate::new(&name, "Odd.", sql)
            .labels(["k"])
            .values(["v"])
    };
    let config = || {
        let mut c = DatabaseConfig::new(postgres_url());
        c.aggregates.table = results.clone();
        c
    };
    let (_a, first, _) = start_module(config(), vec![agg()]).await.unwrap();
    let (_b, second, _) = start_module(config(), vec![agg()]).await.unwrap();
    let computed = scrape(&first).await;
    let read = scrape(&second).await;
    for f in [&computed, &read] {
        assert_eq!(value(f, &name, &["<null>"]), Some(1.0));
        assert_eq!(value(f, &name, &[""]), Some(2.0));
        assert!(value(f, &name, &["nan"]).unwrap().is_nan());
        assert_eq!(value(f, &name, &["inf"]), Some(f64::INFINITY));
        assert_eq!(value(f, &name, &["ninf"]), Some(f64::NEG_INFINITY));
    }
    admin()
        .await
        .execute_unprepared(&format!("DROP TABLE \"{results}\""))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_result_over_max_rows_reports_down() {
    let name = tag("too_many_rows");
    let agg = SqlAggregate::new(
        &name,
        "Many.",
        "SELECT i::text AS k, 1 AS value FROM generate_series(1, 50) AS i",
    )
    .labels(["k"])
    .max_rows(10);
    let mut config = DatabaseConfig::new(postgres_url());
    config.aggregates.mode = AggregateMode::Local;
    let (_m, metrics, _) = start_module(config, vec![agg]).await.unwrap();
    let f = scrape(&metrics).await;
    assert_eq!(value(&f, "vitals_db_aggregate_up", &[&name]), Some(0.0));
    assert!(f.iter().all(|fam| fam.name != name), "no partial result");
}

#[tokio::test]
async fn an_aggregate_cannot_write_and_several_statements_are_refused() {
    let db = admin().await;
    let seq = tag("agg_seq");
    db.execute_unprepared(&format!("CREATE SEQUENCE IF NOT EXISTS {seq}"))
        .await
        .unwrap();
    let name = tag("writer");
    let agg = SqlAggregate::new(&name, "W.", &format!("SELECT nextval('{seq}') AS value"));
    let mut config = DatabaseConfig::new(postgres_url());
    config.aggregates.mode = AggregateMode::Local;
    let (_m, metrics, _) = start_module(config, vec![agg]).await.unwrap();
    let f = scrape(&metrics).await;
    assert_eq!(
        value(&f, "vitals_db_aggregate_up", &[&name]),
        Some(0.0),
        "runs read-only"
    );
    let called = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT is_called FROM {seq}"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !called.try_get::<bool>("", "is_called").unwrap(),
        "the sequence never moved"
    );
    let multi = SqlAggregate::new(
        &name,
        "W.",
        &format!("SELECT 1 AS value; SELECT nextval('{seq}')"),
    );
    let err = start_module(DatabaseConfig::new(postgres_url()), vec![multi])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(
            "sql must be one statement: the ';' at byte 17 ends a statement as SQLite reads it"
        ),
        "{err}"
    );
    db.execute_unprepared(&format!("DROP SEQUENCE {seq}"))
        .await
        .unwrap();
}
