//! The TLS checker against a real `openssl s_server` serving certificates made with the
//! `openssl` command line at test time (backdated with `faketime`): healthy with the dates in
//! details, degraded near expiry, unhealthy when expired, untrusted, silent (SIGSTOP: within the
//! timeout) or closed; and PEM files on disk.
use std::path::Path;
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, HealthChecker, HealthStatus};
use vitals_judges::{TempPki, free_addr, tls_server};
use vitals_module_checks::{tls, tls_file};

const DAY: i64 = 86_400;

/// `notAfter` of `cert` as `openssl` prints it in ISO 8601, in RFC 3339 form.
fn not_after(cert: &Path) -> String {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .strip_prefix("notAfter=")
        .unwrap()
        .replace(' ', "T")
}

fn left(outcome: &CheckOutcome) -> i64 {
    outcome.details()["expires_in_seconds"].as_i64().unwrap()
}

#[tokio::test]
async fn a_trusted_certificate_far_from_expiry_is_healthy_with_its_dates_in_details() {
    let pki = TempPki::new();
    let (cert, key) = pki.leaf("far", 365, None);
    let (_server, addr) = tls_server(&cert, &key);
    let check = tls(addr.to_string()).ca_file(pki.ca());
    let started = Instant::now();
    let ok = check.check().await;
    let took = started.elapsed();
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    eprintln!("healthy tls check took {took:?}");
    assert!(took < Duration::from_millis(500), "{took:?}");
    let d = ok.details();
    assert_eq!(d["not_after"], not_after(&cert).as_str());
    assert_eq!(d["subject"], "CN=far");
    assert_eq!(d["issuer"], "CN=Vitals Test CA");
    let secs = left(&ok);
    assert!(secs <= 365 * DAY && secs > 365 * DAY - 60, "{secs}");

    let named = check.clone().server_name("localhost").check().await;
    assert_eq!(named.status(), HealthStatus::Healthy, "{:?}", named.error());
    let other = check.server_name("other.example").check().await;
    assert_eq!(other.status(), HealthStatus::Unhealthy);
    let reason = other.error().unwrap();
    let expected = format!(
        "tls {addr}: invalid peer certificate: certificate not valid for name \"other.example\""
    );
    assert!(reason.starts_with(&expected), "{reason}");
}

#[tokio::test]
async fn a_certificate_near_expiry_is_degraded_with_the_time_left() {
    let pki = TempPki::new();
    let (cert, key) = pki.leaf("near", 2, Some("30 minutes ago"));
    let (_server, addr) = tls_server(&cert, &key);
    let near = tls(addr.to_string()).ca_file(pki.ca()).check().await;
    assert_eq!(near.status(), HealthStatus::Degraded, "{:?}", near.error());
    assert_eq!(
        near.error().unwrap(),
        format!("tls {addr}: certificate expires in 47 hours")
    );
    let secs = left(&near);
    assert!(secs <= 2 * DAY - 1800 && secs > 2 * DAY - 1860, "{secs}");
    let relaxed = tls(addr.to_string())
        .ca_file(pki.ca())
        .degraded_within(Duration::from_secs(DAY as u64))
        .check()
        .await;
    assert_eq!(relaxed.status(), HealthStatus::Healthy);
}

#[tokio::test]
async fn an_expired_certificate_is_unhealthy_with_its_dates() {
    let pki = TempPki::new();
    // Signed 10 days and 6 hours ago for 2 days: expired 8 days and 6 hours ago, never on the
    // edge between "7 days" and "8 days" (signed exactly 10 days ago, a second's rounding of the
    // faked clock read "7 days").
    let (cert, key) = pki.leaf("old", 2, Some("246 hours ago"));
    let (_server, addr) = tls_server(&cert, &key);
    let old = tls(addr.to_string()).ca_file(pki.ca()).check().await;
    assert_eq!(old.status(), HealthStatus::Unhealthy);
    let end = not_after(&cert);
    assert_eq!(
        old.error().unwrap(),
        format!("tls {addr}: certificate expired 8 days ago (not after {end})")
    );
    assert_eq!(old.details()["not_after"], end.as_str());
    let secs = left(&old);
    let expired_for = 8 * DAY + 6 * 3_600;
    assert!(
        secs <= -expired_for + 1 && secs > -expired_for - 60,
        "{secs}"
    );
}

