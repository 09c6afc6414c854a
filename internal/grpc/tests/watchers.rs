//! 1,000 concurrent `Watch` streams on one registry (an independent client: Python grpcio over
//! 10 connections): the check still runs exactly once per background interval, the heap and
//! RSS each stream costs are measured, and every stream sees the next change.
mod client;

use client::Client;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use vitals::CheckOutcome;
use vitals_grpc::{GrpcHealth, GrpcListener};
use vitals_health::{BackgroundConfig, HealthRegistry, Reading, RegistryConfig, RunObserver};
use vitals_judges::Counting;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const STREAMS: usize = 1_000;
const CONNECTIONS: usize = 10;
const INTERVAL: Duration = Duration::from_millis(250);

/// When each run of the check finished.
#[derive(Default)]
struct RunTimes(Mutex<Vec<Instant>>);

impl RunObserver for RunTimes {
    fn on_run(&self, _check: &str, reading: &Reading) {
        self.0.lock().unwrap().push(reading.finished);
    }
}

impl RunTimes {
    fn last(&self) -> Instant {
        *self.0.lock().unwrap().last().expect("a run")
    }

    fn after(&self, from: Instant) -> Vec<Instant> {
        let all = self.0.lock().unwrap();
        all.iter().copied().filter(|t| *t > from).collect()
    }

    /// The runs of the next `n` intervals, counted from the last run to half an interval after
    /// the `n`th tick (far from any tick, so the count is exact).
    async fn over(&self, n: u32) -> Vec<Instant> {
        let from = self.last();
        tokio::time::sleep_until(from + INTERVAL * n + INTERVAL / 2).await;
        self.after(from)
    }
}

const INTERVALS: u32 = 8;

/// Live heap bytes (allocated minus freed) of this process.
fn heap() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Resident set size of this process, in bytes.
fn rss() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// Every gap between consecutive runs: one interval plus the run's own scheduling, never less
/// (a run between two ticks would be one the watchers caused).
fn assert_one_run_per_interval(runs: &[Instant], phase: &str) {
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= INTERVAL && gap < INTERVAL + Duration::from_millis(100),
            "{phase}: runs {gap:?} apart, interval {INTERVAL:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_watchers_cost_no_check_runs_and_all_see_the_next_change() {
    let times = Arc::new(RunTimes::default());
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval: INTERVAL,
            max_staleness: Duration::from_secs(5),
        }),
        observers: vec![times.clone()],
        ..RegistryConfig::default()
    });
    let dep = Counting::new("dep", Duration::ZERO);
    reg.add(Arc::new(dep.clone())).unwrap();
    reg.start_background();
    let listener = GrpcListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().to_string();
    let health = GrpcHealth::new(reg.clone());
    tokio::spawn(listener.serve(health.clone(), std::future::pending()));

    // No watcher: the runs of eight intervals.
    tokio::time::sleep(INTERVAL / 2).await;
    let alone = times.over(INTERVALS).await;
    assert_eq!(alone.len(), INTERVALS as usize, "no watcher");
    assert_one_run_per_interval(&alone, "no watcher");

    let (heap0, rss0) = (heap(), rss());
    let streams = STREAMS.to_string();
    let conns = CONNECTIONS.to_string();
    let flood = Client::spawn(&["flood", &addr, "readiness", &streams, &conns]);
    let wait = Duration::from_secs(30);
    let first = tokio::task::spawn_blocking(move || (flood.line(wait), flood))
        .await
        .unwrap();
    let (line, flood) = first;
    assert_eq!(line, format!("first {STREAMS} SERVING"));
    let (heap1, rss1) = (heap(), rss());

    // 1,000 watchers: the runs of as many intervals, exactly as many.
    let watched = times.over(INTERVALS).await;
    assert_eq!(watched.len(), INTERVALS as usize, "1,000 watchers");
    assert_one_run_per_interval(&watched, "1,000 watchers");

    let change = std::time::Instant::now();
    dep.set(CheckOutcome::unhealthy("down"));
    let (at, line) = tokio::task::spawn_blocking(move || flood.line_at(wait))
        .await
        .unwrap();
    assert_eq!(line, format!("next {STREAMS} NOT_SERVING"));
    let pushed = at - change;
    assert!(pushed < INTERVAL + Duration::from_secs(1), "{pushed:?}");

    let per = |bytes: i64| bytes / STREAMS as i64;
    println!(
        "{STREAMS} Watch streams over {CONNECTIONS} connections: heap {} B/stream, RSS {} B/stream; \
         check runs in {INTERVALS} intervals of {INTERVAL:?}: {} alone, {} watched; change seen by all in {pushed:?}",
        per(heap1 - heap0),
        per(rss1 - rss0),
        alone.len(),
        watched.len(),
    );
    // The measured figure is a few KiB (docs/grpc.md); the bound catches a regression in kind.
    assert!(
        per(heap1 - heap0) < 32 * 1024,
        "{} B/stream",
        per(heap1 - heap0)
    );
    health.close();
    reg.stop_background();
}
