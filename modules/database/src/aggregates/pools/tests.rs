use super::*;
use crate::SqlAggregate;
use crate::aggregates::sql::wrapped;
use sea_orm::{ConnectionTrait, Statement};

/// The statement of the SQLite bypass, as the kernel wraps it: three statements to SQLite.
fn bypass() -> String {
    let sql = "SELECT 1 AS [$x$]) AS t; PRAGMA query_only=OFF; DELETE FROM jobs; SELECT 1 AS value FROM (SELECT 1 AS [$x$]";
    wrapped(&SqlAggregate::new("bypass", "B.", sql), DbBackend::Sqlite)
}

async fn count(db: &DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        DbBackend::Sqlite,
        "SELECT count(*) AS n FROM jobs",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

#[tokio::test]
async fn the_sqlite_query_pool_cannot_write_whatever_its_statements_say() {
    for journal in ["DELETE", "WAL"] {
        let url = vitals_judges::sqlite_url(&format!("read-only-pool-{journal}"));
        let service = Database::connect(&url).await.unwrap();
        service
            .execute_unprepared(&format!(
                "PRAGMA journal_mode={journal}; DROP TABLE IF EXISTS jobs; CREATE TABLE jobs (id INTEGER);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
                 INSERT INTO jobs SELECT i FROM n"
            ))
            .await
            .unwrap();
        let settings = AggregatesConfig::default();
        let pools = AggregatePools::open(&url, &service, &settings)
            .await
            .unwrap();
        let q = &pools.queries;
        assert_eq!(count(q).await, 10, "{journal}: reads work");
        let attempts = [
            "DELETE FROM jobs".to_owned(),
            "PRAGMA query_only=OFF; DELETE FROM jobs".to_owned(),
            "PRAGMA query_only=OFF; CREATE TABLE made_here (x INTEGER)".to_owned(),
            bypass(),
        ];
        for sql in attempts {
            let err = q.execute_unprepared(&sql).await.unwrap_err().to_string();
            assert!(err.contains("readonly database"), "{journal}: {sql}: {err}");
            let err = q
                .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql.clone()))
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("readonly database"), "{journal}: {sql}: {err}");
        }
        assert_eq!(count(&service).await, 10, "{journal}: nothing was deleted");
        // The service's own pool still writes: the file itself is not read-only.
        service
            .execute_unprepared("INSERT INTO jobs VALUES (11)")
            .await
            .unwrap();
        assert_eq!(count(q).await, 11);
    }
}

async fn read_only_default(db: &DatabaseConnection) -> String {
    db.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SHOW default_transaction_read_only",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "default_transaction_read_only")
    .unwrap()
}

#[tokio::test]
async fn an_aggregate_url_of_its_own_gets_read_only_sessions_and_the_store_keeps_the_service_url() {
    let url = vitals_judges::postgres_url();
    let service = Database::connect(&url).await.unwrap();
    let own = AggregatesConfig {
        url: Some(format!("{url}?application_name=vitals_aggregates")),
        ..AggregatesConfig::default()
    };
    let pools = AggregatePools::open(&url, &service, &own).await.unwrap();
    assert_eq!(read_only_default(&pools.queries).await, "on");
    assert_eq!(read_only_default(&pools.store).await, "off");
    let err = pools
        .queries
        .execute_unprepared("CREATE TEMP TABLE made_here (x int)")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("read-only transaction"), "{err}");
    let shared = AggregatePools::open(&url, &service, &AggregatesConfig::default())
        .await
        .unwrap();
    assert_eq!(read_only_default(&shared.queries).await, "off");
}
