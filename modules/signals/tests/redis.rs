//! The signals module against a real Redis (`redis-server` on loopback, one per test): several
//! publishers with known samples, the aggregate read back, gauges that persist, publishers that
//! stop or die, tenants, corrupt buckets, and an outage.
use std::sync::Arc;
use std::time::Duration;
use vitals::signals::Signals;
use vitals::{CheckOutcome, HealthStatus, Module, ModuleContext};
use vitals_judges::{Registrar, TempRedis};
use vitals_module_signals::{Publisher, RELATIVE_ACCURACY, SignalsConfig, SignalsModule};
use vitals_testkit::TestRecorder;

struct Started {
    module: SignalsModule,
    publisher: Publisher,
    signals: Signals,
    metrics: TestRecorder,
    registrar: Arc<Registrar>,
}

/// A module registered as a kernel would (aggregating, publishing as `instance`); flushed by
/// hand unless `looping`, when its flush loop runs every 100 ms.
async fn start_with(
    url: &str,
    tenant: &str,
    instance: &str,
    max_age: Duration,
    looping: bool,
) -> Started {
    let mut config = SignalsConfig::new(url);
    config.tenant = tenant.into();
    config.instance = instance.into();
    config.max_age = max_age;
    config.exporter = true;
    config.flush_interval = Duration::from_millis(100);
    config.scrape_ttl = Duration::from_millis(1);
    config.timeout = Duration::from_secs(1);
    let module = SignalsModule::new(config).unwrap();
    let metrics = TestRecorder::new();
    let registrar = Arc::new(Registrar::default());
    let ctx = ModuleContext::new(registrar.clone(), metrics.metrics());
    module.register(&ctx).unwrap();
    if looping {
        module.start(&ctx).await.unwrap();
    }
    let publisher = module.publisher().unwrap();
    let signals = (*ctx.service::<Signals>().expect("provided")).clone();
    Started {
        module,
        publisher,
        signals,
        metrics,
        registrar,
    }
}

async fn start(url: &str, tenant: &str, instance: &str, max_age: Duration) -> Started {
    start_with(url, tenant, instance, max_age, false).await
}

fn exact(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(q * (v.len() - 1) as f64).floor() as usize]
}

async fn check(s: &Started) -> CheckOutcome {
    s.registrar
        .checker("signals")
        .expect("registered")
        .check()
        .await
}

#[tokio::test]
async fn three_publishers_sum_to_one_signal_with_percentiles_within_the_bound() {
    let redis = TempRedis::start();
    let url = redis.url();
    let p: Vec<Started> = futures_util::future::join_all(
        ["a", "b", "c"].map(|i| start(&url, "acme", i, Duration::from_secs(120))),
    )
    .await;
    // SSE connections 10 + 20 + 30; a queue 12 deep of 40 over two processes; latencies
    // 1..=3000 ms spread over the three processes.
    let mut all = Vec::new();
    for (i, s) in p.iter().enumerate() {
        s.signals.gauge("sse.connections", 10.0 * (i + 1) as f64);
        s.signals.queue("jobs", 6.0, 20.0);
        for ms in (i + 1..=3000).step_by(3) {
            s.signals.observe("request.latency", ms as f64 / 1000.0);
            all.push(ms as f64 / 1000.0);
        }
        assert_eq!(s.publisher.flush().await.unwrap(), 1 + 2 + 1000);
    }
    let snap = p[0].module.read().await.unwrap();
    let sse = snap.gauge("sse.connections").unwrap();
    assert_eq!((sse.sum, sse.publishers), (60.0, 3));
    assert_eq!(sse.max, [Some(60.0); 3]);
    assert_eq!(snap.ratio("jobs.depth", "jobs.capacity"), Some(18.0 / 60.0));
    let lat = snap.latency("request.latency").unwrap();
    for (count, qs) in lat.windows {
        assert_eq!(count, 3000);
        for (q, est) in [0.5, 0.95, 0.99].into_iter().zip(qs.unwrap()) {
            let truth = exact(all.clone(), q);
            let err = (est - truth).abs() / truth;
            assert!(err <= RELATIVE_ACCURACY, "p{q}: {est} vs {truth}");
        }
    }
    // A second aggregator (here: another process's module) reads the same figures.
    let again = p[2].module.read().await.unwrap();
    assert_eq!(again.gauge("sse.connections").unwrap().sum, 60.0);
    assert_eq!(again.latency("request.latency"), Some(lat));
    // The pull export: promtool-clean families with the expected samples.
    let families = p[1].metrics.collect("signals").await.unwrap();
    for f in &families {
        vitals::metrics::validate_family(f).unwrap();
    }
    let find = |name: &str, labels: &[&str]| {
        families.iter().find(|f| f.name == name).and_then(|f| {
            f.samples
                .iter()
                .find(|(l, _)| l.iter().map(String::as_str).eq(labels.iter().copied()))
                .map(|(_, v)| *v)
        })
    };
    assert_eq!(find("vitals_signals_up", &[]), Some(1.0));
    assert_eq!(
        find("vitals_signal_value", &["sse.connections"]),
        Some(60.0)
    );
    assert_eq!(
        find("vitals_signal_max", &["sse.connections", "15m"]),
        Some(60.0)
    );
    assert_eq!(
        find("vitals_signal_queue_pressure_ratio", &["jobs"]),
        Some(0.3)
    );
    assert_eq!(
        find(
            "vitals_signal_latency_observations",
            &["request.latency", "1h"]
        ),
        Some(3000.0)
    );
    assert!(
        find(
            "vitals_signal_latency_seconds",
            &["request.latency", "1m", "99"]
        )
        .is_some()
    );
    assert_eq!(check(&p[0]).await.status(), HealthStatus::Healthy);
}

