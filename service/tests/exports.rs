//! Exports at fleet scale, with real processes: three `vitals` aggregators on one Redis export to
//! a counting Pushgateway stand-in and to CloudWatch (moto) exactly once per interval, a `kill -9`
//! of the interval's holder leaves the next interval to another, and a signal whose publisher
//! has gone is absent from both; one value CloudWatch refuses among 1,504 leaves the rest sent.
mod common;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::Statistic;
use common::reader;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use vitals::signals::Signals;
use vitals::{Module, ModuleContext};
use vitals_judges::{ChildGuard, Registrar, TempMoto, TempRedis, sqlite_url, start_service};
use vitals_module_signals::{SignalsConfig, SignalsModule};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
const EXPORT: &str = env!("CARGO_BIN_EXE_vitals-signals-export");

type Pushes = Arc<Mutex<Vec<(Instant, String)>>>;

/// A Pushgateway stand-in that records each push (PUT): when it arrived and its body.
async fn counting_receiver() -> (String, Pushes) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let seen: Pushes = Arc::default();
    let record = seen.clone();
    let server = HttpServer::new(move || {
        let record = record.clone();
        App::new().default_service(web::to(move |req: actix_web::HttpRequest, body: String| {
            let record = record.clone();
            async move {
                if req.method() == actix_web::http::Method::PUT {
                    record.lock().unwrap().push((Instant::now(), body));
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

/// How many datapoints CloudWatch holds for `name` in `namespace`.
async fn samples(client: &aws_sdk_cloudwatch::Client, namespace: &str, name: &str) -> f64 {
    let now = SystemTime::now();
    let out = client
        .get_metric_statistics()
        .namespace(namespace)
        .metric_name(name)
        .start_time(DateTime::from(now - Duration::from_secs(600)))
        .end_time(DateTime::from(now + Duration::from_secs(600)))
        .period(60)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .unwrap();
    out.datapoints()
        .iter()
        .filter_map(|d| d.sample_count())
        .sum()
}

fn redis_cli(port: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", port])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A publisher of `tenant` in this process (flushed by hand), as another service would be.
fn publisher(url: &str, tenant: &str) -> (SignalsModule, Signals) {
    let mut config = SignalsConfig::new(url);
    config.tenant = tenant.into();
    config.max_names = 256;
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    let signals = (*ctx.service::<Signals>().unwrap()).clone();
    (module, signals)
}

#[tokio::test]
async fn three_aggregators_export_once_per_interval_a_killed_holder_is_replaced_and_gone_signals_are_absent()
 {
    let (redis, moto) = (TempRedis::start(), TempMoto::start());
    let url = redis.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let (push, seen) = counting_receiver().await;
    let (web, signals) = publisher(&url, "acme");
    signals.gauge("sse.connections", 7.0);
    web.publisher().unwrap().flush().await.unwrap();
    let aws = moto.aws_env();
    let mut services = Vec::new();
    for i in 0..3 {
        let (db, instance) = (sqlite_url(&format!("export-{i}")), format!("agg-{i}"));
        let mut env: Vec<(&str, &str)> = aws.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend([
            ("DATABASE_URL", db.as_str()),
            ("VITALS_SIGNALS_REDIS_URL", url.as_str()),
            ("VITALS_SIGNALS_AGGREGATE", "on"),
            ("VITALS_SIGNALS_INSTANCE", instance.as_str()),
            ("VITALS_SIGNALS_PUSHGATEWAY_URL", push.as_str()),
            ("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "Fleet"),
            ("VITALS_SIGNALS_EXPORT_INTERVAL", "1s"),
            ("VITALS_TENANT", "acme"),
        ]);
        services.push(start_service(BIN, &env).await.0);
    }
    // The publisher keeps flushing (its gauge stays) for a while, then leaves.
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        web.publisher().unwrap().flush().await.unwrap();
    }
    // The first export after the aggregators start may end late in its interval (the first
    // connections, the first aggregation), just before the next interval's: intervals are
    // counted from here, four seconds on.
    let steady = Instant::now();
    // kill -9 of the aggregator holding the interval under way, mid-interval.
    loop {
        let time = redis_cli(&port, &["TIME"]);
        let micros: u64 = time.lines().nth(1).unwrap().trim().parse().unwrap();
        if (500_000..700_000).contains(&micros) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let latest = redis_cli(
        &port,
        &[
            "--scan",
            "--pattern",
            "vitals:signals:{acme:default}:export:*",
        ],
    )
    .lines()
    .max_by_key(|k| k.rsplit(':').next().unwrap().parse::<u64>().unwrap())
    .unwrap()
    .to_owned();
    let holder = redis_cli(&port, &["GET", &latest]);
    let i: usize = holder.strip_prefix("agg-").unwrap().parse().unwrap();
    services[i].signal("KILL");
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    web.stop().await;
    let left = Instant::now();
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    drop(services);

    let pushes = seen.lock().unwrap().clone();
    let times: Vec<Instant> = pushes
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t >= steady)
        .collect();
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    let span = (times[times.len() - 1] - times[0]).as_secs_f64();
    eprintln!("{} pushes over {span:.2} s, gaps {gaps:.2?}", times.len());
    // One push per interval: as many pushes as intervals spanned, none doubled, none missed.
    assert_eq!(times.len(), span.round() as usize + 1, "gaps {gaps:?}");
    assert!(gaps.iter().all(|g| (0.5..1.5).contains(g)), "gaps {gaps:?}");
    assert!(times.len() >= 5, "{} pushes", times.len());
    // The same intervals went to CloudWatch, each once: one `up` datum per push.
    let client = reader(&moto);
    assert_eq!(
        samples(&client, "Fleet", "vitals_signals_up").await,
        0.0,
        "up is not a datapoint: a failed aggregation sends nothing"
    );
    let with = |p: &&(Instant, String)| p.1.contains("signal=\"sse.connections\"");
    let carrying = pushes.iter().filter(with).count();
    assert!(carrying >= 4, "{carrying}");
    assert_eq!(
        samples(&client, "Fleet", "sse.connections").await,
        carrying as f64,
        "one CloudWatch datum per push that carried the signal"
    );
    // After the publisher left (one interval to be seen), neither export has the signal.
    let after: Vec<_> = pushes
        .iter()
        .filter(|(t, _)| *t > left + Duration::from_millis(1_100))
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|p| !with(p)),
        "a gone signal is absent from the push"
    );
    assert!(after.iter().all(|p| p.1.contains("vitals_signals_up 1")));
}

#[tokio::test]
async fn a_value_cloudwatch_refuses_is_left_out_and_counted_and_the_rest_arrive() {
    let (redis, moto) = (TempRedis::start(), TempMoto::start());
    let url = redis.url();
    // Two services (each publishes at most 256 names): 256 gauges (value and three maxima
    // each) and 40 latencies (count and three percentiles per window), 1,024 + 480 = 1,504
    // datapoints; one gauge is 1e200, which CloudWatch refuses in its value and its maxima.
    let (web, signals) = publisher(&url, "bulk");
    let (worker, more) = publisher(&url, "bulk");
    for g in 0..256 {
        let v = if g == 7 { 1e200 } else { g as f64 };
        let to = if g < 216 { &signals } else { &more };
        to.gauge(&format!("g{g:03}"), v);
    }
    for l in 0..40 {
        signals.observe(&format!("l{l:02}"), 0.1);
    }
    web.publisher().unwrap().flush().await.unwrap();
    worker.publisher().unwrap().flush().await.unwrap();
    let aws = moto.aws_env();
    let mut env: Vec<(&str, &str)> = aws.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([
        ("VITALS_SIGNALS_REDIS_URL", url.as_str()),
        ("VITALS_TENANT", "bulk"),
        ("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "Bulk"),
        // moto takes seconds over a call of 1,000 datapoints on a busy machine.
        ("VITALS_SIGNALS_TIMEOUT", "10s"),
        ("RUST_LOG", "warn"),
    ]);
    let (code, stdout, stderr) =
        ChildGuard::spawn(EXPORT, &env).wait_output(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    let log = format!("{stdout}{stderr}");
    assert!(
        log.contains("values CloudWatch refuses left out")
            && log.contains(r#"["g007", "g007.max.1m", "g007.max.15m", "g007.max.1h"]"#),
        "exactly the refused keys are named: {log}"
    );
    let client = reader(&moto);
    let mut names = Vec::new();
    let mut pages = client
        .list_metrics()
        .namespace("Bulk")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        names.extend(
            page.unwrap()
                .metrics()
                .iter()
                .filter_map(|m| m.metric_name().map(str::to_owned)),
        );
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 1_500, "1,504 less the 4 refused");
    assert!(!names.iter().any(|n| n.starts_with("g007")), "{names:?}");
    assert!(names.contains(&"g008".to_owned()) && names.contains(&"l39.p99.1h".to_owned()));
}
