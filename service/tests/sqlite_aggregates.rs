//! DB aggregates on a SQLite file with the `vitals` binary: SQL that any dialect reads as more
//! than one statement, or as ending inside a quote or comment, stops start-up (exit 64) naming
//! the aggregate, and aggregates that run leave the file's tables as they were.
use std::time::Duration;
use vitals_judges::{ChildGuard, free_addr, get, parsed_value, python_parse, start_service};
use vitals_module_database::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

/// A SQLite file with a `jobs` table of 10 rows, in journal mode `journal`; its URL.
async fn jobs_file(tag: &str, journal: &str) -> String {
    let url = vitals_judges::sqlite_url(tag);
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(&format!(
        "PRAGMA journal_mode={journal}; DROP TABLE IF EXISTS jobs;
         CREATE TABLE jobs (id INTEGER, status TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO jobs SELECT i, 'pending' FROM n"
    ))
    .await
    .unwrap();
    url
}

async fn jobs(url: &str) -> i64 {
    let db = Database::connect(url).await.unwrap();
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

/// An aggregates file holding one entry `name` with `sql` (a TOML literal string) and `extra`
/// lines.
fn aggregates_file(tag: &str, name: &str, sql: &str, extra: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vitals-sqlite-agg-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("aggregates.toml");
    std::fs::write(
        &path,
        format!("[[aggregate]]\nname = \"{name}\"\nhelp = \"Jobs.\"\nsql = '''{sql}'''\n{extra}"),
    )
    .unwrap();
    path.display().to_string()
}

/// The bypass found on SQLite and its variants: one statement to a lexer that knows only some
/// of the dialects' quotes, several to SQLite.
const HOSTILE: &[(&str, &str)] = &[
    (
        "brackets",
        "SELECT 1 AS [$x$]) AS t; PRAGMA query_only=OFF; DELETE FROM jobs; SELECT 1 AS value FROM (SELECT 1 AS [$x$]",
    ),
    (
        "backticks",
        "SELECT 1 AS `$x$`) AS t; PRAGMA query_only=OFF; DELETE FROM jobs; SELECT 1 AS value FROM (SELECT 1 AS `$x$`",
    ),
    (
        "nested_comments",
        "SELECT 1 AS value /* /* */ ; DELETE FROM jobs; /* */ */",
    ),
    (
        "comment_hiding_a_quote",
        "SELECT 1 AS value /* /* */ ' */ ; DELETE FROM jobs; -- '",
    ),
    (
        "dollar_quote",
        "SELECT $q$ ; DELETE FROM jobs; $q$ AS value",
    ),
    (
        "parameter",
        "SELECT @a(';') AS value; DELETE FROM jobs; SELECT @b(';')",
    ),
];

/// Starts the binary once per `(variant, sql)` of `table` on a SQLite file of its own (a jobs
/// table of 10 rows); the file's URL and the variants that did not exit 64 naming the aggregate
/// (`invalid SQL aggregate "<tag>_<variant>": <reason>…`) and the file.
async fn refused_at_start(
    tag: &str,
    table: &[(&str, &str)],
    reason: &str,
) -> (String, Vec<String>) {
    let url = jobs_file(tag, "DELETE").await;
    let mut failures = Vec::new();
    for (variant, sql) in table {
        let name = format!("{tag}_{variant}");
        let file = aggregates_file(variant, &name, sql, "");
        let bind = free_addr().to_string();
        let child = ChildGuard::spawn(
            BIN,
            &[
                ("VITALS_BIND", &bind),
                ("DATABASE_URL", &url),
                ("VITALS_AGGREGATES_FILE", &file),
            ],
        );
        let (code, stderr) = child.wait_exit(Duration::from_secs(20));
        let named = stderr.contains(&format!("invalid SQL aggregate \"{name}\": {reason}"));
        if code != Some(64) || !named || !stderr.contains(&file) {
            failures.push(format!("{variant}: exit {code:?}: {stderr}"));
        }
    }
    (url, failures)
}

#[tokio::test]
async fn sql_that_any_dialect_reads_as_several_statements_stops_start_up_naming_the_aggregate() {
    let (url, failures) = refused_at_start("hostile", HOSTILE, "sql must be one statement").await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(jobs(&url).await, 10);
}

/// SQL that ends inside a quote or comment, which would swallow the kernel's wrapper after it
/// (`) AS … LIMIT …`).
const UNCLOSED: &[(&str, &str)] = &[
    (
        "line_comment",
        "SELECT count(*) AS value FROM jobs -- trailing comment",
    ),
    (
        "block_comment",
        "SELECT count(*) AS value FROM jobs /* open",
    ),
    (
        "quote",
        "SELECT count(*) AS value FROM jobs WHERE status = 'open",
    ),
];

#[tokio::test]
async fn sql_ending_inside_a_quote_or_comment_stops_start_up_naming_the_aggregate() {
    let (_, failures) = refused_at_start("unclosed", UNCLOSED, "sql ends inside a ").await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn aggregates_on_a_sqlite_file_leave_its_tables_as_they_were() {
    for journal in ["DELETE", "WAL"] {
        let url = jobs_file(&format!("runs-{journal}"), journal).await;
        let sql = "SELECT status, count(*) AS value FROM jobs GROUP BY status";
        let extra = "labels = [\"status\"]\nttl = \"100ms\"\n";
        let file = aggregates_file(journal, "jobs_by_status", sql, extra);
        let (_service, base) = start_service(
            BIN,
            &[("DATABASE_URL", &url), ("VITALS_AGGREGATES_FILE", &file)],
        )
        .await;
        for _ in 0..5 {
            let scrape = get(&format!("{base}/metrics")).await;
            let samples = python_parse(&scrape.text());
            let up = parsed_value(
                &samples,
                "vitals_db_aggregate_up",
                &[("aggregate", "jobs_by_status")],
            );
            assert_eq!(up, Some(1.0), "{journal}");
            assert_eq!(
                parsed_value(&samples, "jobs_by_status", &[("status", "pending")]),
                Some(10.0),
                "{journal}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert_eq!(jobs(&url).await, 10, "{journal}");
    }
}