#[tokio::test]
async fn a_publisher_that_dies_drops_out_after_the_max_age_and_the_window_keeps_its_peak() {
    let redis = TempRedis::start();
    let a = start(&redis.url(), "acme", "a", Duration::from_secs(1)).await;
    let b = start(&redis.url(), "acme", "b", Duration::from_secs(1)).await;
    a.signals.gauge("workers.busy", 5.0);
    b.signals.gauge("workers.busy", 7.0);
    a.publisher.flush().await.unwrap();
    b.publisher.flush().await.unwrap();
    let sum = |s: &vitals_module_signals::ClusterFigures| {
        s.gauge("workers.busy").map(|g| (g.sum, g.publishers))
    };
    assert_eq!(sum(&a.module.read().await.unwrap()), Some((12.0, 2)));
    // b stops flushing without leaving (a crash); a keeps flushing without setting anything.
    for _ in 0..13 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.publisher.flush().await.unwrap();
    }
    let g = a.module.read().await.unwrap();
    assert_eq!(sum(&g), Some((5.0, 1)), "a's gauge is kept, b's is gone");
    assert_eq!(
        g.gauge("workers.busy").unwrap().max,
        [Some(12.0); 3],
        "the peak stays in every window"
    );
    drop(b);
}

#[tokio::test]
async fn a_gauge_set_once_stays_in_the_sum_until_removed_or_stopped() {
    let redis = TempRedis::start();
    let max_age = Duration::from_millis(500);
    let a = start_with(&redis.url(), "acme", "a", max_age, true).await;
    let b = start_with(&redis.url(), "acme", "b", max_age, true).await;
    a.signals.pool("db", 3.0, 10.0);
    b.signals.gauge("sse.connections", 4.0);
    a.signals.gauge("sse.connections", 1.0);
    // Five max ages later, nothing set again: the values are still there.
    tokio::time::sleep(max_age * 5 + Duration::from_millis(300)).await;
    let snap = a.module.read().await.unwrap();
    assert_eq!(snap.gauge("db.in_use").map(|g| g.sum), Some(3.0));
    assert_eq!(
        snap.gauge("sse.connections").map(|g| (g.sum, g.publishers)),
        Some((5.0, 2))
    );
    assert_eq!(snap.ratio("db.in_use", "db.size"), Some(0.3));
    // Removed: gone at the next flush.
    a.signals.remove("db.in_use");
    a.signals.remove("db.size");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let snap = a.module.read().await.unwrap();
    assert!(snap.gauge("db.in_use").is_none() && snap.gauge("db.size").is_none());
    // A clean stop takes b out at once, well within one flush interval of the stop.
    b.module.stop().await;
    let snap = a.module.read().await.unwrap();
    assert_eq!(
        snap.gauge("sse.connections").map(|g| (g.sum, g.publishers)),
        Some((1.0, 1))
    );
    // When every publisher of a signal is gone, the signal is absent, not 0.
    a.module.stop().await;
    let snap = b.module.read().await.unwrap();
    assert!(snap.gauges.is_empty(), "{:?}", snap.gauges);
    let families = b.metrics.collect("signals").await.unwrap();
    for f in &families {
        assert!(
            f.name == "vitals_signals_up"
                || f.name == "vitals_signals_names_left_out"
                || f.samples.is_empty(),
            "{} has samples with no publisher left: {:?}",
            f.name,
            f.samples
        );
    }
}

