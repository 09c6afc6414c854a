//! Publishing cost and throughput, and the percentile error end to end, against a real
//! `redis-server` on loopback.
//!
//! 1. Cost per sample on the request path: `Signals::observe` / `gauge` in a loop (memory only).
//! 2. Throughput on one core: publish and flush (one pipeline per 10,000 samples) on a
//!    current-thread runtime, so everything the publisher does runs on one thread.
//! 3. Percentile error: each reference set split over 4 publishers, flushed, aggregated from
//!    Redis, p50/p95/p99 against the exact nearest-rank values.
//!
//! `cargo bench -p vitals-module-signals --bench publish`; `SIGNALS_SAMPLES` (default
//! 1,000,000) and `SIGNALS_ROUNDS` (default 5) make it shorter.
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::signals::Signals;
use vitals::{Module, ModuleContext};
use vitals_judges::{Registrar, TempRedis};
use vitals_module_signals::{Publisher, SignalsConfig, SignalsModule, reference_sets};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start(url: &str, instance: &str) -> (SignalsModule, Signals, Publisher) {
    let mut config = SignalsConfig::new(url);
    config.instance = instance.into();
    config.tenant = "bench".into();
    config.max_age = Duration::from_secs(600);
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    let signals = (*ctx.service::<Signals>().unwrap()).clone();
    let publisher = module.publisher().unwrap();
    (module, signals, publisher)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let (samples, rounds) = (env("SIGNALS_SAMPLES", 1_000_000), env("SIGNALS_ROUNDS", 5));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let redis = TempRedis::start();
    let (_m, signals, publisher) = start(&redis.url(), "bench-0");

    println!("samples per round: {samples}, rounds: {rounds}");
    println!("{:<34} {:>12} {:>32}", "measure", "median", "per round");
    let report = |what: &str, unit: &str, per_round: Vec<f64>| {
        let shown: Vec<String> = per_round.iter().map(|v| format!("{v:.1}")).collect();
        println!(
            "{what:<34} {:>9.1} {unit:<3} {:>30}",
            median(per_round.clone()),
            shown.join(" ")
        );
    };

    let mut observe = Vec::new();
    let mut gauge = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        for i in 0..samples {
            signals.observe("request.latency", (i % 1000) as f64 * 1e-4 + 1e-4);
        }
        observe.push(t.elapsed().as_nanos() as f64 / samples as f64);
        let t = Instant::now();
        for i in 0..samples {
            signals.gauge("sse.connections", (i % 100) as f64);
        }
        gauge.push(t.elapsed().as_nanos() as f64 / samples as f64);
        rt.block_on(publisher.flush()).unwrap();
    }
    report("observe (request path)", "ns", observe);
    report("gauge (request path)", "ns", gauge);

    let mut throughput = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        rt.block_on(async {
            for i in 0..samples {
                signals.observe("task.latency", (i % 1000) as f64 * 1e-4 + 1e-4);
                if i % 10_000 == 9_999 {
                    publisher.flush().await.unwrap();
                }
            }
            publisher.flush().await.unwrap();
        });
        throughput.push(samples as f64 / t.elapsed().as_secs_f64() / 1e6);
    }
    report("publish + flush, one core", "M/s", throughput);

    println!("\npercentile error, 4 publishers merged through Redis (bound 1%):");
    println!("{:<12} {:>10} {:>10} {:>10}", "set", "p50", "p95", "p99");
    let publishers: Vec<_> = (1..=4)
        .map(|i| start(&redis.url(), &format!("bench-{i}")))
        .collect();
    for (name, mut data) in reference_sets() {
        let signal = format!("set.{}", name.replace('-', "_"));
        for (chunk, (_, s, p)) in data.chunks(data.len().div_ceil(4)).zip(&publishers) {
            chunk.iter().for_each(|v| s.observe(&signal, *v));
            rt.block_on(p.flush()).unwrap();
        }
        let snap = rt.block_on(publishers[0].0.read()).unwrap();
        let (count, qs) = snap.latency(&signal).unwrap().windows[0];
        assert_eq!(count, data.len() as u64, "every sample aggregated");
        data.sort_by(f64::total_cmp);
        let errors: Vec<String> = [0.5, 0.95, 0.99]
            .iter()
            .zip(qs.unwrap())
            .map(|(q, est)| {
                let exact = data[(q * (data.len() - 1) as f64).floor() as usize];
                format!("{:.3}%", 100.0 * (est - exact).abs() / exact)
            })
            .collect();
        println!(
            "{name:<12} {:>10} {:>10} {:>10}",
            errors[0], errors[1], errors[2]
        );
    }
}
