//! Modules find each other's services through the kernel's container: a `reports` module uses
//! the database module's timed connection, resolved with `ctx.service`, never passed by hand.
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;
use vitals::{CheckOutcome, Module, ModuleContext, check_fn};
use vitals_judges::{get, parsed_value, python_parse};
use vitals_kernel::Kernel;
use vitals_module_database::{DatabaseConfig, DatabaseModule, TimedConnection, sea_orm};

struct Reports;

#[vitals::async_trait]
impl Module for Reports {
    fn name(&self) -> &str {
        "reports"
    }

    fn register(&self, _: &ModuleContext) -> Result<(), vitals::Error> {
        Ok(())
    }

    async fn start(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        let failed = |e: sea_orm::DbErr| vitals::Error::Module {
            module: "reports".into(),
            reason: e.to_string(),
        };
        let conn = ctx
            .service::<TimedConnection>()
            .expect("the database module provides its connection");
        conn.execute_unprepared("CREATE TABLE IF NOT EXISTS reports (id INTEGER)")
            .await
            .map_err(failed)?;
        let check_conn = (*conn).clone();
        ctx.add_checker(check_fn("reports", move || {
            let conn = check_conn.clone();
            async move {
                let stmt =
                    Statement::from_string(DbBackend::Sqlite, "SELECT count(*) FROM reports");
                match conn.query_one_raw(stmt).await {
                    Ok(_) => CheckOutcome::healthy(),
                    Err(e) => CheckOutcome::unhealthy(e.to_string()),
                }
            }
        }))
    }
}

#[tokio::test]
async fn a_module_uses_the_database_connection_through_the_container() {
    let dir = std::env::temp_dir().join(format!("vitals-container-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("c.db").display());
    let db = DatabaseModule::connect(DatabaseConfig::new(url))
        .await
        .unwrap();
    let kernel = Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .module(db)
        .module(Reports)
        .build()
        .unwrap();
    assert!(
        kernel.service::<TimedConnection>().is_some(),
        "the app sees it too"
    );
    let running = kernel.start().await.unwrap();
    let base = format!("http://{}", running.addr());
    let one = get(&format!("{base}/ready/reports")).await;
    assert_eq!(one.status, 200, "{}", one.text());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let samples = python_parse(&get(&format!("{base}/metrics")).await.text());
    let count = |op: &str| {
        parsed_value(
            &samples,
            "vitals_db_query_duration_seconds_count",
            &[("operation", op), ("outcome", "ok")],
        )
    };
    // The module's statements went through the database module's timed connection.
    assert_eq!(count("other"), Some(1.0), "CREATE TABLE");
    assert_eq!(count("select"), Some(1.0), "the check's one SELECT");
    running.shutdown().await.unwrap();
}
