//! The TCP checker against loopback: a listener answers, a closed port is named with its error,
//! and a stopped server whose accept queue is full is unhealthy within the timeout.
use std::time::{Duration, Instant};
use vitals::{HealthChecker, HealthStatus};
use vitals_judges::{free_addr, redis_server};
use vitals_module_checks::tcp;

/// One test at a time: a process the other test forks (`redis-server`, `kill`) holds a copy of
/// every open socket until it execs, so a listener just dropped could still accept.
static PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_listening_port_is_healthy_and_a_closed_one_is_named() {
    let _one = PORTS.lock().await;
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

/// A hung server, honestly: a SIGSTOPped process's listening socket still completes handshakes
/// (the kernel does, not the process) until its accept queue is full; then new connections get
/// no answer. So the server here is a real `redis-server` with a backlog of 1, stopped, and its
/// queue filled by connections held open; the check's connection then hangs until its timeout.
#[tokio::test]
async fn a_stopped_server_with_a_full_backlog_is_unhealthy_within_the_timeout() {
    let _one = PORTS.lock().await;
    let port = free_addr().port();
    let server = redis_server(port, &["--tcp-backlog", "1"]);
    let addr = format!("127.0.0.1:{port}");
    let check = tcp(addr.clone()).timeout(Duration::from_millis(300));
    assert_eq!(check.check().await.status(), HealthStatus::Healthy);
    // Let the server accept (and drop) the check's connection before it stops: left in the
    // queue it would take one of the two places.
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("STOP");
    let mut held = Vec::new();
    for _ in 0..16 {
        // A handshake the kernel completes takes microseconds; a second leaves room for a
        // loaded machine, and only the connection past the full queue waits it out.
        let connect = tokio::net::TcpStream::connect(addr.as_str());
        match tokio::time::timeout(Duration::from_secs(1), connect).await {
            Ok(stream) => held.push(stream.unwrap()),
            Err(_) => break,
        }
    }
    // Linux queues backlog + 1 connections.
    assert_eq!(held.len(), 2, "the accept queue holds 2");
    let started = Instant::now();
    let hung = check.check().await;
    let took = started.elapsed();
    server.signal("CONT");
    assert_eq!(hung.status(), HealthStatus::Unhealthy);
    assert_eq!(
        hung.error().unwrap(),
        format!("tcp {addr}: no connection within 300ms")
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(800),
        "{took:?}"
    );
    drop(held);
}
