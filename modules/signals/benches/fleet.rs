//! Cost against fleet size, against a real `redis-server` on loopback: P publishers (simulated
//! in one process under distinct instance names) × 10 latency signals × 10 gauges, each latency
//! observed 200 times per second per publisher, flushed every second, with 61 minutes of
//! history.
//!
//! The history is written as the flushes leave it: one merged hash per signal per minute of
//! bucket counts (what `HINCRBY` of every publisher's buckets adds up to; counts add, so the
//! content is the same whatever the order and number of flushes). The current minute is
//! published for real: every publisher flushes its gauges and one second of observations
//! through the flush script. Then 20 aggregations are timed.
//!
//! Each P runs twice, with the gauges and with latencies alone (what the latency windows cost).
//! Reported per run: Redis `used_memory`, the history's keys, one aggregation's wall
//! time (p50 and p99 of 20, after the first reads that rebuild the windows from the hour of
//! history, their total reported apart), bytes Redis sent per aggregation, and one publisher's flush (p50).
//!
//! `cargo bench -p vitals-module-signals --bench fleet`; `SIGNALS_FLEET` (default
//! `10,100,1000`), `SIGNALS_READS` (default 20) and `SIGNALS_MINUTES` of history (default 60)
//! make it shorter.
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::{Module, ModuleContext};
use vitals_judges::{Registrar, TempRedis};
use vitals_module_signals::{Publisher, SignalsConfig, SignalsModule, Sketch};

const SIGNALS: usize = 10;
const PER_SECOND: usize = 200;

/// A latency in seconds for observation `k` of signal `s`: log-normal-ish over 2 ms – 2 s.
fn latency(s: usize, k: usize) -> f64 {
    let u = ((k * 7919 + s * 104_729) % 10_007) as f64 / 10_007.0;
    0.002 * 1000f64.powf(u * u)
}

fn info(c: &mut redis::Connection, field: &str, section: &str) -> u64 {
    let text: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let fleet: Vec<usize> = std::env::var("SIGNALS_FLEET")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect();
    let reads: usize = std::env::var("SIGNALS_READS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let minutes: u64 = std::env::var("SIGNALS_MINUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{:>6} {:>10} {:>12} {:>10} {:>12} {:>12} {:>12} {:>14} {:>12}",
        "P",
        "gauges",
        "used_memory",
        "hist keys",
        "warm-up ms",
        "agg p50 ms",
        "agg p99 ms",
        "bytes/agg",
        "flush µs"
    );
    // Each P twice: with the 10 gauges, and latencies alone (what latency windows cost).
    for (p, gauges) in fleet.iter().flat_map(|p| [(*p, 10), (*p, 0)]) {
        let redis = TempRedis::start();
        let client = redis::Client::open(redis.url()).unwrap();
        let mut c = client.get_connection().unwrap();
        let mut config = SignalsConfig::new(&redis.url());
        config.tenant = "bench".into();
        config.exporter = true;
        config.max_age = Duration::from_secs(600);
        config.timeout = Duration::from_secs(10);
        config.scrape_ttl = Duration::from_millis(1);
        let module = SignalsModule::new(config).unwrap();
        let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
        module.register(&ctx).unwrap();
        let first = module.publisher().unwrap();

        // History: 60 past minutes, each signal's minute merged over P publishers × 60 s.
        let (now_s, _): (u64, u64) = redis::cmd("TIME").query(&mut c).unwrap();
        let minute = now_s / 60;
        for back in 1..=minutes {
            let mut pipe = redis::pipe();
            for s in 0..SIGNALS {
                let mut sketch = Sketch::default();
                for k in 0..PER_SECOND * 60 {
                    sketch.add(latency(s, k + back as usize));
                }
                let key = format!(
                    "vitals:signals:{{bench:default}}:lat:lat{s}:{}",
                    minute - back
                );
                for (bucket, count) in sketch.bucket_counts() {
                    pipe.cmd("HINCRBY")
                        .arg(&key)
                        .arg(bucket)
                        .arg(count * p as u64)
                        .ignore();
                }
                pipe.expire(&key, 3720).ignore();
            }
            let () = pipe.query(&mut c).unwrap();
        }

        // The current minute, for real: P publishers flush gauges and one second of latencies.
        let publishers: Vec<Publisher> = (0..p)
            .map(|i| first.clone_as(&format!("web-{i}")))
            .collect();
        let mut flush_us = Vec::new();
        rt.block_on(async {
            for (i, pub_) in publishers.iter().enumerate() {
                use vitals::signals::SignalSink;
                for g in 0..gauges {
                    pub_.gauge(&format!("gauge{g}"), (i + g) as f64);
                }
                for s in 0..SIGNALS {
                    for k in 0..PER_SECOND {
                        pub_.observe(&format!("lat{s}"), latency(s, k + i));
                    }
                }
                let t = Instant::now();
                pub_.flush().await.unwrap();
                flush_us.push(t.elapsed().as_secs_f64() * 1e6);
            }
        });
        flush_us.sort_by(f64::total_cmp);

        let used = info(&mut c, "used_memory", "memory");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("vitals:signals:{bench:default}:lat:*")
            .query(&mut c)
            .unwrap();
        let mut times = Vec::new();
        let mut bytes = Vec::new();
        // The first reads rebuild the windows from the hour of history, a few signals per read.
        let t = Instant::now();
        let mut warm_up = 0;
        while rt.block_on(module.read()).unwrap().latencies.len() < SIGNALS {
            warm_up += 1;
            assert!(warm_up < 10, "windows not rebuilt in {warm_up} reads");
        }
        let first_read = t.elapsed().as_secs_f64() * 1e3;
        rt.block_on(async {
            for _ in 0..reads {
                let before = info(&mut c, "total_net_output_bytes", "stats");
                let t = Instant::now();
                let snap = module.read().await.unwrap();
                times.push(t.elapsed().as_secs_f64() * 1e3);
                bytes.push(info(&mut c, "total_net_output_bytes", "stats") - before);
                assert_eq!(snap.gauges.len(), gauges);
                assert_eq!(snap.latencies.len(), SIGNALS);
                if gauges > 0 {
                    assert_eq!(snap.gauge("gauge0").unwrap().publishers, p);
                }
            }
        });
        times.sort_by(f64::total_cmp);
        bytes.sort();
        println!(
            "{p:>6} {gauges:>10} {:>12} {:>10} {:>12.1} {:>12.2} {:>12.2} {:>14} {:>12.0}",
            used,
            keys.len(),
            first_read,
            pct(&times, 0.5),
            pct(&times, 0.99),
            bytes[bytes.len() / 2],
            pct(&flush_us, 0.5),
        );
    }
}
