use super::*;
use crate::{BackgroundConfig, Damping};
use std::time::Duration;
use tokio::time::Instant;
use vitals::{CheckerExt, check_fn};
use vitals_judges::{Counting, failing, panicking, sleeping};

fn ready() -> HealthGroup {
    HealthGroup::Readiness
}

#[test]
fn duplicate_names_are_refused() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(failing("db", "x"))).unwrap();
    let err = reg.add(Arc::new(failing("db", "y"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate health check name \"db\": names must be unique"
    );
}

#[test]
fn external_checker_is_refused_in_liveness() {
    let reg = HealthRegistry::default();
    let err = reg
        .add(Arc::new(
            failing("db", "x").with_groups([HealthGroup::Liveness]),
        ))
        .unwrap_err();
    assert!(matches!(err, Error::ExternalInLiveness { ref name } if name == "db"));
    reg.add(Arc::new(
        failing("ping", "x")
            .with_groups([HealthGroup::Liveness])
            .with_dependency(Dependency::Local),
    ))
    .unwrap();
}

#[test]
fn invalid_names_and_empty_groups_are_refused() {
    let reg = HealthRegistry::default();
    for bad in ["", "Has Space", "UPPER", "a/b"] {
        assert!(matches!(
            reg.add(Arc::new(failing(bad, "x"))),
            Err(Error::InvalidCheckName { .. })
        ));
    }
    assert!(matches!(
        reg.add(Arc::new(failing("lonely", "x").with_groups([]))),
        Err(Error::NoGroup { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn group_checks_run_concurrently() {
    let reg = HealthRegistry::default();
    for name in ["a", "b", "c"] {
        reg.add(Arc::new(sleeping(name, Duration::from_millis(500))))
            .unwrap();
    }
    let start = Instant::now();
    let report = reg.run_group(&ready(), &[]).await;
    assert_eq!(report.status, HealthStatus::Healthy);
    assert_eq!(report.checks.len(), 3);
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn hanging_check_times_out_at_its_own_timeout() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(
        sleeping("slow", Duration::from_secs(10)).with_timeout(Duration::from_millis(200)),
    ))
    .unwrap();
    reg.add(Arc::new(sleeping("quick", Duration::from_millis(10))))
        .unwrap();
    let start = Instant::now();
    let report = reg.run_group(&ready(), &[]).await;
    assert!(start.elapsed() < Duration::from_millis(300));
    assert_eq!(report.status, HealthStatus::Unhealthy);
    assert_eq!(
        report.checks[0].outcome.error(),
        Some("timed out after 200ms")
    );
    assert_eq!(report.checks[1].status, HealthStatus::Healthy);
}

#[tokio::test]
async fn panicking_check_fails_the_group_and_the_next_run_still_works() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(panicking("boom", "oh no"))).unwrap();
    let first = reg.run_group(&ready(), &[]).await;
    assert_eq!(first.status, HealthStatus::Unhealthy);
    assert_eq!(first.checks[0].outcome.error(), Some("panicked: oh no"));
    let second = reg.run_group(&ready(), &[]).await;
    assert_eq!(second.checks[0].outcome.error(), Some("panicked: oh no"));
}

#[tokio::test]
async fn non_critical_failure_degrades_the_group() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(failing("cache", "evicted").non_critical()))
        .unwrap();
    reg.add(Arc::new(sleeping("db", Duration::ZERO))).unwrap();
    let report = reg.run_group(&ready(), &[]).await;
    assert_eq!(report.status, HealthStatus::Degraded);
    assert_eq!(report.checks[0].status, HealthStatus::Unhealthy);
    assert_eq!(report.failing().collect::<Vec<_>>(), ["cache"]);
}

#[tokio::test]
async fn cached_result_is_reused_within_ttl() {
    let reg = HealthRegistry::default();
    let c = Counting::new("c", Duration::ZERO);
    reg.add(Arc::new(c.clone().with_cache_ttl(Duration::from_secs(60))))
        .unwrap();
    for _ in 0..5 {
        reg.run_group(&ready(), &[]).await;
    }
    assert_eq!(c.runs(), 1);
}

#[tokio::test]
async fn without_ttl_every_probe_runs_the_check() {
    let reg = HealthRegistry::default();
    let c = Counting::new("c", Duration::ZERO);
    reg.add(Arc::new(c.clone())).unwrap();
    for _ in 0..5 {
        reg.run_group(&ready(), &[]).await;
    }
    assert_eq!(c.runs(), 5);
}

#[tokio::test]
async fn concurrent_probes_share_one_run() {
    let reg = HealthRegistry::default();
    let c = Counting::new("slow", Duration::from_millis(300));
    reg.add(Arc::new(c.clone())).unwrap();
    let probes = (0..50).map(|_| {
        let reg = reg.clone();
        tokio::spawn(async move { reg.run_group(&HealthGroup::Readiness, &[]).await })
    });
    for p in futures_util::future::join_all(probes).await {
        assert_eq!(p.unwrap().status, HealthStatus::Healthy);
    }
    assert_eq!(c.runs(), 1);
}

#[tokio::test]
async fn excluded_checks_are_skipped_and_unknown_ones_listed() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(failing("bad", "x"))).unwrap();
    reg.add(Arc::new(sleeping("good", Duration::ZERO))).unwrap();
    let report = reg
        .run_group(&ready(), &["bad".to_owned(), "nope".to_owned()])
        .await;
    assert_eq!(report.status, HealthStatus::Healthy);
    assert_eq!(report.excluded, ["bad"]);
    assert_eq!(report.unknown_excludes, ["nope"]);
    assert_eq!(report.checks.len(), 1);
}