#[tokio::test]
async fn names_past_the_limit_and_invalid_samples_are_dropped_and_counted_by_reason() {
    let redis = TempRedis::start();
    let mut config = SignalsConfig::new(&redis.url());
    config.max_names = 2;
    let module = SignalsModule::new(config).unwrap();
    let metrics = TestRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), metrics.metrics());
    module.register(&ctx).unwrap();
    let signals = (*ctx.service::<Signals>().unwrap()).clone();
    signals.gauge("a", 1.0);
    signals.observe("b", 0.1);
    signals.gauge("c", 1.0);
    signals.observe("d", 0.1);
    signals.gauge("a", 2.0);
    signals.gauge("Bad Name", 1.0);
    signals.gauge("e", f64::NAN);
    let dropped = |r: &str| metrics.value("vitals_signals_dropped_total", &[r]);
    assert_eq!(dropped("name_limit"), Some(2.0));
    assert_eq!(dropped("invalid_name"), Some(1.0));
    assert_eq!(dropped("invalid_value"), Some(1.0));
    assert_eq!(module.publisher().unwrap().flush().await.unwrap(), 3);
}

#[tokio::test]
async fn a_corrupt_bucket_leaves_its_signal_out_counts_it_and_keeps_the_rest() {
    let redis = TempRedis::start();
    let s = start(&redis.url(), "acme", "a", Duration::from_secs(120)).await;
    s.signals.observe("good", 0.25);
    s.signals.observe("bad", 0.25);
    s.publisher.flush().await.unwrap();
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("vitals:signals:{acme:default}:lat:bad:*")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let _: () = ::redis::cmd("HSET")
        .arg(&keys[0])
        .arg("not-a-bucket")
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    let snap = s.module.read().await.unwrap();
    assert!(snap.latency("bad").is_none());
    assert_eq!(snap.latency("good").unwrap().windows[0].0, 1);
    assert_eq!(
        s.metrics
            .value("vitals_signals_corrupt_sketches_total", &[]),
        Some(1.0)
    );
}

#[tokio::test]
async fn two_tenants_on_one_redis_do_not_see_each_other() {
    let redis = TempRedis::start();
    let acme = start(&redis.url(), "acme", "a", Duration::from_secs(120)).await;
    let globex = start(&redis.url(), "globex", "a", Duration::from_secs(120)).await;
    acme.signals.gauge("sse.connections", 3.0);
    globex.signals.gauge("sse.connections", 40.0);
    globex.signals.observe("request.latency", 0.2);
    acme.publisher.flush().await.unwrap();
    globex.publisher.flush().await.unwrap();
    let a = acme.module.read().await.unwrap();
    assert_eq!(a.gauge("sse.connections").unwrap().sum, 3.0);
    assert!(a.latency("request.latency").is_none());
    let g = globex.module.read().await.unwrap();
    assert_eq!(g.gauge("sse.connections").unwrap().sum, 40.0);
}

