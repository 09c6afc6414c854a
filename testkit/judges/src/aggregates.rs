//! Fixtures for the DB aggregate scenarios: a jobs table, an aggregates file over it, `psql`,
//! and the aggregate's executions as counted by PostgreSQL's `pg_stat_statements`.

/// Runs one SQL statement with `psql` and returns its unaligned output.
pub fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        .output()
        .expect("psql is required");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// (Re)creates `table` with six jobs: 3 done, 1 failed, 2 pending.
pub fn jobs_table(url: &str, table: &str) {
    psql(url, &format!("DROP TABLE IF EXISTS {table}"));
    psql(
        url,
        &format!("CREATE TABLE {table} (id INTEGER, status TEXT)"),
    );
    psql(
        url,
        &format!(
            "INSERT INTO {table} VALUES (1,'done'),(2,'done'),(3,'done'),(4,'failed'),(5,'pending'),(6,'pending')"
        ),
    );
}

/// Writes an aggregates file declaring `name` (jobs per status of `table`, TTL `ttl`) in a
/// directory of its own and returns its path.
pub fn aggregates_file(tag: &str, name: &str, table: &str, ttl: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vitals-agg-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("aggregates.toml");
    std::fs::write(
        &path,
        format!(
            "[[aggregate]]\nname = \"{name}\"\nhelp = \"Jobs per status.\"\n\
             sql = \"SELECT status, count(*) AS n FROM {table} GROUP BY status\"\n\
             labels = [\"status\"]\nvalues = [\"n\"]\nttl = \"{ttl}\"\ntimeout = \"5s\"\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// How many times the aggregate over `table` has run, from `pg_stat_statements`.
pub fn aggregate_calls(url: &str, table: &str) -> u64 {
    psql(
        url,
        &format!(
            "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements \
             WHERE query LIKE 'SELECT CAST(%FROM {table} GROUP BY status%) AS vitals_aggregate%'"
        ),
    )
    .parse()
    .unwrap()
}
