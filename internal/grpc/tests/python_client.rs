//! `Check` and `Watch` answered to an independent client (Python grpcio-health-checking), from
//! a registry with checks in every group, over a real listener on 127.0.0.1.
mod client;

use client::{Client, check};
use std::sync::Arc;
use std::time::Duration;
use vitals::{CheckOutcome, CheckerExt, Dependency, HealthGroup};
use vitals_grpc::{GrpcHealth, GrpcListener};
use vitals_health::{BackgroundConfig, HealthRegistry, RegistryConfig};
use vitals_judges::{Counting, failing, sleeping};

/// Serves `registry` on a free port; returns the address and the service (to close it).
fn serve(registry: &HealthRegistry) -> (String, GrpcHealth) {
    let listener = GrpcListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().to_string();
    let health = GrpcHealth::new(registry.clone());
    tokio::spawn(listener.serve(health.clone(), std::future::pending()));
    (addr, health)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_answers_for_the_server_each_group_and_not_found_for_an_unknown_name() {
    let reg = HealthRegistry::default();
    let live_and_ready = [HealthGroup::Liveness, HealthGroup::Readiness];
    reg.add(Arc::new(
        sleeping("ping", Duration::ZERO)
            .with_groups(live_and_ready)
            .with_dependency(Dependency::Local),
    ))
    .unwrap();
    // A non-critical failure degrades readiness, which still serves.
    reg.add(Arc::new(failing("cache", "evicted").non_critical()))
        .unwrap();
    reg.add(Arc::new(
        failing("migrations", "pending").with_groups([HealthGroup::Startup]),
    ))
    .unwrap();
    reg.add(Arc::new(
        sleeping("ledger", Duration::ZERO).with_groups([HealthGroup::custom("billing")]),
    ))
    .unwrap();
    reg.add(Arc::new(
        failing("export", "bucket gone").with_groups([HealthGroup::custom("reports")]),
    ))
    .unwrap();
    let (addr, _health) = serve(&reg);
    let names = [
        "",
        "readiness",
        "ready",
        "liveness",
        "startup",
        "billing",
        "reports",
        "nope",
        "health",
    ];
    let got = tokio::task::spawn_blocking(move || check(&addr, &names))
        .await
        .unwrap();
    assert_eq!(
        got,
        [
            "'' SERVING",
            "'readiness' SERVING",
            "'ready' SERVING",
            "'liveness' SERVING",
            "'startup' NOT_SERVING",
            "'billing' SERVING",
            "'reports' NOT_SERVING",
            "'nope' NOT_FOUND",
            "'health' NOT_FOUND",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_makes_readiness_not_serving_and_leaves_liveness_serving() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(
        sleeping("ping", Duration::ZERO)
            .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
            .with_dependency(Dependency::Local),
    ))
    .unwrap();
    let (addr, _health) = serve(&reg);
    reg.begin_shutdown();
    let got = tokio::task::spawn_blocking(move || check(&addr, &["", "readiness", "liveness"]))
        .await
        .unwrap();
    assert_eq!(
        got,
        [
            "'' NOT_SERVING",
            "'readiness' NOT_SERVING",
            "'liveness' SERVING"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_on_readiness_sees_serving_then_not_serving_then_serving_and_ends_on_close() {
    let interval = Duration::from_millis(100);
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval,
            max_staleness: Duration::from_secs(5),
        }),
        ..RegistryConfig::default()
    });
    let dep = Counting::new("dep", Duration::ZERO);
    reg.add(Arc::new(dep.clone())).unwrap();
    reg.start_background();
    let (addr, health) = serve(&reg);
    let watch = Client::spawn(&["watch", &addr, "readiness"]);
    let wait = Duration::from_secs(10);
    assert_eq!(watch.line(wait), "SERVING");
    // Each change is pushed with the reading that makes it: within one interval and a margin.
    let push = interval + Duration::from_millis(200);
    for (outcome, want) in [
        (CheckOutcome::unhealthy("down"), "NOT_SERVING"),
        (CheckOutcome::healthy(), "SERVING"),
    ] {
        let at = std::time::Instant::now();
        dep.set(outcome);
        let (seen, line) = watch.line_at(wait);
        assert_eq!(line, want);
        assert!(seen - at < push, "{want} after {:?}", seen - at);
    }
    health.close();
    assert_eq!(watch.rest(wait), ["END OK"]);
    reg.stop_background();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_on_an_unknown_name_says_service_unknown_until_a_check_joins_the_group() {
    let reg = HealthRegistry::default();
    let (addr, health) = serve(&reg);
    let watch = Client::spawn(&["watch", &addr, "billing"]);
    let wait = Duration::from_secs(10);
    assert_eq!(watch.line(wait), "SERVICE_UNKNOWN");
    reg.add(Arc::new(
        sleeping("ledger", Duration::ZERO).with_groups([HealthGroup::custom("billing")]),
    ))
    .unwrap();
    assert_eq!(watch.line(wait), "SERVING");
    health.close();
    assert_eq!(watch.rest(wait), ["END OK"]);
}

/// Server-side connections to `port` (on 127.0.0.1) in state ESTABLISHED, from `/proc/net/tcp`.
fn established_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.get(1) == Some(&local.as_str()) && cols.get(3) == Some(&"01")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_of_a_client_that_stops_answering_ends_with_its_connection() {
    let reg = HealthRegistry::default();
    let listener = GrpcListener::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .keepalive(Duration::from_millis(200), Duration::from_millis(200));
    let port = listener.local_addr().port();
    let addr = listener.local_addr().to_string();
    let health = GrpcHealth::new(reg.clone());
    tokio::spawn(listener.serve(health.clone(), std::future::pending()));
    let watch = Client::spawn(&["watch", &addr, "liveness"]);
    assert_eq!(watch.line(Duration::from_secs(10)), "SERVING");
    assert_eq!(established_to(port), 1, "the client's connection");
    // A client gone without closing its connection (here: stopped, so it answers no ping).
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &watch.pid().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while established_to(port) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stream of a client that answers no ping is still open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(watch);
    health.close();
}
