//! The Redis checker against a real `redis-server`: healthy with role and memory in details,
//! degraded past its memory share, unhealthy with the node named when it is stopped or stops
//! answering (SIGSTOP: within the timeout), and an unparseable URL refused with its password
//! masked.
use std::time::{Duration, Instant};
use vitals::{HealthChecker, HealthStatus};
use vitals_judges::{TempRedis, free_addr, redis_server};
use vitals_module_checks::redis;

#[tokio::test]
async fn a_live_node_is_healthy_with_role_and_memory_in_details() {
    let r = TempRedis::start();
    let outcome = redis(&r.url()).unwrap().check().await;
    assert_eq!(
        outcome.status(),
        HealthStatus::Healthy,
        "{:?}",
        outcome.error()
    );
    let d = outcome.details();
    assert_eq!(d["role"], "master");
    assert!(d["used_memory_bytes"].as_u64().unwrap() > 0);
    assert!(!d.contains_key("memory_ratio"), "no maxmemory, no ratio");
}

#[tokio::test]
async fn memory_past_its_share_of_maxmemory_degrades() {
    let port = free_addr().port();
    let _node = redis_server(port, &["--maxmemory", "100mb"]);
    let url = format!("redis://127.0.0.1:{port}");
    let ok = redis(&url).unwrap().check().await;
    assert_eq!(ok.status(), HealthStatus::Healthy);
    let ratio = ok.details()["memory_ratio"].as_f64().unwrap();
    assert!(ratio > 0.0 && ratio < 0.1, "{ratio}");
    let tight = redis(&url)
        .unwrap()
        .degraded_above(ratio / 2.0)
        .check()
        .await;
    assert_eq!(tight.status(), HealthStatus::Degraded);
    let reason = tight.error().unwrap();
    assert!(
        reason.starts_with(&format!("redis {url}: memory ")),
        "{reason}"
    );
}

#[tokio::test]
async fn a_stopped_or_silent_node_is_unhealthy_and_named_within_the_timeout() {
    let r = TempRedis::start();
    let url = r.url().replace("redis://", "redis://:s3cret@");
    let check = redis(&url).unwrap().timeout(Duration::from_millis(300));
    let port = r.url().rsplit(':').next().unwrap().to_owned();
    let pid = std::process::Command::new("redis-cli")
        .args(["-p", &port, "INFO", "server"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("process_id:").map(|v| v.trim().to_owned()))
        .unwrap();
    let kill = |sig: &str| {
        assert!(
            std::process::Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    kill("-STOP");
    let started = Instant::now();
    let silent = check.check().await;
    let took = started.elapsed();
    kill("-CONT");
    assert_eq!(silent.status(), HealthStatus::Unhealthy);
    let reason = silent.error().unwrap();
    assert!(
        reason.starts_with(&format!("redis {}:", r.url())),
        "{reason}"
    );
    assert!(!reason.contains("s3cret"), "{reason}");
    assert!(
        took < Duration::from_millis(1_200),
        "bounded by the timeout: {took:?}"
    );
    r.stop();
    let down = check.check().await;
    assert_eq!(down.status(), HealthStatus::Unhealthy);
    assert!(
        down.error()
            .unwrap()
            .starts_with(&format!("redis {}:", r.url()))
    );
}

#[test]
fn an_unparseable_url_is_refused_with_its_password_masked() {
    let e = redis("redis://:s3cret@cache:notaport")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("health check \"redis\" refused: redis://cache:notaport:"),
        "{e}"
    );
    assert!(!e.contains("s3cret"));
}
