//! PostgreSQL hung, not down: every server process stopped (SIGSTOP), so connections stay open
//! and nothing answers. Under a stream of probes and scrapes the `vitals` binary answers each
//! `/ready` within one check timeout, reports the aggregate down, and piles nothing up (threads,
//! sockets); when PostgreSQL goes on, everything recovers in the same process.
use std::time::{Duration, Instant};
use vitals_judges::{
    ChildGuard, TempPostgres, aggregates_file, free_addr, get, get_with, jobs_table, parsed_value,
    python_parse, wait_until_up,
};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

/// Threads and open sockets of process `pid`.
fn threads_and_sockets(pid: u32) -> (usize, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let threads = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let sockets = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|l| l.to_string_lossy().starts_with("socket:"))
        .count();
    (threads, sockets)
}

async fn aggregate_up(base: &str) -> Option<f64> {
    let text = get_with(
        &format!("{base}/metrics"),
        &[("X-Prometheus-Scrape-Timeout-Seconds", "2")],
    )
    .await
    .text();
    let samples = python_parse(&text);
    parsed_value(
        &samples,
        "vitals_db_aggregate_up",
        &[("aggregate", "hung_jobs")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_database_is_reported_within_one_timeout_and_nothing_piles_up() {
    let pg = TempPostgres::start();
    let url = pg.url();
    jobs_table(&url, "hung_jobs_table");
    let file = aggregates_file("hang", "hung_jobs", "hung_jobs_table", "1s");
    let addr = free_addr().to_string();
    let service = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &addr),
            ("DATABASE_URL", &url),
            ("VITALS_CHECK_TIMEOUT", "1s"),
            // Every probe reaches the database (no cached reading): the hung case under test.
            ("VITALS_DB_CHECK_CACHE_TTL", "0s"),
            ("VITALS_AGGREGATES_FILE", &file),
            ("VITALS_AGGREGATE_STORE_TIMEOUT", "500ms"),
        ],
    );
    let pid = service.id();
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    assert_eq!(get(&format!("{base}/ready")).await.status, 200);
    assert_eq!(aggregate_up(&base).await, Some(1.0));
    let before = threads_and_sockets(pid);

    pg.freeze();
    let hung = Instant::now();
    // 10 s of probes from 4 clients every 100 ms, and a scrape every second.
    let probers: Vec<_> = (0..4)
        .map(|_| {
            let url = format!("{base}/ready");
            tokio::spawn(async move {
                let mut worst = Duration::ZERO;
                let mut statuses = Vec::new();
                while hung.elapsed() < Duration::from_secs(10) {
                    let t = Instant::now();
                    statuses.push(get(&url).await.status);
                    worst = worst.max(t.elapsed());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (worst, statuses)
            })
        })
        .collect();
    let mut down_after = None;
    while hung.elapsed() < Duration::from_secs(10) {
        if down_after.is_none() && aggregate_up(&base).await == Some(0.0) {
            down_after = Some(hung.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1_000)).await;
    }
    let (mut worst, mut probes, mut late_200) = (Duration::ZERO, 0, 0);
    for p in probers {
        let (w, statuses) = p.await.unwrap();
        worst = worst.max(w);
        probes += statuses.len();
        // The first run may have begun before the freeze; after that every answer is 503.
        late_200 += statuses.iter().skip(2).filter(|s| **s == 200).count();
    }
    let during = threads_and_sockets(pid);
    assert_eq!(late_200, 0, "readiness passed with the database hung");
    assert!(
        worst < Duration::from_millis(1_500),
        "a /ready took {worst:?} with a 1 s check timeout"
    );
    let down_after = down_after.expect("the aggregate never read down while the database hung");
    assert!(
        during.0 <= before.0 + 2 && during.1 <= before.1 + 3,
        "piled up: threads and sockets {before:?} → {during:?}"
    );

    pg.thaw();
    let thawed = Instant::now();
    loop {
        if get(&format!("{base}/ready")).await.status == 200
            && aggregate_up(&base).await == Some(1.0)
        {
            break;
        }
        assert!(thawed.elapsed() < Duration::from_secs(20), "no recovery");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = thawed.elapsed();
    assert_eq!(service.id(), pid, "same process");
    let after = threads_and_sockets(pid);
    println!(
        "hung 10 s: {probes} probes, worst /ready {worst:?}, aggregate down after {down_after:?}; \
         threads/sockets {before:?} → {during:?} → {after:?}; recovered {recovered:?} after thaw"
    );
}
