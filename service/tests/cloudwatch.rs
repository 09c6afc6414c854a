//! CloudWatch export through the run-once binary against a local emulator (moto's server mode):
//! a service publishes to a real Redis, `vitals-signals-export` puts the mapped datapoints, and
//! the test reads them back with `ListMetrics` and `GetMetricStatistics`, dimensions and units.
mod common;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, StandardUnit, Statistic};
use common::reader;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use vitals::signals::Signals;
use vitals::{Module, ModuleContext};
use vitals_judges::{ChildGuard, Registrar, TempMoto, TempRedis};
use vitals_module_signals::{RELATIVE_ACCURACY, SignalsConfig, SignalsModule};

const EXPORT: &str = env!("CARGO_BIN_EXE_vitals-signals-export");
const NAMESPACE: &str = "Shop/Signals";

/// The largest value put under `name` with the test's dimensions, and its unit.
async fn read_back(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Option<(f64, Option<StandardUnit>)> {
    let now = SystemTime::now();
    let out = client
        .get_metric_statistics()
        .namespace(NAMESPACE)
        .metric_name(name)
        .dimensions(dim("Service", "api"))
        .dimensions(dim("Tenant", "acme"))
        .start_time(DateTime::from(now - Duration::from_secs(600)))
        .end_time(DateTime::from(now + Duration::from_secs(600)))
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .unwrap();
    let points = out.datapoints();
    let max = points.iter().filter_map(|d| d.maximum()).reduce(f64::max)?;
    Some((max, points[0].unit().cloned()))
}

fn dim(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

#[tokio::test]
async fn run_once_puts_mapped_datapoints_that_read_back_with_their_dimensions_and_units() {
    let (redis, moto) = (TempRedis::start(), TempMoto::start());
    let url = redis.url();
    let mut config = SignalsConfig::new(&url);
    config.tenant = "acme".into();
    config.exporter = false;
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    let signals = (*ctx.service::<Signals>().expect("provided")).clone();
    signals.gauge("sse.connections", 17.0);
    signals.queue("jobs", 30.0, 120.0);
    let waits: Vec<f64> = (1..=100).map(|ms| f64::from(ms) / 1000.0).collect();
    for w in &waits {
        signals.observe("proc.queue.wait", *w);
    }
    module.publisher().unwrap().flush().await.unwrap();

    let dir = std::env::temp_dir().join(format!("vitals-cw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = dir.join("mapping.toml");
    std::fs::write(
        &mapping,
        r#"
[[signal]]
key = "proc.queue.wait.p95"
name = "Processor/QueueWaitP95"
unit = "Milliseconds"

[[signal]]
key = "jobs.pressure"
name = "Jobs/Pressure"
unit = "Percent"

[[signal]]
key = "sse.connections"
name = "SSE/Connections"
"#,
    )
    .unwrap();
    let mapping = mapping.to_string_lossy().into_owned();
    let aws = moto.aws_env();
    let mut env: Vec<(&str, &str)> = aws.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([
        ("VITALS_SIGNALS_REDIS_URL", url.as_str()),
        ("VITALS_TENANT", "acme"),
        ("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", NAMESPACE),
        (
            "VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS",
            r#"{"Service":"api","Tenant":"acme"}"#,
        ),
        ("VITALS_SIGNALS_MAPPING_FILE", mapping.as_str()),
    ]);
    let (code, stderr) = ChildGuard::spawn(EXPORT, &env).wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");

    let client = reader(&moto);
    let listed = client
        .list_metrics()
        .namespace(NAMESPACE)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Jobs/Pressure", "Processor/QueueWaitP95", "SSE/Connections"],
        "only the mapped keys are exported"
    );
    for m in listed.metrics() {
        let dims: Vec<(&str, &str)> = m
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap(), d.value().unwrap()))
            .collect();
        assert_eq!(dims, [("Service", "api"), ("Tenant", "acme")]);
    }
    assert_eq!(
        read_back(&client, "SSE/Connections").await,
        Some((17.0, Some(StandardUnit::Count)))
    );
    assert_eq!(
        read_back(&client, "Jobs/Pressure").await,
        Some((25.0, Some(StandardUnit::Percent)))
    );
    let (p95, unit) = read_back(&client, "Processor/QueueWaitP95").await.unwrap();
    assert_eq!(unit, Some(StandardUnit::Milliseconds));
    let exact_ms = 95.0;
    assert!(
        (p95 - exact_ms).abs() <= exact_ms * RELATIVE_ACCURACY,
        "p95 {p95} ms vs exact {exact_ms} ms"
    );

    // The emulator gone: the run fails, naming the exporter, within the deadlines.
    drop(moto);
    let started = std::time::Instant::now();
    let (code, stderr) = ChildGuard::spawn(EXPORT, &env).wait_exit(Duration::from_secs(60));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cloudwatch: PutMetricData"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(dir);
}
