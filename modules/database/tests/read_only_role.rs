//! Aggregates under the read-only role of `deploy/postgres/aggregate-reader.sql`
//! (`VITALS_AGGREGATE_DATABASE_URL`), on a real PostgreSQL, in a database of the test's own:
//! side-effect functions fail the aggregate and change nothing, while the service's own role
//! would have run them; the role has no connection limit unless one is asked for.
mod common;

use common::{scrape, start_module, value};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use std::process::Command;
use std::time::Duration;
use vitals_judges::postgres_url;
use vitals_module_database::{AggregateMode, DatabaseConfig, SqlAggregate};

/// `url` with its database replaced by `db` (and its user and password, when given).
fn with_database(url: &str, db: &str, user: Option<(&str, &str)>) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(db);
    if let Some((name, password)) = user {
        u.set_username(name).unwrap();
        u.set_password(Some(password)).unwrap();
    }
    u.to_string()
}

/// Drops the test's database and roles (`name` and `name_limited`) however the test ends.
struct Cleanup {
    admin_url: String,
    name: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for sql in [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP ROLE IF EXISTS {}", self.name),
            format!("DROP ROLE IF EXISTS {}_limited", self.name),
        ] {
            let _ = Command::new("psql")
                .args([self.admin_url.as_str(), "-q", "-c", &sql])
                .output();
        }
    }
}

/// Runs the script for `role`, with `-v connection_limit=…` when `connection_limit` is given.
fn reader_script(
    url: &str,
    role: &str,
    password: &str,
    app_role: &str,
    connection_limit: Option<&str>,
) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/postgres/aggregate-reader.sql"
    );
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-f", script])
        .args(["-v", &format!("role={role}")])
        .args(["-v", &format!("password={password}")])
        .args(["-v", &format!("app_role={app_role}")])
        .args(
            connection_limit
                .map(|n| format!("connection_limit={n}"))
                .iter()
                .flat_map(|v| ["-v", v.as_str()]),
        )
        .output()
        .expect("psql is required");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

/// The aggregates under test, by name: side effects, a plain read, and the session's state.
fn aggregates() -> Vec<SqlAggregate> {
    let ttl = Duration::from_secs(60);
    [
        (
            "advisory_lock",
            "SELECT 1 AS value FROM (SELECT pg_advisory_lock(1)) AS l",
        ),
        (
            "session_setting",
            "SELECT 1 AS value FROM (SELECT set_config('x.y', 'z', false)) AS s",
        ),
        ("insert_in_function", "SELECT add_job() AS value"),
        ("jobs", "SELECT count(*) AS value FROM jobs"),
        (
            "setting_left_behind",
            "SELECT CASE WHEN current_setting('x.y', true) = 'z' THEN 1 ELSE 0 END AS value",
        ),
    ]
    .into_iter()
    .map(|(name, sql)| SqlAggregate::new(name, "Probe.", sql).ttl(ttl))
    .collect()
}

