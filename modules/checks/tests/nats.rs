//! The NATS checker against a real `nats-server`: healthy with the server's info in details and
//! nothing left behind (no connection on the server, no task in the runtime), unhealthy within
//! the timeout when it is SIGSTOPped, and named with its URL masked when a password is wrong or
//! the server is killed.
use std::time::{Duration, Instant};
use vitals::{HealthChecker, HealthStatus};
use vitals_judges::{NATS_MAX_PAYLOAD, TempNats};
use vitals_module_checks::nats;

/// Waits (1 s at most) until the server holds no client connection and the runtime runs no task
/// of the client's; fails naming what is left.
async fn nothing_left(server: &TempNats) {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (conns, tasks) = (server.connections().await, metrics.num_alive_tasks());
        if conns == 0 && tasks == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: {conns} connections, {tasks} tasks"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_live_server_is_healthy_with_its_info_and_nothing_is_left_behind() {
    let server = TempNats::start();
    let check = nats(&server.url()).unwrap();
    let started = Instant::now();
    let ok = check.check().await;
    let took = started.elapsed();
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    eprintln!("healthy nats check took {took:?}");
    assert!(took < Duration::from_millis(500), "{took:?}");
    let d = ok.details();
    assert_eq!(d["server_name"], server.name().as_str());
    assert_eq!(d["version"], TempNats::version().as_str());
    assert_eq!(d["max_payload_bytes"], NATS_MAX_PAYLOAD);
    nothing_left(&server).await;
    let bare = nats(server.url().trim_start_matches("nats://")).unwrap();
    assert_eq!(bare.check().await.status(), HealthStatus::Healthy);
    nothing_left(&server).await;
}

#[tokio::test]
async fn a_stopped_server_is_unhealthy_within_the_timeout() {
    let server = TempNats::start();
    let check = nats(&server.url())
        .unwrap()
        .timeout(Duration::from_millis(300));
    // A stopped process's socket still accepts the connection; the server's INFO never comes.
    server.signal("STOP");
    let started = Instant::now();
    let silent = check.check().await;
    let took = started.elapsed();
    server.signal("CONT");
    assert_eq!(silent.status(), HealthStatus::Unhealthy);
    assert_eq!(
        silent.error().unwrap(),
        format!("nats {}: no answer within 300ms", server.url())
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(800),
        "{took:?}"
    );
    nothing_left(&server).await;
    assert_eq!(check.check().await.status(), HealthStatus::Healthy);
}

#[tokio::test]
async fn a_wrong_password_or_a_killed_server_is_named_with_the_url_masked() {
    let server = TempNats::start_with_password("app", "s3cret");
    let port = server.url().rsplit(':').next().unwrap().to_owned();
    let with = |password: &str| format!("nats://app:{password}@127.0.0.1:{port}");
    let ok = nats(&with("s3cret")).unwrap().check().await;
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());

    let refused = nats(&with("wr0ng")).unwrap().check().await;
    assert_eq!(refused.status(), HealthStatus::Unhealthy);
    let reason = refused.error().unwrap();
    assert!(
        reason.starts_with(&format!("nats {}: authorization violation", server.url())),
        "{reason}"
    );
    assert!(!reason.contains("wr0ng"), "{reason}");
    nothing_left(&server).await;

    server.stop();
    let down = nats(&with("s3cret")).unwrap().check().await;
    assert_eq!(down.status(), HealthStatus::Unhealthy);
    assert_eq!(
        down.error().unwrap(),
        format!(
            "nats {}: IO error: Connection refused (os error 111)",
            server.url()
        )
    );
}

#[test]
fn an_unparseable_url_is_refused_with_its_password_masked() {
    let e = nats("nats://app:s3cret@bus:notaport")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("health check \"nats\" refused: nats://bus:notaport: "),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
}