#[tokio::test]
async fn a_certificate_of_an_unknown_ca_is_untrusted_and_the_error_named() {
    let pki = TempPki::new();
    let (cert, key) = pki.leaf("localhost", 365, None);
    let (_server, addr) = tls_server(&cert, &key);
    let untrusted = tls(addr.to_string()).check().await;
    assert_eq!(untrusted.status(), HealthStatus::Unhealthy);
    assert_eq!(
        untrusted.error().unwrap(),
        format!("tls {addr}: invalid peer certificate: UnknownIssuer")
    );
    assert_eq!(untrusted.details()["subject"], "CN=localhost");
    let missing = tls(addr.to_string())
        .ca_file("/nonexistent/ca.pem")
        .check()
        .await;
    assert_eq!(
        missing.error().unwrap(),
        format!("tls {addr}: CA file /nonexistent/ca.pem: No such file or directory (os error 2)")
    );
}

#[tokio::test]
async fn a_silent_server_is_unhealthy_within_the_timeout_and_a_closed_port_named() {
    let pki = TempPki::new();
    let (cert, key) = pki.leaf("far", 365, None);
    let (server, addr) = tls_server(&cert, &key);
    let check = tls(addr.to_string())
        .ca_file(pki.ca())
        .timeout(Duration::from_millis(300));
    assert_eq!(check.check().await.status(), HealthStatus::Healthy);
    // A stopped process's socket still accepts the connection; the handshake gets no answer.
    server.signal("STOP");
    let started = Instant::now();
    let silent = check.check().await;
    let took = started.elapsed();
    server.signal("CONT");
    assert_eq!(silent.status(), HealthStatus::Unhealthy);
    assert_eq!(
        silent.error().unwrap(),
        format!("tls {addr}: no certificate within 300ms")
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(800),
        "{took:?}"
    );
    drop(server);
    let closed = free_addr();
    let down = tls(closed.to_string()).check().await;
    assert_eq!(
        down.error().unwrap(),
        format!("tls {closed}: Connection refused (os error 111)")
    );
}

#[tokio::test]
async fn certificate_files_are_judged_by_their_dates() {
    let pki = TempPki::new();
    let (far, _) = pki.leaf("far", 365, None);
    let ok = tls_file(&far).check().await;
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    assert_eq!(ok.details()["not_after"], not_after(&far).as_str());
    assert_eq!(ok.details()["subject"], "CN=far");

    let (near, _) = pki.leaf("near", 2, Some("30 minutes ago"));
    let soon = tls_file(&near).check().await;
    assert_eq!(soon.status(), HealthStatus::Degraded);
    assert_eq!(
        soon.error().unwrap(),
        format!("tls {}: certificate expires in 47 hours", near.display())
    );
    let never = tls_file(&near)
        .degraded_within(Duration::ZERO)
        .check()
        .await;
    assert_eq!(never.status(), HealthStatus::Healthy, "{:?}", never.error());

    let (old, _) = pki.leaf("old", 2, Some("246 hours ago"));
    let expired = tls_file(&old).named("cert").check().await;
    assert_eq!(
        expired.error().unwrap(),
        format!(
            "tls {}: certificate expired 8 days ago (not after {})",
            old.display(),
            not_after(&old)
        )
    );

    let (early, _) = pki.leaf("early", 30, Some("5 days 1 hour"));
    let not_yet = tls_file(&early).check().await;
    assert_eq!(not_yet.status(), HealthStatus::Unhealthy);
    let reason = not_yet.error().unwrap();
    let expected = format!("tls {}: certificate not valid before ", early.display());
    assert!(
        reason.starts_with(&expected) && reason.ends_with(" (in 5 days)"),
        "{reason}"
    );

    let key = pki.ca().with_file_name("ca.key");
    let not_pem = tls_file(&key).check().await;
    assert_eq!(
        not_pem.error().unwrap(),
        format!("tls {}: no certificate in the file", key.display())
    );
}

#[tokio::test]
async fn a_fifo_or_a_device_is_refused_without_being_read() {
    let pki = TempPki::new();
    let fifo = pki.ca().with_file_name("fifo.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let cert = tls_file(&fifo)
        .timeout(Duration::from_millis(300))
        .check()
        .await;
    let (cert_pem, key) = pki.leaf("far", 365, None);
    let (_server, addr) = tls_server(&cert_pem, &key);
    let ca = tls(addr.to_string())
        .ca_file(&fifo)
        .timeout(Duration::from_millis(300))
        .check()
        .await;
    // A reader still waiting for a writer would keep the runtime from shutting down: one is
    // given (a thread left waiting, when there is no reader).
    let writer = fifo.clone();
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(writer)));
    assert_eq!(
        cert.error().unwrap(),
        format!("tls {}: not a regular file", fifo.display())
    );
    assert_eq!(
        ca.error().unwrap(),
        format!("tls {addr}: CA file {}: not a regular file", fifo.display())
    );
    let zero = tls_file("/dev/zero").check().await;
    assert_eq!(zero.error().unwrap(), "tls /dev/zero: not a regular file");
}
