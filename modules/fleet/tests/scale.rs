//! What the pages and the writes cost as the tables grow (run on demand, prints a table):
//! `cargo test -p vitals-module-fleet --release --test scale -- --ignored --nocapture`.
//! `cost_at_1_and_10_targets`: each target has 30 days of polls at 15 s (172,800) and 10 checks
//! with 20,000 readings each. `cost_at_10_100_1000_targets`: one day of polls (5,760) each, and
//! the readings the cycles write; `SCALE_TARGETS=1000 SCALE_BACKENDS=sqlite` runs a part of it.
mod common;

use common::{Backend, doc, fresh_db, poll};
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant, SystemTime};
use vitals_module_fleet::{FleetStore, Target, new_token};
use vitals_status::{Word, unix_ms};

const CHECKS: usize = 10;

/// What each target holds before the measure: `days` of polls at 15 s, and `readings` older
/// readings of each of its checks.
#[derive(Clone, Copy)]
struct Fill {
    days: u64,
    readings: u64,
}

async fn fill(s: &FleetStore, backend: Backend, targets: &[Target], now: u64, f: Fill) {
    let polls = f.days * 24 * 240;
    let readings = f.readings;
    for t in targets {
        let (polls_sql, readings_sql) = match backend {
            Backend::Sqlite => (
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {polls})
                     INSERT INTO fleet_polls (target, at_ms, status, error, failing, duration_seconds)
                     SELECT '{name}', {now} - i * 15000, CASE WHEN i % 50 = 0 THEN 'fail' ELSE 'pass' END,
                            NULL, '[]', 0.01 FROM n",
                    name = t.name
                ),
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {readings}),
                     c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < {CHECKS} - 1)
                     INSERT INTO fleet_readings (target, check_name, at_ms, status, duration_seconds, reason)
                     SELECT '{name}', 'check' || k, {now} - 1000000 - i * 15000, 'pass', 0.01, NULL FROM n, c",
                    name = t.name
                ),
            ),
            Backend::Postgres => (
                format!(
                    "INSERT INTO fleet_polls (target, at_ms, status, error, failing, duration_seconds)
                     SELECT '{name}', {now} - i::bigint * 15000, CASE WHEN i % 50 = 0 THEN 'fail' ELSE 'pass' END,
                            NULL, '[]', 0.01 FROM generate_series(1, {polls}) i",
                    name = t.name
                ),
                format!(
                    "INSERT INTO fleet_readings (target, check_name, at_ms, status, duration_seconds, reason)
                     SELECT '{name}', 'check' || k, {now} - 1000000 - i::bigint * 15000, 'pass', 0.01, NULL
                     FROM generate_series(1, {readings}) i, generate_series(0, {CHECKS} - 1) k",
                    name = t.name
                ),
            ),
        };
        s.connection().execute_unprepared(&polls_sql).await.unwrap();
        if readings > 0 {
            s.connection()
                .execute_unprepared(&readings_sql)
                .await
                .unwrap();
        }
    }
}

async fn measure(backend: Backend, n: usize, f: Fill) {
    let db = fresh_db(backend, "scale").await;
    let s = FleetStore::connect(&db.url, Duration::from_secs(120))
        .await
        .unwrap();
    s.migrate().await.unwrap();
    let targets: Vec<Target> = (0..n)
        .map(|i| Target {
            name: format!("svc-{i}"),
            url: format!("http://127.0.0.1:1/{i}"),
        })
        .collect();
    let now = unix_ms(SystemTime::now());
    fill(&s, backend, &targets, now, f).await;
    let names: Vec<String> = (0..CHECKS).map(|k| format!("check{k}")).collect();
    let recent: Vec<(u64, Word)> = (0..120).map(|i| (now - i * 1000, Word::Pass)).collect();
    let specs: Vec<common::CheckSpec<'_>> = names
        .iter()
        .map(|n| (n.as_str(), Word::Pass, recent.as_slice()))
        .collect();
    let d = doc(Word::Pass, &specs);
    let token = new_token();
    assert!(s.claim(&token, Duration::from_secs(600)).await.unwrap());
    // A cycle's write: every target's poll with 10 checks × 120 readings (the first new, then
    // all already kept), and the prune.
    let mut writes = Vec::new();
    for round in 0..3u64 {
        let polls: Vec<_> = targets
            .iter()
            .map(|t| poll(&t.name, now + round, Ok(d.clone())))
            .collect();
        let started = Instant::now();
        assert!(
            s.record(
                &token,
                Duration::from_secs(600),
                &polls,
                now - 35 * 86_400_000
            )
            .await
            .unwrap()
        );
        writes.push(started.elapsed());
    }
    let mut reads = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let doc = s.fleet_document(&targets, now + 10, true).await.unwrap();
        reads.push(started.elapsed());
        assert_eq!(doc.targets[0].checks[0].readings.len(), 120);
        assert!(doc.targets[0].uptime.day.unwrap() > 0.97);
    }
    reads.sort();
    let (mut summaries, mut ones) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let started = Instant::now();
        let summary = s.fleet_summary(&targets, now + 10, true).await.unwrap();
        summaries.push(started.elapsed());
        assert_eq!(summary.targets.len(), n);
        assert!(summary.targets[n - 1].uptime.day.unwrap() > 0.97);
        let started = Instant::now();
        let one = s
            .target_document(&targets[i * (n - 1) / 4], now + 10, true)
            .await
            .unwrap();
        ones.push(started.elapsed());
        assert_eq!(one.targets[0].checks[CHECKS - 1].readings.len(), 120);
    }
    summaries.sort();
    ones.sort();
    println!(
        "{backend:?}\t{n} targets\t{} polls, {} readings\twrite: first {:?}, then {:?}\t\
         whole document: median {:?}\tfleet page (summary): median {:?}\ta target's page: median {:?}",
        s.count("fleet_polls").await.unwrap(),
        s.count("fleet_readings").await.unwrap(),
        writes[0],
        writes[2],
        reads[2],
        summaries[2],
        ones[2],
    );
}

#[tokio::test]
#[ignore = "minutes of filling; run on demand"]
async fn cost_at_1_and_10_targets() {
    let month = Fill {
        days: 30,
        readings: 20_000,
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for n in [1, 10] {
            measure(backend, n, month).await;
        }
    }
}

#[tokio::test]
#[ignore = "minutes of filling; run on demand"]
async fn cost_at_10_100_1000_targets() {
    let day = Fill {
        days: 1,
        readings: 0,
    };
    let wanted = |var: &str, v: &str| {
        std::env::var(var)
            .ok()
            .is_none_or(|w| w.split(',').any(|x| x == v))
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for n in [10, 100, 1_000] {
            if wanted("SCALE_BACKENDS", &format!("{backend:?}").to_lowercase())
                && wanted("SCALE_TARGETS", &n.to_string())
            {
                measure(backend, n, day).await;
            }
        }
    }
}