#[tokio::test]
async fn side_effect_functions_fail_the_aggregate_under_the_read_only_role_and_change_nothing() {
    let admin_url = postgres_url();
    let admin = Database::connect(&admin_url).await.unwrap();
    let pid = std::process::id();
    let (dbname, role, password) = (
        format!("vitals_ro_{pid}"),
        format!("vitals_ro_{pid}"),
        "ro-s3cret",
    );
    let _cleanup = Cleanup {
        admin_url: admin_url.clone(),
        name: dbname.clone(),
    };
    admin
        .execute_unprepared(&format!("CREATE DATABASE {dbname}"))
        .await
        .unwrap();
    let service_url = with_database(&admin_url, &dbname, None);
    let db = Database::connect(&service_url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE jobs (id int);
         INSERT INTO jobs SELECT generate_series(1, 10);
         CREATE FUNCTION add_job() RETURNS int LANGUAGE plpgsql AS
           $$ BEGIN INSERT INTO jobs VALUES (11); RETURN 1; END $$;",
    )
    .await
    .unwrap();
    let app_role: String = {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_user::text AS r",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "r").unwrap()
    };
    reader_script(&service_url, &role, password, &app_role, None);
    db.execute_unprepared(&format!("GRANT SELECT ON jobs TO {role}"))
        .await
        .unwrap();
    let reader_url = with_database(&admin_url, &dbname, Some((&role, password)));
    let advisory_locks = format!(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'
           AND database = (SELECT oid FROM pg_database WHERE datname = '{dbname}')"
    );

    // The service's own role: the lock is taken and kept, the setting stays in the session.
    let mut config = DatabaseConfig::new(&service_url);
    config.aggregates.mode = AggregateMode::Cluster;
    config.aggregates.pool_size = 1;
    let (own, metrics, _) = start_module(config.clone(), aggregates()).await.unwrap();
    let f = scrape(&metrics).await;
    assert_eq!(
        value(&f, "vitals_db_aggregate_up", &["advisory_lock"]),
        Some(1.0)
    );
    assert_eq!(
        value(&f, "vitals_db_aggregate_up", &["session_setting"]),
        Some(1.0)
    );
    assert_eq!(value(&f, "setting_left_behind", &[]), Some(1.0));
    assert_eq!(
        number(&admin, &advisory_locks).await,
        1,
        "a lock outlives its aggregate"
    );
    drop((own, metrics, f));
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{dbname}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let db = Database::connect(&service_url).await.unwrap();
    db.execute_unprepared("DROP TABLE vitals_aggregate_results_v2")
        .await
        .unwrap();

    // The read-only role: every side effect fails its aggregate; reading still works.
    config.aggregates.url = Some(reader_url);
    let (_m, metrics, _) = start_module(config, aggregates()).await.unwrap();
    let f = scrape(&metrics).await;
    for hostile in ["advisory_lock", "session_setting", "insert_in_function"] {
        assert_eq!(
            value(&f, "vitals_db_aggregate_up", &[hostile]),
            Some(0.0),
            "{hostile}"
        );
        assert_eq!(value(&f, hostile, &[]), None, "{hostile}: no value");
    }
    assert_eq!(value(&f, "vitals_db_aggregate_up", &["jobs"]), Some(1.0));
    assert_eq!(value(&f, "jobs", &[]), Some(10.0));
    assert_eq!(value(&f, "setting_left_behind", &[]), Some(0.0));
    assert_eq!(number(&db, "SELECT count(*) AS n FROM jobs").await, 10);
    assert_eq!(
        number(&admin, &advisory_locks).await,
        0,
        "no advisory lock held"
    );
    // The results table is written through the service's URL, not the role's.
    assert_eq!(
        number(
            &db,
            "SELECT count(*) AS n FROM vitals_aggregate_results_v2 WHERE attempted_at IS NOT NULL"
        )
        .await,
        5
    );
}

#[tokio::test]
async fn the_read_only_role_has_no_connection_limit_unless_one_is_asked_for() {
    let admin_url = postgres_url();
    let admin = Database::connect(&admin_url).await.unwrap();
    let name = format!("vitals_ro_limit_{}", std::process::id());
    let _cleanup = Cleanup {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = with_database(&admin_url, &name, None);
    let db = Database::connect(&url).await.unwrap();
    let limited = format!("{name}_limited");
    let app_role = url::Url::parse(&admin_url).unwrap().username().to_owned();
    // Every replica's aggregate pool holds up to VITALS_AGGREGATE_POOL_SIZE connections: a fixed
    // limit refuses the replicas past it (`up 0` on each), so the script sets none by default.
    reader_script(&url, &name, "ro-s3cret", &app_role, None);
    reader_script(&url, &limited, "ro-s3cret", &app_role, Some("40"));
    let limit = |role: &str| {
        format!("SELECT rolconnlimit::bigint AS n FROM pg_roles WHERE rolname = '{role}'")
    };
    assert_eq!(number(&db, &limit(&name)).await, -1, "no limit by default");
    assert_eq!(
        number(&db, &limit(&limited)).await,
        40,
        "connection_limit=40"
    );
}
