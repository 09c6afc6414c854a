//! The disk checker on the test's own filesystem: thresholds set around the real free share
//! make it healthy, degraded and unhealthy; a path that does not exist is named.
use vitals::{HealthChecker, HealthStatus};
use vitals_module_checks::disk;

#[tokio::test]
async fn thresholds_around_the_real_free_share_give_each_status() {
    let dir = std::env::temp_dir();
    let ok = disk(&dir)
        .degraded_below(0.0)
        .unhealthy_below(0.0)
        .check()
        .await;
    assert_eq!(ok.status(), HealthStatus::Healthy);
    let d = ok.details();
    let (free, total) = (
        d["free_bytes"].as_u64().unwrap(),
        d["total_bytes"].as_u64().unwrap(),
    );
    let ratio = d["free_ratio"].as_f64().unwrap();
    assert!(free > 0 && free <= total, "{free} of {total}");
    assert!((ratio - free as f64 / total as f64).abs() < 1e-9);
    // A share a little above today's free share: degraded, then unhealthy.
    let above = (ratio + 0.01).min(1.0);
    let degraded = disk(&dir)
        .degraded_below(above)
        .unhealthy_below(0.0)
        .check()
        .await;
    assert_eq!(degraded.status(), HealthStatus::Degraded);
    let reason = degraded.error().unwrap();
    assert!(
        reason.starts_with(&format!("disk {}: ", dir.display())),
        "{reason}"
    );
    let unhealthy = disk(&dir).unhealthy_below(above).check().await;
    assert_eq!(unhealthy.status(), HealthStatus::Unhealthy);
    let missing = disk("/no/such/dir").check().await;
    assert_eq!(missing.status(), HealthStatus::Unhealthy);
    assert!(missing.error().unwrap().starts_with("disk /no/such/dir: "));
}