#[tokio::test]
async fn single_check_reports_its_own_status() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(failing("cache", "gone").non_critical()))
        .unwrap();
    let r = reg.run_check(&ready(), "cache").await.unwrap();
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(reg.run_check(&ready(), "other").await.is_none());
    assert!(
        reg.run_check(&HealthGroup::Liveness, "cache")
            .await
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn background_mode_serves_the_snapshot_without_running_checks() {
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval: Duration::from_secs(1),
            max_staleness: Duration::from_secs(30),
        }),
        default_timeout: Duration::from_secs(10),
        ..RegistryConfig::default()
    });
    let c = Counting::new("slow", Duration::from_secs(5));
    reg.add(Arc::new(c.clone())).unwrap();
    let pending = reg.run_group(&ready(), &[]).await;
    assert_eq!(
        pending.checks[0].outcome.error(),
        Some("pending: no reading yet")
    );
    reg.start_background();
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let start = Instant::now();
    let report = reg.run_group(&ready(), &[]).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(report.status, HealthStatus::Healthy);
    assert!(report.checks[0].at.is_some());
    assert_eq!(c.runs(), 1);
    reg.stop_background();
}

#[tokio::test(start_paused = true)]
async fn a_reading_that_stopped_refreshing_is_unhealthy_with_its_age_on_probes_and_states() {
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval: Duration::from_secs(1),
            max_staleness: Duration::from_secs(10),
        }),
        ..RegistryConfig::default()
    });
    reg.add(Arc::new(sleeping("x", Duration::ZERO))).unwrap();
    reg.start_background();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        reg.run_group(&ready(), &[]).await.status,
        HealthStatus::Healthy
    );
    assert_eq!(reg.states()[0].status, Some(HealthStatus::Healthy));
    // The refresher stops (as if wedged): the last reading ages.
    reg.stop_background();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let report = reg.run_group(&ready(), &[]).await;
    assert_eq!(report.status, HealthStatus::Unhealthy);
    let reason = report.checks[0].outcome.error().unwrap();
    assert!(reason.starts_with("stale: last reading 12s"), "{reason}");
    assert_eq!(
        reg.states()[0].status,
        Some(HealthStatus::Unhealthy),
        "the status gauge agrees with the probe"
    );
    assert_eq!(
        reg.run_check(&ready(), "x").await.unwrap().status,
        HealthStatus::Unhealthy
    );
}

#[tokio::test(start_paused = true)]
async fn background_refresh_runs_every_interval_whatever_the_cache_ttl() {
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval: Duration::from_secs(1),
            max_staleness: Duration::from_secs(10),
        }),
        ..RegistryConfig::default()
    });
    let c = Counting::new("cached", Duration::ZERO);
    reg.add(Arc::new(c.clone().with_cache_ttl(Duration::from_secs(60))))
        .unwrap();
    reg.start_background();
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    // runs at 0 s, 1 s, … 5 s
    assert_eq!(c.runs(), 6);
    assert_eq!(
        reg.run_group(&ready(), &[]).await.status,
        HealthStatus::Healthy
    );
    reg.stop_background();
}

