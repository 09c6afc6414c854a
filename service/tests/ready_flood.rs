//! A `/ready` flood (`wrk`, 64 connections) against the `vitals` binary on PostgreSQL: the `db`
//! check's `SELECT 1` reaches the database at most once per cache period, whatever the request
//! rate. Counted by `pg_stat_statements` in a database of the test's own, so only this
//! service's queries count.
use std::process::Command;
use std::time::Duration;
use vitals_judges::{postgres_url, psql, start_service};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

/// `SELECT 1` calls (normalised by pg_stat_statements to `SELECT $1`) in database `db`.
fn select_one_calls(admin: &str, db: &str) -> u64 {
    psql(
        admin,
        &format!(
            "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements \
             WHERE query = 'SELECT $1' \
               AND dbid = (SELECT oid FROM pg_database WHERE datname = '{db}')"
        ),
    )
    .parse()
    .unwrap()
}

/// Runs `wrk -c64` against `url` for `secs` seconds; returns the requests it completed.
fn flood(url: &str, secs: u64) -> u64 {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{secs}s"), url])
        .output()
        .expect("wrk is required (scripts/services.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk: {text}");
    text.lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {text}"))
}

/// The service on a fresh database of its own, with the `db` check cached for `ttl`.
async fn service(admin: &str, db: &str, ttl: &str) -> (vitals_judges::ChildGuard, String) {
    psql(admin, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    psql(admin, &format!("CREATE DATABASE {db}"));
    let (base_url, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base_url}/{db}");
    let (child, base) = start_service(
        BIN,
        &[("DATABASE_URL", &url), ("VITALS_DB_CHECK_CACHE_TTL", ttl)],
    )
    .await;
    let ready = vitals_judges::get(&format!("{base}/ready")).await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    (child, base)
}

#[tokio::test]
async fn a_ready_flood_costs_at_most_one_select_per_cache_period() {
    let admin = postgres_url();
    let db = format!("vitals_flood_{}", std::process::id());
    let ttl = Duration::from_secs(2);
    let secs = 10;
    let (child, base) = service(&admin, &db, "2s").await;
    let before = select_one_calls(&admin, &db);
    let requests = flood(&format!("{base}/ready"), secs);
    let calls = select_one_calls(&admin, &db) - before;
    drop(child);
    let periods = Duration::from_secs(secs).as_secs_f64() / ttl.as_secs_f64();
    let most = periods.ceil() as u64 + 1;
    eprintln!(
        "/ready flood, wrk -c64 -d{secs}s, db check cached {ttl:?}: {requests} requests, \
         {calls} SELECT 1 (at most {most})"
    );
    assert!(requests > 1_000, "only {requests} requests: not a flood");
    assert!(
        calls <= most,
        "{calls} SELECT 1 for {requests} probes, at most {most}"
    );
    // Not vacuous: the check did run, about once per period.
    assert!(
        calls + 1 >= periods.floor() as u64,
        "{calls} SELECT 1 in {periods} cache periods"
    );

    // The same flood with the cache off reaches the database many times over (coalescing
    // alone bounds it to one query per check run under way, no more).
    let (child, base) = service(&admin, &db, "0s").await;
    let before = select_one_calls(&admin, &db);
    let uncached = flood(&format!("{base}/ready"), 2);
    let uncached_calls = select_one_calls(&admin, &db) - before;
    drop(child);
    eprintln!(
        "the same for 2 s with the cache off: {uncached} requests, {uncached_calls} SELECT 1"
    );
    assert!(
        uncached_calls > 10 * most,
        "{uncached_calls} SELECT 1 with the cache off"
    );
    psql(&admin, &format!("DROP DATABASE {db} WITH (FORCE)"));
}
