//! The DNS checker against a real `dnsmasq` of the test's own: healthy with the answer in
//! details (bounded to 10), unhealthy and named when the answer misses the expected address, the
//! name has no record, the server stops answering (SIGSTOP: within the timeout) or is killed;
//! the system's resolver by default; inputs that are not names or addresses refused.
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, HealthChecker, HealthStatus};
use vitals_judges::TempDnsmasq;
use vitals_module_checks::{DnsCheck, dns};

const TIMEOUT: Duration = Duration::from_millis(300);

/// `orders` (one address), `dual` (IPv4 and IPv6) and `many`: 100 addresses, an answer too long
/// for UDP (truncated, so asked again over TCP).
fn records() -> TempDnsmasq {
    let many: Vec<String> = (1..=100).map(|i| format!("10.0.1.{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    TempDnsmasq::start(&[
        ("orders.vitals.test", &["10.1.2.3"]),
        ("dual.vitals.test", &["10.1.2.4", "fd00::4"]),
        ("many.vitals.test", &many),
    ])
}

fn at(server: &TempDnsmasq, name: &str) -> DnsCheck {
    dns(name).unwrap().server(&server.server()).unwrap()
}

fn addresses(outcome: &CheckOutcome) -> Vec<String> {
    outcome.details()["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn assert_healthy(outcome: &CheckOutcome) -> f64 {
    assert_eq!(
        outcome.status(),
        HealthStatus::Healthy,
        "{:?}",
        outcome.error()
    );
    let seconds = outcome.details()["seconds"].as_f64().unwrap();
    assert!(seconds > 0.0 && seconds < 1.0, "{seconds}");
    seconds
}

/// Runs the check, asserts it is unhealthy, and returns its reason and how long it took.
async fn unhealthy(check: &DnsCheck) -> (String, Duration) {
    let started = Instant::now();
    let outcome = check.check().await;
    let took = started.elapsed();
    assert_eq!(outcome.status(), HealthStatus::Unhealthy);
    (outcome.error().unwrap().to_owned(), took)
}

#[tokio::test]
async fn a_recorded_name_is_healthy_with_its_addresses_in_details() {
    let server = records();
    let check = at(&server, "orders.vitals.test");
    assert_eq!(check.name(), "dns");
    let outcome = check.check().await;
    let seconds = assert_healthy(&outcome);
    assert_eq!(addresses(&outcome), ["10.1.2.3"]);
    assert_eq!(outcome.details()["address_count"], 1);
    let dual = at(&server, "dual.vitals.test").check().await;
    assert_healthy(&dual);
    assert_eq!(addresses(&dual), ["10.1.2.4", "fd00::4"]);
    let expected = at(&server, "dual.vitals.test")
        .expect("fd00::4")
        .unwrap()
        .check()
        .await;
    assert_healthy(&expected);
    // Answered over TCP (too long for UDP), bounded to the first 10 of the 100.
    let many = at(&server, "many.vitals.test").check().await;
    assert_healthy(&many);
    let listed = addresses(&many);
    assert_eq!(listed.len(), 10, "{listed:?}");
    // All of them: a UDP answer holds 74 at most here.
    assert_eq!(many.details()["address_count"], 100);
    assert!(
        listed.iter().all(|a| a.starts_with("10.0.1.")),
        "{listed:?}"
    );
    eprintln!("dns: answered in {seconds:.4} s");
}

#[tokio::test]
async fn an_unexpected_answer_is_unhealthy_naming_both_addresses() {
    let server = records();
    let check = at(&server, "orders.vitals.test")
        .expect("10.9.9.9")
        .unwrap()
        .named("orders-dns");
    assert_eq!(check.name(), "orders-dns");
    let outcome = check.check().await;
    assert_eq!(outcome.status(), HealthStatus::Unhealthy);
    assert_eq!(
        outcome.error().unwrap(),
        format!(
            "dns orders.vitals.test @{}: answered 10.1.2.3, expected 10.9.9.9",
            server.server()
        )
    );
    assert_eq!(addresses(&outcome), ["10.1.2.3"]);
    // A long answer: its first 10 named, the rest counted.
    let many = at(&server, "many.vitals.test")
        .expect("10.9.9.9")
        .unwrap()
        .check()
        .await;
    // The 10 of details, in the order of the answer.
    let first = addresses(&many);
    assert_eq!(first.len(), 10);
    assert_eq!(
        many.error().unwrap(),
        format!(
            "dns many.vitals.test @{}: answered {} and 90 more, expected 10.9.9.9",
            server.server(),
            first.join(", ")
        )
    );
}

#[tokio::test]
async fn a_name_without_a_record_is_unhealthy() {
    let server = records();
    let (reason, _) = unhealthy(&at(&server, "missing.vitals.test")).await;
    assert_eq!(
        reason,
        format!("dns missing.vitals.test @{}: no record", server.server())
    );
}

#[tokio::test]
async fn a_stopped_server_is_unhealthy_within_the_timeout_then_healthy_again() {
    let server = records();
    let check = at(&server, "orders.vitals.test").timeout(TIMEOUT);
    assert_healthy(&check.check().await);
    server.stop();
    let (reason, took) = unhealthy(&check).await;
    server.resume();
    assert_eq!(
        reason,
        format!(
            "dns orders.vitals.test @{}: timed out after 300ms",
            server.server()
        )
    );
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_millis(500),
        "bounded by the timeout: {took:?}"
    );
    assert_healthy(&check.check().await);
}

