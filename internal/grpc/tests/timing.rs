//! `GrpcMetrics` on a real tonic server called by an independent client (Python grpcio): every
//! call counted once with its service, method and code, calls the server does not implement
//! under `unknown`, a stream the client abandons as `CANCELLED`.
mod client;

use client::{Client, check};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::server::TcpIncoming;
use vitals::{CheckerExt, Dependency, HealthGroup};
use vitals_grpc::{GrpcHealth, GrpcMetrics};
use vitals_health::HealthRegistry;
use vitals_judges::sleeping;
use vitals_testkit::TestRecorder;

const HEALTH: &str = "grpc.health.v1.Health";

fn handled(recorder: &TestRecorder, service: &str, method: &str, code: &str) -> Option<f64> {
    let labels = [service, method, code];
    let count = recorder.value("grpc_server_handled_total", &labels);
    let timed = recorder.observations("grpc_server_handling_seconds", &labels);
    assert_eq!(
        count.map(|c| c as u64),
        timed,
        "{labels:?}: counted as often as timed"
    );
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_counted_once_with_its_service_method_and_code() {
    let recorder = TestRecorder::new();
    let timing = GrpcMetrics::new(&recorder.metrics()).unwrap();
    let registry = HealthRegistry::default();
    registry
        .add(Arc::new(
            sleeping("ping", Duration::ZERO)
                .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
                .with_dependency(Dependency::Local),
        ))
        .unwrap();
    let health = GrpcHealth::new(registry);
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap().to_string();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(timing)
            .serve_with_incoming(health.server(), incoming),
    );
    let a = addr.clone();
    let calls = tokio::task::spawn_blocking(move || {
        let checks = check(&a, &["", "readiness", "nope"]);
        let wait = Duration::from_secs(20);
        let unknown_method = Client::spawn(&["call", &a, "/grpc.health.v1.Health/Nope"]).rest(wait);
        let unknown_service = Client::spawn(&["call", &a, "/made.up.Service/X"]).rest(wait);
        (checks, unknown_method, unknown_service)
    })
    .await
    .unwrap();
    assert_eq!(
        calls,
        (
            vec![
                "'' SERVING".to_owned(),
                "'readiness' SERVING".to_owned(),
                "'nope' NOT_FOUND".to_owned()
            ],
            vec!["UNIMPLEMENTED".to_owned()],
            vec!["UNIMPLEMENTED".to_owned()]
        )
    );
    // A stream closed by the server ends OK; one the client abandons is CANCELLED.
    let wait = Duration::from_secs(10);
    let closed = Client::spawn(&["watch", &addr, "readiness"]);
    assert_eq!(closed.line(wait), "SERVING");
    let abandoned = Client::spawn(&["watch", &addr, "liveness"]);
    assert_eq!(abandoned.line(wait), "SERVING");
    drop(abandoned);
    let deadline = Instant::now() + wait;
    while handled(&recorder, HEALTH, "Watch", "CANCELLED").is_none() {
        assert!(
            Instant::now() < deadline,
            "the abandoned stream was not counted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    health.close();
    assert_eq!(closed.rest(wait), ["END OK"]);

    assert_eq!(handled(&recorder, HEALTH, "Check", "OK"), Some(2.0));
    assert_eq!(handled(&recorder, HEALTH, "Check", "NOT_FOUND"), Some(1.0));
    assert_eq!(
        handled(&recorder, "unknown", "unknown", "UNIMPLEMENTED"),
        Some(2.0)
    );
    assert_eq!(handled(&recorder, HEALTH, "Watch", "OK"), Some(1.0));
    assert_eq!(handled(&recorder, HEALTH, "Watch", "CANCELLED"), Some(1.0));
    assert_eq!(handled(&recorder, HEALTH, "Nope", "UNIMPLEMENTED"), None);
    assert_eq!(
        handled(&recorder, "made.up.Service", "X", "UNIMPLEMENTED"),
        None
    );
}
