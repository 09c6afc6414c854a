//! The TCP checker against loopback: a listener answers, a closed port is named with its error.
use vitals::{HealthChecker, HealthStatus};
use vitals_module_checks::tcp;

#[tokio::test]
async fn a_listening_port_is_healthy_and_a_closed_one_is_named() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let ok = tcp(addr.clone()).check().await;
    assert_eq!(ok.status(), HealthStatus::Healthy);
    assert!(ok.details()["connect_seconds"].as_f64().unwrap() < 1.0);
    drop(listener);
    let down = tcp(addr.clone()).named("smtp").check().await;
    assert_eq!(down.status(), HealthStatus::Unhealthy);
    let reason = down.error().unwrap();
    assert!(reason.starts_with(&format!("tcp {addr}: ")), "{reason}");
    assert!(reason.to_lowercase().contains("refused"), "{reason}");
}
