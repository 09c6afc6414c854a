//! Query timing through the module's connection, on SQLite and on a real PostgreSQL.
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, Set, TransactionTrait};
use std::sync::Arc;
use vitals::{Module, ModuleContext};
use vitals_judges::{Registrar, postgres_url, sample};
use vitals_module_database::{DatabaseConfig, DatabaseModule, TimedConnection};
use vitals_prometheus::PrometheusRecorder;

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "vitals_timing_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const HIST: &str = "vitals_db_query_duration_seconds";

async fn setup(url: &str) -> (DatabaseModule, PrometheusRecorder, Arc<Registrar>) {
    let db = DatabaseModule::connect(DatabaseConfig::new(url))
        .await
        .unwrap();
    let metrics = PrometheusRecorder::new();
    let registrar = Arc::new(Registrar::default());
    let ctx = ModuleContext::new(registrar.clone(), metrics.metrics());
    db.register(&ctx).unwrap();
    db.start(&ctx).await.unwrap();
    (db, metrics, registrar)
}

fn count(m: &PrometheusRecorder, op: &str, outcome: &str) -> f64 {
    sample(
        m.registry(),
        HIST,
        &[("operation", op), ("outcome", outcome)],
    )
    .unwrap_or(0.0)
}

/// Runs a known workload through the entity against a fresh table and checks every count.
async fn known_workload_is_counted(url: &str) {
    let (db, metrics, registrar) = setup(url).await;
    let conn: TimedConnection = db.connection();
    let backend = conn.get_database_backend();
    conn.execute_unprepared("DROP TABLE IF EXISTS vitals_timing_items")
        .await
        .unwrap();
    let id = if backend == sea_orm::DbBackend::Postgres {
        "SERIAL"
    } else {
        "INTEGER"
    };
    conn.execute_unprepared(&format!(
        "CREATE TABLE vitals_timing_items (id {id} PRIMARY KEY, name TEXT NOT NULL)"
    ))
    .await
    .unwrap();
    let new = |n: &str| item::ActiveModel {
        name: Set(n.to_owned()),
        ..Default::default()
    };
    for i in 0..7 {
        item::Entity::insert(new(&format!("n{i}")))
            .exec(&conn)
            .await
            .unwrap();
    }
    for _ in 0..5 {
        assert_eq!(item::Entity::find().all(&conn).await.unwrap().len(), 7);
    }
    for _ in 0..3 {
        item::Entity::update_many()
            .col_expr(item::Column::Name, Expr::value("renamed"))
            .filter(item::Column::Id.eq(1))
            .exec(&conn)
            .await
            .unwrap();
    }
    for _ in 0..2 {
        item::Entity::delete_many()
            .filter(item::Column::Id.eq(2))
            .exec(&conn)
            .await
            .unwrap();
    }
    assert!(
        conn.execute_unprepared("SELECT * FROM no_such_table_here")
            .await
            .is_err()
    );
    // statements inside a transaction are counted through sea-orm's metric callback
    let txn = conn.begin().await.unwrap();
    item::Entity::insert(new("t1")).exec(&txn).await.unwrap();
    item::Entity::insert(new("t2")).exec(&txn).await.unwrap();
    txn.commit().await.unwrap();
    // the db health check's own queries are not service queries
    let check = registrar.checker("db").unwrap();
    assert_eq!(check.check().await.status(), vitals::HealthStatus::Healthy);

    assert_eq!(count(&metrics, "other", "ok"), 2.0, "DROP and CREATE");
    assert_eq!(
        count(&metrics, "insert", "ok"),
        9.0,
        "7 + 2 in the transaction"
    );
    assert_eq!(count(&metrics, "select", "ok"), 5.0);
    assert_eq!(count(&metrics, "update", "ok"), 3.0);
    assert_eq!(count(&metrics, "delete", "ok"), 2.0);
    assert_eq!(count(&metrics, "select", "error"), 1.0);
    assert_eq!(
        sample(metrics.registry(), "vitals_errors_total", &[("type", "db")]),
        Some(1.0)
    );
    // every call through the timed connection waited for a pooled connection once
    assert_eq!(
        sample(
            metrics.registry(),
            "vitals_db_pool_acquire_duration_seconds",
            &[]
        ),
        Some(20.0),
        "2 DDL + 7 inserts + 5 selects + 3 updates + 2 deletes + 1 failure"
    );
    conn.execute_unprepared("DROP TABLE vitals_timing_items")
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_queries_are_timed_by_operation() {
    let dir = std::env::temp_dir().join(format!("vitals-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("timing.db").display());
    known_workload_is_counted(&url).await;
}

#[tokio::test]
async fn postgres_queries_are_timed_by_operation() {
    known_workload_is_counted(&postgres_url()).await;
}

#[tokio::test]
async fn pool_gauges_describe_the_request_pool() {
    let mut config = DatabaseConfig::new(postgres_url());
    config.max_connections = 7;
    let db = DatabaseModule::connect(config).await.unwrap();
    let metrics = PrometheusRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), metrics.metrics());
    db.register(&ctx).unwrap();
    // Pools connect lazily: one query opens the first connection.
    db.connection()
        .execute_unprepared("SELECT 1")
        .await
        .unwrap();
    let pool = metrics
        .collectors()
        .into_iter()
        .find(|c| c.name() == "db_pool")
        .unwrap();
    let families = pool.collect().await.unwrap();
    let max = families
        .iter()
        .find(|f| f.name == "vitals_db_pool_max_connections")
        .unwrap();
    assert_eq!(max.samples[0].1, 7.0);
    let conns = families
        .iter()
        .find(|f| f.name == "vitals_db_pool_connections")
        .unwrap();
    let states: Vec<&str> = conns.samples.iter().map(|(l, _)| l[0].as_str()).collect();
    assert_eq!(states, ["idle", "in_use"]);
    let open: f64 = conns.samples.iter().map(|(_, v)| v).sum();
    assert_eq!(open, 1.0);
}

#[tokio::test]
async fn pool_wait_timeouts_are_counted() {
    let mut config = DatabaseConfig::new(postgres_url());
    config.max_connections = 1;
    config.acquire_timeout = std::time::Duration::from_millis(200);
    let db = DatabaseModule::connect(config).await.unwrap();
    let metrics = PrometheusRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), metrics.metrics());
    db.register(&ctx).unwrap();
    let conn = db.connection();
    // The first acquire opens the one connection, which a loaded machine may not do within
    // 200 ms: retried until it is open, and the timeouts counted from then on.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let txn = loop {
        match conn.begin().await {
            Ok(txn) => break txn,
            Err(sea_orm::DbErr::ConnectionAcquire(_)) if std::time::Instant::now() < deadline => {}
            Err(e) => panic!("{e}"),
        }
    };
    let r = metrics.registry();
    let counted = || {
        [
            sample(r, "vitals_db_pool_acquire_timeouts_total", &[]),
            sample(r, "vitals_db_pool_acquire_duration_seconds", &[]),
            sample(r, "vitals_errors_total", &[("type", "db")]),
        ]
        .map(|v| v.unwrap_or(0.0))
    };
    let before = counted();
    // the only pooled connection is held by a transaction, so the next query cannot get one
    let err = conn.execute_unprepared("SELECT 1").await.unwrap_err();
    assert!(matches!(err, sea_orm::DbErr::ConnectionAcquire(_)), "{err}");
    txn.rollback().await.unwrap();
    let after = counted();
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2]
        ],
        [1.0, 1.0, 1.0],
        "one timeout, one timed wait, one error: {before:?} → {after:?}"
    );
    assert_eq!(
        count(&metrics, "select", "ok") + count(&metrics, "select", "error"),
        0.0,
        "the query never ran"
    );
}
