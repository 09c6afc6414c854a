//! The memory checker in the test's own process: thresholds set around the real use give each
//! status, and the details add up.
use vitals::{HealthChecker, HealthStatus};
use vitals_module_checks::memory;

#[tokio::test]
async fn thresholds_around_the_real_use_give_each_status() {
    let ok = memory()
        .degraded_above(1.0)
        .unhealthy_above(1.0)
        .check()
        .await;
    assert_eq!(ok.status(), HealthStatus::Healthy);
    let d = ok.details();
    let scope = d["scope"].as_str().unwrap().to_owned();
    assert!(["cgroup", "host"].contains(&scope.as_str()), "{scope}");
    let (used, limit) = (
        d["used_bytes"].as_u64().unwrap(),
        d["limit_bytes"].as_u64().unwrap(),
    );
    let ratio = d["used_ratio"].as_f64().unwrap();
    assert!(used > 0 && used <= limit, "{used} of {limit}");
    assert!((ratio - used as f64 / limit as f64).abs() < 1e-9);
    assert!(
        d["rss_bytes"].as_u64().unwrap() > 1 << 20,
        "this process uses more than 1 MiB"
    );
    // A share well below today's use: degraded, then unhealthy.
    let below = ratio / 2.0;
    let degraded = memory()
        .degraded_above(below)
        .unhealthy_above(1.0)
        .check()
        .await;
    assert_eq!(degraded.status(), HealthStatus::Degraded);
    let reason = degraded.error().unwrap();
    assert!(
        reason.starts_with(&format!("memory ({scope}): ")),
        "{reason}"
    );
    let unhealthy = memory().unhealthy_above(below).check().await;
    assert_eq!(unhealthy.status(), HealthStatus::Unhealthy);
}
