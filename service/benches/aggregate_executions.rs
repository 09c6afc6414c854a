//! DB aggregate executions per minute as scrapers × replicas grow, against a real PostgreSQL
//! (counted by `pg_stat_statements`): real `vitals` replicas, each scraper scraping every replica
//! every interval, in three modes:
//! - `naive`: per-process with a 1 ms TTL, so every scrape that does not overlap another runs
//!   the query (what an exporter without a cache does);
//! - `local`: per-process, once per TTL window in each replica;
//! - `cluster`: once per TTL window across all replicas (shared results table).
//!
//! Run: `VITALS_TEST_DATABASE_URL=… cargo bench -p vitals-service --bench aggregate_executions`.
//! `AGG_SCENARIOS` (default `1x1 5x3 20x10`, scrapers×replicas), `AGG_WINDOW_SECONDS` (default
//! 20), `AGG_SCRAPE_INTERVAL_MS` (default 1000) and `AGG_TTL` (default `5s`) shorten or reshape it.
use std::time::{Duration, Instant};
use vitals_judges::start_service;
use vitals_judges::{aggregate_calls, aggregates_file, get, jobs_table, postgres_url, psql};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

struct Outcome {
    executions: u64,
    scrapes: u64,
}

async fn scenario(scrapers: usize, replicas: usize, mode: &str, window: Duration) -> Outcome {
    let url = postgres_url();
    let interval = Duration::from_millis(env_or("AGG_SCRAPE_INTERVAL_MS", "1000").parse().unwrap());
    let tag = format!("{mode}_{scrapers}x{replicas}_{}", std::process::id());
    let table = format!("bench_jobs_{tag}");
    jobs_table(&url, &table);
    let (agg_mode, ttl) = match mode {
        "naive" => ("local", "1ms".to_owned()),
        other => (other, env_or("AGG_TTL", "5s")),
    };
    let file = aggregates_file(&tag, &format!("bench_jobs_{tag}"), &table, &ttl);
    let mut running = Vec::new();
    for _ in 0..replicas {
        running.push(
            start_service(
                BIN,
                &[
                    ("DATABASE_URL", &url),
                    ("VITALS_AGGREGATES_FILE", &file),
                    ("VITALS_AGGREGATE_MODE", agg_mode),
                ],
            )
            .await,
        );
    }
    let bases: Vec<String> = running.iter().map(|(_, b)| b.clone()).collect();
    let before = aggregate_calls(&url, &table);
    let until = Instant::now() + window;
    let tasks = (0..scrapers).map(|i| {
        let bases = bases.clone();
        tokio::spawn(async move {
            // Scrapers start spread over one interval, as independent Prometheus servers do.
            tokio::time::sleep(interval * i as u32 / scrapers as u32).await;
            let mut scrapes = 0u64;
            let mut tick = tokio::time::interval(interval);
            while Instant::now() < until {
                tick.tick().await;
                let all = bases.iter().map(|b| get_metrics(b));
                for status in futures_util::future::join_all(all).await {
                    assert_eq!(status, 200);
                    scrapes += 1;
                }
            }
            scrapes
        })
    });
    let scrapes = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    let executions = aggregate_calls(&url, &table) - before;
    drop(running);
    psql(&url, &format!("DROP TABLE {table}"));
    Outcome {
        executions,
        scrapes,
    }
}

async fn get_metrics(base: &str) -> u16 {
    get(&format!("{base}/metrics")).await.status
}

#[tokio::main]
async fn main() {
    let window = Duration::from_secs(env_or("AGG_WINDOW_SECONDS", "20").parse().unwrap());
    let per_minute = 60.0 / window.as_secs_f64();
    println!(
        "aggregate executions per minute (window {window:?}, TTL {}, scrape interval {} ms)",
        env_or("AGG_TTL", "5s"),
        env_or("AGG_SCRAPE_INTERVAL_MS", "1000")
    );
    println!("| scrapers × replicas | mode | scrapes/min | executions/min |");
    println!("|---|---|---:|---:|");
    for s in env_or("AGG_SCENARIOS", "1x1 5x3 20x10").split_whitespace() {
        let (scrapers, replicas) = s.split_once('x').expect("AGG_SCENARIOS: scrapersxreplicas");
        let (scrapers, replicas) = (scrapers.parse().unwrap(), replicas.parse().unwrap());
        for mode in ["naive", "local", "cluster"] {
            let o = scenario(scrapers, replicas, mode, window).await;
            println!(
                "| {scrapers} × {replicas} | {mode} | {:.0} | {:.1} |",
                o.scrapes as f64 * per_minute,
                o.executions as f64 * per_minute
            );
        }
    }
}
