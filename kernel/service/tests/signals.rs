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
    config.aggregate = false;
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

/// A Pushgateway stand-in that records when each push (PUT) arrives.
async fn counting_receiver() -> (String, Arc<std::sync::Mutex<Vec<std::time::Instant>>>) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let server = HttpServer::new(move || {
        let record = record.clone();
        App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
            let record = record.clone();
            async move {
                if req.method() == actix_web::http::Method::PUT {
                    record.lock().unwrap().push(std::time::Instant::now());
                }
                HttpResponse::Ok().finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    (url, seen)
}

#[tokio::test]
async fn three_aggregators_export_once_per_interval_and_a_killed_holder_is_replaced() {
    let redis = TempRedis::start();
    let url = redis.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let (push, seen) = counting_receiver().await;
    let mut services = Vec::new();
    for i in 0..3 {
        let (db, instance) = (sqlite_url(&format!("export-{i}")), format!("agg-{i}"));
        services.push(
            start_service(
                BIN,
                &[
                    ("DATABASE_URL", &db),
                    ("VITALS_SIGNALS_REDIS_URL", &url),
                    ("VITALS_SIGNALS_AGGREGATE", "on"),
                    ("VITALS_SIGNALS_INSTANCE", &instance),
                    ("VITALS_SIGNALS_PUSHGATEWAY_URL", &push),
                    ("VITALS_SIGNALS_EXPORT_INTERVAL", "1s"),
                    ("VITALS_TENANT", "acme"),
                ],
            )
            .await
            .0,
        );
    }
    tokio::time::sleep(Duration::from_millis(4_300)).await;
    // kill -9 of the aggregator that holds the latest interval.
    let claims = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &port,
            "--scan",
            "--pattern",
            "vitals:signals:{acme:default}:export:*",
        ])
        .output()
        .unwrap();
    let latest = String::from_utf8_lossy(&claims.stdout)
        .lines()
        .max_by_key(|k| k.rsplit(':').next().unwrap().parse::<u64>().unwrap())
        .unwrap()
        .to_owned();
    let holder = std::process::Command::new("redis-cli")
        .args(["-p", &port, "GET", &latest])
        .output()
        .unwrap();
    let holder = String::from_utf8_lossy(&holder.stdout).trim().to_owned();
    let i: usize = holder.strip_prefix("agg-").unwrap().parse().unwrap();
    services[i].signal("KILL");
    tokio::time::sleep(Duration::from_millis(4_300)).await;
    drop(services);
    let times = seen.lock().unwrap().clone();
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    let span = (times[times.len() - 1] - times[0]).as_secs_f64();
    eprintln!("{} pushes over {span:.2} s, gaps {gaps:.2?}", times.len());
    // One push per interval: as many pushes as intervals spanned, none doubled, none missed.
    assert_eq!(times.len(), span.round() as usize + 1, "gaps {gaps:?}");
    assert!(gaps.iter().all(|g| (0.5..1.5).contains(g)), "gaps {gaps:?}");
    assert!(times.len() >= 7, "{} pushes", times.len());
}
