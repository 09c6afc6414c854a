//! The signals module in the `vitals` binary: another process publishes to a real Redis, the
//! binary aggregates and exports; promtool and Python's prometheus_client judge the scrape;
//! Redis down never takes the replica out of readiness, and the aggregation's own group says so.
use std::sync::Arc;
use std::time::Duration;
use vitals::{Module, ModuleContext};
use vitals_judges::{ChildGuard, sqlite_url, start_service};
use vitals_judges::{Registrar, TempRedis, assert_promtool_clean, get, parsed_value, python_parse};
use vitals_module_signals::{SignalsConfig, SignalsModule};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

#[tokio::test]
async fn the_binary_exports_signals_published_elsewhere_and_redis_down_leaves_readiness_alone() {
    let redis = TempRedis::start();
    let url = redis.url();
    let db = sqlite_url("signals");
    let (_service, base) = start_service(
        BIN,
        &[
            ("DATABASE_URL", &db),
            ("VITALS_SIGNALS_REDIS_URL", &url),
            ("VITALS_SIGNALS_AGGREGATE", "on"),
            ("VITALS_TENANT", "acme"),
            ("VITALS_SIGNALS_SCRAPE_TTL", "100ms"),
            ("VITALS_CHECK_TIMEOUT", "1s"),
        ],
    )
    .await;
    // A publishing service of the same tenant, in this process.
    let mut config = SignalsConfig::new(&url);
    config.tenant = "acme".into();
    config.instance = "web-1".into();
    config.exporter = false;
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    let publisher = module.publisher().unwrap();
    let signals = (*ctx.service::<vitals::signals::Signals>().expect("provided")).clone();
    signals.gauge("sse.connections", 17.0);
    signals.pool("db", 3.0, 4.0);
    for ms in 1..=100 {
        signals.observe("request.latency", f64::from(ms) / 1000.0);
    }
    assert_eq!(publisher.flush().await.unwrap(), 103);

    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = get(&format!("{base}/metrics")).await.text();
    assert_promtool_clean(&text);
    let samples = python_parse(&text);
    let v = |name: &str, labels: &[(&str, &str)]| parsed_value(&samples, name, labels);
    assert_eq!(v("vitals_signals_up", &[]), Some(1.0));
    assert_eq!(
        v("vitals_signal_value", &[("signal", "sse.connections")]),
        Some(17.0)
    );
    assert_eq!(
        v("vitals_signal_pool_utilisation_ratio", &[("signal", "db")]),
        Some(0.75)
    );
    let p99 = v(
        "vitals_signal_latency_seconds",
        &[
            ("signal", "request.latency"),
            ("window", "1h"),
            ("percentile", "99"),
        ],
    )
    .expect("p99 exported");
    assert!((p99 - 0.099).abs() <= 0.099 * 0.01, "p99 {p99}");
    assert_eq!(get(&format!("{base}/ready")).await.status, 200);
    assert_eq!(get(&format!("{base}/health/signals")).await.status, 200);

    redis.stop();
    // The aggregation is shared for the scrape TTL (100 ms here).
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = std::time::Instant::now();
    let group = get(&format!("{base}/health/signals?verbose")).await;
    assert_eq!(group.status, 503, "{}", group.text());
    assert!(
        group.text().contains("[-]signals failed"),
        "{}",
        group.text()
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    let ready = get(&format!("{base}/ready?verbose")).await;
    assert_eq!(
        ready.status,
        200,
        "Redis down never fails readiness: {}",
        ready.text()
    );
    assert!(!ready.text().contains("signals"), "{}", ready.text());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let down = python_parse(&get(&format!("{base}/metrics")).await.text());
    assert_eq!(parsed_value(&down, "vitals_signals_up", &[]), Some(0.0));
    assert_eq!(
        parsed_value(
            &down,
            "vitals_signal_value",
            &[("signal", "sse.connections")]
        ),
        None
    );

    redis.resume();
    vitals_judges::wait_until_ok(&format!("{base}/health/signals"), Duration::from_secs(10)).await;
}

const EXPORT: &str = env!("CARGO_BIN_EXE_vitals-signals-export");

#[tokio::test]
async fn run_once_export_exits_zero_after_a_push_and_non_zero_when_it_cannot() {
    let (redis, gateway) = (TempRedis::start(), vitals_judges::TempPushgateway::start());
    let (url, push) = (redis.url(), gateway.url());
    let mut config = SignalsConfig::new(&url);
    config.tenant = "acme".into();
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    let publisher = module.publisher().unwrap();
    let signals = (*ctx.service::<vitals::signals::Signals>().expect("provided")).clone();
    signals.gauge("queue.depth", 9.0);
    publisher.flush().await.unwrap();

    let env = [
        ("VITALS_SIGNALS_REDIS_URL", url.as_str()),
        ("VITALS_SIGNALS_PUSHGATEWAY_URL", push.as_str()),
        ("VITALS_TENANT", "acme"),
    ];
    let (code, stderr) = ChildGuard::spawn(EXPORT, &env).wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "{stderr}");
    let pushed = python_parse(&get(&format!("{push}/metrics")).await.text());
    let labels = [
        ("job", "vitals_signals"),
        ("tenant", "acme"),
        ("project", "default"),
    ];
    let mut with_signal = labels.to_vec();
    with_signal.push(("signal", "queue.depth"));
    assert_eq!(
        parsed_value(&pushed, "vitals_signal_value", &with_signal),
        Some(9.0)
    );

    drop(gateway);
    let (code, stderr) = ChildGuard::spawn(EXPORT, &env).wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("signals export failed"), "{stderr}");
    let (code, stderr) = ChildGuard::spawn(EXPORT, &env[..1]).wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(64), "{stderr}");
    assert!(
        stderr.contains("VITALS_SIGNALS_PUSHGATEWAY_URL"),
        "{stderr}"
    );
}