#[tokio::test]
async fn a_killed_server_is_unhealthy_within_the_timeout() {
    let server = records();
    let check = at(&server, "orders.vitals.test").timeout(TIMEOUT);
    assert_healthy(&check.check().await);
    server.kill();
    // Nothing listens: a UDP query is lost (no socket to report the ICMP error to), so this
    // too is the timeout.
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(
        reason,
        format!(
            "dns orders.vitals.test @{}: timed out after 300ms",
            server.server()
        )
    );
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_millis(500),
        "bounded by the timeout: {took:?}"
    );
}

#[tokio::test]
async fn the_system_resolver_is_asked_by_default() {
    // /etc/hosts comes first, as the system's resolver reads it.
    let outcome = dns("localhost").unwrap().check().await;
    assert_healthy(&outcome);
    assert!(
        addresses(&outcome).contains(&"127.0.0.1".to_owned()),
        "{:?}",
        addresses(&outcome)
    );
    let (reason, _) = unhealthy(
        &dns("localhost")
            .unwrap()
            .expect("10.9.9.9")
            .unwrap()
            .timeout(Duration::from_secs(2)),
    )
    .await;
    assert!(
        reason.starts_with("dns localhost @system: answered 127.0.0.1"),
        "{reason}"
    );
}

#[test]
fn names_servers_and_addresses_that_cannot_be_read_are_refused() {
    let e = dns("bad name").unwrap_err().to_string();
    assert!(
        e.starts_with("health check \"dns\" refused: \"bad name\" is not a DNS name: "),
        "{e}"
    );
    let e = dns("orders.internal")
        .unwrap()
        .named("orders-dns")
        .server("ns1:53")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "health check \"orders-dns\" refused: server \"ns1:53\" is not ip:port or an IP"
    );
    let e = dns("orders.internal")
        .unwrap()
        .expect("10.0.0")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "health check \"dns\" refused: expected address \"10.0.0\" is not an IP"
    );
    let ok = dns("orders.internal").unwrap().server("10.0.0.53").unwrap();
    assert!(format!("{ok:?}").contains("10.0.0.53:53"), "{ok:?}");
}

/// Waits (1 s at most) until the runtime runs no task: none of the resolver's outlives a run.
async fn no_task_left() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + Duration::from_secs(1);
    while metrics.num_alive_tasks() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} tasks left",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn no_task_outlives_a_run_answered_truncated_or_timed_out() {
    let server = records();
    assert_healthy(&at(&server, "orders.vitals.test").check().await);
    no_task_left().await;
    assert_healthy(&at(&server, "many.vitals.test").check().await);
    no_task_left().await;
    server.stop();
    unhealthy(&at(&server, "orders.vitals.test").timeout(TIMEOUT)).await;
    server.resume();
    no_task_left().await;
    assert_healthy(&dns("localhost").unwrap().check().await);
    no_task_left().await;
}
