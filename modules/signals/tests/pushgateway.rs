//! Pushgateway export against a real Pushgateway and a real Redis: the group carries the
//! tenant and project, a second push replaces it, and a clean stop deletes it.
use std::sync::Arc;
use std::time::Duration;
use vitals::{Module, ModuleContext};
use vitals_judges::{Registrar, TempPushgateway, TempRedis, get, parsed_value, python_parse};
use vitals_module_signals::{SignalsConfig, SignalsModule};
use vitals_prometheus::PrometheusRecorder;

fn group(samples: &[vitals_judges::ParsedSample], signal: &str) -> Option<f64> {
    in_group(samples, "vitals_signal_value", signal)
}

fn in_group(samples: &[vitals_judges::ParsedSample], family: &str, signal: &str) -> Option<f64> {
    parsed_value(
        samples,
        family,
        &[
            ("job", "vitals_signals"),
            ("tenant", "acme"),
            ("project", "shop"),
            ("signal", signal),
        ],
    )
}

#[tokio::test]
async fn pushes_replace_the_group_and_a_clean_stop_deletes_it() {
    let (redis, gateway) = (TempRedis::start(), TempPushgateway::start());
    let mut config = SignalsConfig::new(&redis.url());
    config.tenant = "acme".into();
    config.project = "shop".into();
    config.max_age = Duration::from_secs(1);
    config.pushgateway_url = Some(gateway.url());
    config.exporter = true;
    let module = SignalsModule::new(config.clone()).unwrap();
    // The kernel's recorder: what is pushed is written by its `/metrics` encoder.
    let recorder = PrometheusRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), recorder.metrics());
    module.register(&ctx).unwrap();
    module.start(&ctx).await.unwrap();
    let publisher = module.publisher().unwrap();
    let signals = (*ctx.service::<vitals::signals::Signals>().expect("provided")).clone();

    signals.gauge("sse.connections", 17.0);
    signals.pool("db", 3.0, 4.0);
    publisher.flush().await.unwrap();
    module.export_once().await.unwrap();
    let first = python_parse(&get(&format!("{}/metrics", gateway.url())).await.text());
    assert_eq!(group(&first, "sse.connections"), Some(17.0));
    let ratio = "vitals_signal_pool_utilisation_ratio";
    assert_eq!(in_group(&first, ratio, "db"), Some(0.75));

    // Later the pool is removed: its ratio family is not in the second push, and the group no
    // longer has it (replaced).
    signals.remove("db.in_use");
    signals.remove("db.size");
    signals.gauge("sse.connections", 5.0);
    publisher.flush().await.unwrap();
    module.export_once().await.unwrap();
    let second = python_parse(&get(&format!("{}/metrics", gateway.url())).await.text());
    assert_eq!(group(&second, "sse.connections"), Some(5.0));
    assert_eq!(
        group(&second, "ws.connections"),
        None,
        "replaced, not merged"
    );

    module.stop().await;
    let after = python_parse(&get(&format!("{}/metrics", gateway.url())).await.text());
    assert_eq!(group(&after, "sse.connections"), None, "deleted on stop");

    // Nothing is pushed after the delete: the group stays gone.
    assert!(
        module
            .export_once()
            .await
            .unwrap_err()
            .contains("the group was deleted at stop")
    );

    // A Pushgateway that is gone is an error, never a hang.
    drop(gateway);
    let other = SignalsModule::new(config).unwrap();
    other
        .register(&ModuleContext::new(
            Arc::new(Registrar::default()),
            PrometheusRecorder::new().metrics(),
        ))
        .unwrap();
    let started = std::time::Instant::now();
    let e = other.export_once().await.unwrap_err();
    assert!(e.contains("pushgateway: PUT"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(6));
}