#[test]
fn a_timeout_that_would_read_stale_between_background_runs_is_refused() {
    let reg = HealthRegistry::new(RegistryConfig {
        background: Some(BackgroundConfig {
            interval: Duration::from_secs(5),
            max_staleness: Duration::from_secs(15),
        }),
        ..RegistryConfig::default()
    });
    reg.add(Arc::new(
        sleeping("ok", Duration::ZERO).with_timeout(Duration::from_secs(9)),
    ))
    .unwrap();
    let err = reg
        .add(Arc::new(
            sleeping("slow", Duration::ZERO).with_timeout(Duration::from_secs(10)),
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "health check \"slow\" refused: its timeout 10s plus the background interval 5s reaches \
         the max staleness 15s: readings would go stale between runs"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_finishes_with_its_true_duration_when_every_waiter_has_left() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(sleeping("slow", Duration::from_millis(200))))
        .unwrap();
    let probe = {
        let reg = reg.clone();
        tokio::spawn(async move { reg.run_group(&ready(), &[]).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    probe.abort();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reading = reg.states()[0].reading.clone().expect("the run finished");
    assert_eq!(reading.duration, Duration::from_millis(200));
    assert_eq!(reading.status, HealthStatus::Healthy);
}

#[test]
fn custom_group_names_are_validated_and_may_not_name_a_built_in_group() {
    let reg = HealthRegistry::default();
    let table = [
        ("c1", "Billing Team", "use 1 to 128 lower-case letters"),
        ("c2", "liveness", "the name belongs to a built-in group"),
        ("c3", "readyz", "the name belongs to a built-in group"),
        ("c4", "", "use 1 to 128 lower-case letters"),
    ];
    for (name, group, want) in table {
        let err = reg
            .add(Arc::new(
                failing(name, "x").with_groups([HealthGroup::custom(group)]),
            ))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("invalid health group name {group:?}: {want}")),
            "{err}"
        );
    }
    reg.add(Arc::new(
        failing("ledger", "x").with_groups([HealthGroup::custom("billing")]),
    ))
    .unwrap();
    assert!(reg.has_group(&HealthGroup::custom("billing")));
}

#[tokio::test]
async fn readiness_flaps_are_damped() {
    let reg = HealthRegistry::new(RegistryConfig {
        damping: Some(Damping {
            failures: 2,
            successes: 2,
        }),
        ..RegistryConfig::default()
    });
    let c = Counting::new("dep", Duration::ZERO);
    reg.add(Arc::new(c.clone())).unwrap();
    let mut seen = Vec::new();
    for outcome in [
        CheckOutcome::healthy(),
        CheckOutcome::unhealthy("x"),
        CheckOutcome::unhealthy("x"),
        CheckOutcome::healthy(),
        CheckOutcome::healthy(),
    ] {
        c.set(outcome);
        seen.push(reg.run_group(&ready(), &[]).await.status);
    }
    use HealthStatus::*;
    assert_eq!(seen, [Healthy, Healthy, Unhealthy, Unhealthy, Healthy]);
}

#[tokio::test]
async fn checks_can_be_added_while_serving() {
    let reg = HealthRegistry::default();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let reg = reg.clone();
            tokio::spawn(async move {
                reg.add(Arc::new(check_fn(format!("c{i}"), || async {
                    CheckOutcome::healthy()
                })))
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap().unwrap();
    }
    assert_eq!(reg.check_names().len(), 8);
    assert_eq!(reg.run_group(&ready(), &[]).await.checks.len(), 8);
}

#[tokio::test]
async fn shutting_down_fails_readiness_only() {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(
        sleeping("ping", Duration::ZERO)
            .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
            .with_dependency(Dependency::Local),
    ))
    .unwrap();
    reg.begin_shutdown();
    let one = reg.run_check(&ready(), "ping").await.unwrap();
    assert!(one.shutting_down);
    assert_eq!(one.status, HealthStatus::Unhealthy, "/ready/{{check}} too");
    let ready = reg.run_group(&ready(), &[]).await;
    assert!(ready.shutting_down);
    assert_eq!(ready.status, HealthStatus::Unhealthy);
    let live = reg.run_group(&HealthGroup::Liveness, &[]).await;
    assert_eq!(live.status, HealthStatus::Healthy);
}
