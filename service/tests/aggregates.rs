//! DB aggregate gauges end to end: real `vitals` replicas and the `vitals-collector` binary on a
//! real PostgreSQL, scraped over HTTP; query executions counted by pg_stat_statements.
use std::time::{Duration, Instant};
use vitals_judges::{ChildGuard, assert_promtool_clean};
use vitals_judges::{aggregate_calls as calls, aggregates_file, jobs_table, psql};
use vitals_judges::{get, parsed_value, postgres_url, python_parse, start_service};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
const COLLECTOR: &str = env!("CARGO_BIN_EXE_vitals-collector");

/// 3 replicas, 5 scrapers each scraping every replica every 100 ms for 5 s, TTL 1 s.
/// Returns (aggregate executions, scrapes).
async fn run_replicas(mode: &str) -> (u64, u64) {
    let url = postgres_url();
    let table = format!("jobs_replicas_{mode}_{}", std::process::id());
    let name = format!("jobs_{mode}_{}", std::process::id());
    jobs_table(&url, &table);
    let file = aggregates_file(mode, &name, &table, "1s");
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            start_service(
                BIN,
                &[
                    ("DATABASE_URL", &url),
                    ("VITALS_AGGREGATES_FILE", &file),
                    ("VITALS_AGGREGATE_MODE", mode),
                ],
            )
            .await,
        );
    }
    let bases: Vec<String> = replicas.iter().map(|(_, b)| b.clone()).collect();
    let before = calls(&url, &table);
    let until = Instant::now() + Duration::from_secs(5);
    let scrapers = (0..5).map(|_| {
        let bases = bases.clone();
        tokio::spawn(async move {
            let mut scrapes = 0u64;
            let mut kept = None;
            while Instant::now() < until {
                for base in &bases {
                    let resp = get(&format!("{base}/metrics")).await;
                    assert_eq!(resp.status, 200);
                    scrapes += 1;
                    if scrapes == 20 {
                        kept = Some(resp.text());
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (scrapes, kept)
        })
    });
    let mut scrapes = 0;
    for s in futures_util::future::join_all(scrapers).await {
        let (n, kept) = s.unwrap();
        scrapes += n;
        // Parsed after the window: the parser is a child process that would stall the scrapers.
        let samples = python_parse(&kept.expect("a 20th scrape"));
        assert_eq!(
            parsed_value(&samples, &name, &[("status", "done")]),
            Some(3.0)
        );
    }
    let executions = calls(&url, &table) - before;
    drop(replicas);
    psql(&url, &format!("DROP TABLE {table}"));
    (executions, scrapes)
}

#[tokio::test]
async fn three_replicas_and_five_scrapers_run_each_aggregate_once_per_window() {
    let (cluster, scrapes_c) = run_replicas("cluster").await;
    let (local, scrapes_l) = run_replicas("local").await;
    eprintln!(
        "aggregate executions in 5 s, TTL 1 s, 3 replicas, 5 scrapers every 100 ms: \
         cluster {cluster}, per-process {local}, naive per-scrape {scrapes_c} (and {scrapes_l})"
    );
    assert!(
        (5..=6).contains(&cluster),
        "cluster mode ran the aggregate {cluster} times"
    );
    assert!(
        (15..=18).contains(&local),
        "per-process mode ran the aggregate {local} times"
    );
    assert!(scrapes_c >= 300, "only {scrapes_c} scrapes");
}

#[tokio::test]
async fn collector_binary_serves_aggregates_and_app_replicas_can_turn_them_off() {
    let url = postgres_url();
    let table = format!("jobs_collector_{}", std::process::id());
    let name = format!("jobs_collector_{}", std::process::id());
    jobs_table(&url, &table);
    let file = aggregates_file("collector", &name, &table, "300ms");
    let (_collector, cbase) = start_service(
        COLLECTOR,
        &[("DATABASE_URL", &url), ("VITALS_AGGREGATES_FILE", &file)],
    )
    .await;
    let (_app, abase) = start_service(
        BIN,
        &[
            ("DATABASE_URL", &url),
            ("VITALS_AGGREGATES_FILE", &file),
            ("VITALS_AGGREGATES", "off"),
        ],
    )
    .await;
    assert_eq!(get(&format!("{cbase}/health")).await.status, 200);
    let scrape = get(&format!("{cbase}/metrics")).await;
    assert_eq!(scrape.status, 200);
    assert_promtool_clean(&scrape.text());
    let samples = python_parse(&scrape.text());
    assert_eq!(
        parsed_value(&samples, &name, &[("status", "pending")]),
        Some(2.0)
    );
    assert_eq!(
        parsed_value(&samples, "vitals_db_aggregate_up", &[("aggregate", &name)]),
        Some(1.0)
    );
    // The collector serves what its modules export, and none of a service's own families.
    for absent in [
        "http_server_requests_total",
        "vitals_db_query_duration_seconds",
        "vitals_db_pool_connections",
    ] {
        assert!(
            !scrape.text().contains(absent),
            "the collector serves {absent}"
        );
    }
    let ready = get(&format!("{cbase}/ready?verbose")).await.text();
    assert_eq!(ready, "[+]db ok\nreadiness check passed\n");
    let app = get(&format!("{abase}/metrics")).await.text();
    assert!(
        !app.contains(&name),
        "the app replica must not serve the aggregate"
    );
    assert!(!app.contains("vitals_db_aggregate_up"));

    // the table goes away: up drops to 0, the last value stays, the scrape stays 200
    psql(&url, &format!("DROP TABLE {table}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = get(&format!("{cbase}/metrics")).await;
        assert_eq!(resp.status, 200);
        let samples = python_parse(&resp.text());
        if parsed_value(&samples, "vitals_db_aggregate_up", &[("aggregate", &name)]) == Some(0.0) {
            assert_eq!(
                parsed_value(&samples, &name, &[("status", "pending")]),
                Some(2.0)
            );
            break;
        }
        assert!(Instant::now() < deadline, "up never dropped to 0");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn collector_refuses_to_start_without_aggregates() {
    let child = ChildGuard::spawn(COLLECTOR, &[("VITALS_BIND", "127.0.0.1:0")]);
    let (code, stderr) = child.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(64), "{stderr}");
    assert!(stderr.contains("VITALS_AGGREGATES_FILE"), "{stderr}");
}