#[tokio::test]
async fn a_redis_outage_drops_and_counts_observations_fails_the_aggregation_check_and_recovers() {
    let redis = TempRedis::start();
    let s = start_with(&redis.url(), "acme", "a", Duration::from_secs(120), true).await;
    s.signals.gauge("sse.connections", 1.0);
    s.publisher.flush().await.unwrap();
    redis.stop();
    // Publishing goes on while Redis is down; the flush loop drops and counts.
    for i in 0..50 {
        s.signals.observe("request.latency", 0.01 * i as f64);
    }
    let started = std::time::Instant::now();
    let outcome = check(&s).await;
    assert_eq!(
        outcome.status(),
        HealthStatus::Unhealthy,
        "{:?}",
        outcome.error()
    );
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "check bounded by the deadline"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        s.metrics.value("vitals_signals_dropped_total", &["redis"]),
        Some(50.0)
    );
    let families = s.metrics.collect("signals").await.unwrap();
    let up = families
        .iter()
        .find(|f| f.name == "vitals_signals_up")
        .unwrap();
    assert_eq!(up.samples[0].1, 0.0);
    assert_eq!(
        families.len(),
        1,
        "nothing else is served while Redis is down"
    );
    redis.resume();
    let mut published = 1 + 50;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        // A live service publishes its gauge again and again; samples flushed while the
        // connection is being re-established are dropped and counted like the others.
        s.signals.gauge("sse.connections", 2.0);
        published += 1;
        if let Ok(snap) = s.module.read().await
            && snap.gauge("sse.connections").map(|g| g.sum) == Some(2.0)
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no recovery within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(check(&s).await.status(), HealthStatus::Healthy);
    // Nothing is lost uncounted: every sample was either written or dropped and counted.
    s.publisher.flush().await.unwrap();
    let flushed = s
        .metrics
        .value("vitals_signals_flushed_total", &[])
        .unwrap();
    let dropped = s
        .metrics
        .value("vitals_signals_dropped_total", &["redis"])
        .unwrap();
    assert_eq!(
        flushed + dropped,
        published as f64,
        "flushed {flushed} dropped {dropped}"
    );
}

/// A connection to `url` and Redis' current minute, with at least `secs` of it left (waiting
/// for the next one if need be), so that a test runs within one minute of Redis' clock.
async fn minute_ahead(url: &str, secs: u64) -> (::redis::aio::MultiplexedConnection, u64) {
    let client = ::redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let (mut now, _): (u64, u64) = ::redis::cmd("TIME").query_async(&mut c).await.unwrap();
    if now % 60 >= 60 - secs {
        tokio::time::sleep(Duration::from_secs(61 - now % 60)).await;
        now += 61 - now % 60;
    }
    (c, now / 60)
}

#[tokio::test]
async fn closed_minutes_fold_into_the_windows_once_and_only_within_them() {
    let redis = TempRedis::start();
    let s = start(&redis.url(), "acme", "a", Duration::from_secs(120)).await;
    let (mut c, minute) = minute_ahead(&redis.url(), 5).await;
    s.signals.observe("lat", 0.25);
    s.publisher.flush().await.unwrap();
    // Minutes as earlier flushes left them: 1 observation one minute ago, 2 at 15, 4 at 16,
    // 8 at 60 and 16 at 61 minutes ago (outside every window).
    for (back, n) in [(1, 1), (15, 2), (16, 4), (60, 8), (61, 16)] {
        let key = format!("vitals:signals:{{acme:default}}:lat:lat:{}", minute - back);
        let _: () = ::redis::cmd("HINCRBY")
            .arg(&key)
            .arg("0")
            .arg(n)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let snap = s.module.read().await.unwrap();
        let w = snap.latency("lat").unwrap().windows;
        assert_eq!(
            [w[0].0, w[1].0, w[2].0],
            [1 + 1, 1 + 1 + 2, 1 + 1 + 2 + 4 + 8],
            "1m, 15m, 1h"
        );
    }
}

/// Writes `n` observations in bucket 0 of latency `name`'s minute `minute`, as flushes would.
async fn minute_count(
    c: &mut ::redis::aio::MultiplexedConnection,
    name: &str,
    minute: u64,
    n: &str,
) {
    let key = format!("vitals:signals:{{acme:default}}:lat:{name}:{minute}");
    let _: () = ::redis::cmd("HSET")
        .arg(&key)
        .arg("0")
        .arg(n)
        .query_async(c)
        .await
        .unwrap();
}

async fn windows(s: &Started, name: &str) -> Option<[u64; 3]> {
    let snap = s.module.read().await.unwrap();
    snap.latency(name)
        .map(|l| [l.windows[0].0, l.windows[1].0, l.windows[2].0])
}

