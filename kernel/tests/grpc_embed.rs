//! An app embedding the kernel serves the gRPC health service on its own tonic server with one
//! call (`Embedded::grpc`) and the kernel's graceful shutdown (`Embedded::grpc_shutdown`) beside
//! its actix server (`Embedded::serve`): an independent client (Python grpcio-health-checking)
//! sees readiness `NOT_SERVING` within 100 ms of SIGTERM, its stream end after the shutdown
//! delay, and both servers return. One test per binary: it sends SIGTERM to its own process.
#![cfg(feature = "grpc")]
#[path = "../../internal/grpc/tests/client/mod.rs"]
mod client;

use actix_web::{App, HttpServer};
use client::{Client, check};
use std::time::{Duration, Instant};
use tonic::transport::server::TcpIncoming;
use vitals_judges::{get, parsed_value, python_parse};
use vitals_kernel::Kernel;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedding_app_serves_grpc_health_and_shuts_it_down_with_the_kernel() {
    let delay = Duration::from_millis(600);
    let vitals = Kernel::builder()
        .shutdown_delay(delay)
        .build()
        .unwrap()
        .embed()
        .await
        .unwrap();
    let v = vitals.clone();
    let http = HttpServer::new(move || v.mount(App::new()))
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let base = format!("http://{}", http.addrs()[0]);
    let http = tokio::spawn(vitals.serve(http));
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap().to_string();
    let grpc = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(vitals.grpc_metrics().unwrap())
            .serve_with_incoming_shutdown(vitals.grpc(), incoming, vitals.grpc_shutdown()),
    );
    vitals_judges::wait_until_up(&format!("{base}/healthz"), Duration::from_secs(10)).await;
    let a = addr.clone();
    let got = tokio::task::spawn_blocking(move || check(&a, &["", "liveness", "nope"]))
        .await
        .unwrap();
    assert_eq!(
        got,
        ["'' SERVING", "'liveness' SERVING", "'nope' NOT_FOUND"]
    );
    // The app's gRPC calls are timed on the kernel's /metrics.
    let samples = python_parse(&get(&format!("{base}/metrics")).await.text());
    for (code, want) in [("OK", 2.0), ("NOT_FOUND", 1.0)] {
        let labels = [
            ("grpc_service", "grpc.health.v1.Health"),
            ("grpc_method", "Check"),
            ("grpc_code", code),
        ];
        assert_eq!(
            parsed_value(&samples, "grpc_server_handled_total", &labels),
            Some(want),
            "{code}"
        );
    }

    let watch = Client::spawn(&["watch", &addr, ""]);
    let wait = Duration::from_secs(10);
    assert_eq!(watch.line(wait), "SERVING");
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (seen, line) = watch.line_at(wait);
    assert_eq!(line, "NOT_SERVING");
    assert!(
        seen - signalled < Duration::from_millis(100),
        "{:?}",
        seen - signalled
    );
    let (ended, line) = watch.line_at(wait);
    assert_eq!(line, "END OK");
    assert!(
        ended - signalled >= delay,
        "stream ended before the delay: {:?}",
        ended - signalled
    );
    let grpc = tokio::time::timeout(wait, grpc)
        .await
        .expect("tonic returned once the kernel's shutdown ran")
        .unwrap();
    assert!(grpc.is_ok(), "{grpc:?}");
    let served = tokio::time::timeout(Duration::from_secs(10), http)
        .await
        .expect("serve returned after the shutdown delay")
        .unwrap();
    assert!(served.is_ok(), "{served:?}");
}