#[tokio::test]
async fn windows_stay_exact_one_minute_on_after_a_pause_and_with_hostile_counts() {
    let redis = TempRedis::start();
    let s = start(&redis.url(), "acme", "a", Duration::from_secs(120)).await;
    let (mut c, minute) = minute_ahead(&redis.url(), 10).await;
    for name in ["paused", "rolling", "hostile"] {
        s.signals.observe(name, 0.25);
        // 1 per minute for the 62 minutes before this one: the windows hold 1, 15 and 60.
        for back in 1..=62 {
            minute_count(&mut c, name, minute - back, "1").await;
        }
    }
    s.publisher.flush().await.unwrap();
    let key = |k: &str| format!("vitals:signals:{{acme:default}}:{k}");
    // "paused": the last read folded minute-6 (a five-minute pause since): rebuilt, exact.
    let _: () = ::redis::cmd("HSET")
        .arg(key("rolled"))
        .arg("paused")
        .arg(minute - 6)
        .query_async(&mut c)
        .await
        .unwrap();
    // "rolling": the last read was one minute ago; its windows as that read left them:
    // 15 and 60 closed minutes before minute-1, each 1. Minute -1 now holds 5 and minute -61
    // (leaving the hour) and -16 (leaving the quarter) hold 1.
    let _: () = ::redis::cmd("HSET")
        .arg(key("rolled"))
        .arg("rolling")
        .arg(minute - 2)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = ::redis::cmd("HSET")
        .arg(key("win15:rolling"))
        .arg("0")
        .arg(15)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = ::redis::cmd("HSET")
        .arg(key("win60:rolling"))
        .arg("0")
        .arg(60)
        .query_async(&mut c)
        .await
        .unwrap();
    minute_count(&mut c, "rolling", minute - 1, "5").await;
    // "hostile": one minute holds a count no flush writes.
    minute_count(&mut c, "hostile", minute - 30, "1e20").await;
    s.signals.gauge("still.there", 1.0);
    s.publisher.flush().await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            windows(&s, "paused").await,
            Some([1 + 1, 1 + 15, 1 + 60]),
            "rebuilt exactly, once"
        );
        assert_eq!(
            windows(&s, "rolling").await,
            Some([1 + 5, 1 + 14 + 5, 1 + 59 + 5]),
            "one minute on"
        );
        assert_eq!(
            windows(&s, "hostile").await,
            None,
            "absent while the bad minute is in its window"
        );
        let snap = s.module.read().await.unwrap();
        assert_eq!(
            snap.gauge("still.there").map(|g| g.sum),
            Some(1.0),
            "the rest is read"
        );
    }
}

#[tokio::test]
async fn aggregations_are_timed_failures_counted_and_names_past_the_limit_reported() {
    let redis = TempRedis::start();
    let url = redis.url();
    let p: Vec<Started> = futures_util::future::join_all(
        ["a", "b", "c"].map(|i| start(&url, "acme", i, Duration::from_secs(120))),
    )
    .await;
    // 257 gauge names over three publishers (100 each at most): one past the 256 of a kind.
    for n in 0..257 {
        p[n / 100].signals.gauge(&format!("g{n:03}"), 1.0);
    }
    for s in &p {
        s.publisher.flush().await.unwrap();
    }
    let snap = p[0].module.read().await.unwrap();
    assert_eq!((snap.gauges.len(), snap.cut), (256, 1));
    let families = p[0].metrics.collect("signals").await.unwrap();
    let left_out = families
        .iter()
        .find(|f| f.name == "vitals_signals_names_left_out")
        .unwrap();
    assert_eq!(left_out.samples[0].1, 1.0);
    let m = &p[0].metrics;
    let took = m
        .value("vitals_signals_aggregation_duration_seconds", &[])
        .unwrap();
    assert!(took > 0.0 && took < 1.0, "{took}");
    assert_eq!(
        m.value("vitals_signals_aggregation_failures_total", &[]),
        Some(0.0)
    );
    redis.stop();
    assert!(p[0].module.read().await.is_err());
    assert_eq!(
        m.value("vitals_signals_aggregation_failures_total", &[]),
        Some(1.0)
    );
}
