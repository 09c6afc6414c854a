//! What [`CheckHistory`] keeps, read as a spec: a ring of the last readings per check, the last
//! transitions apart from the rings, reasons cut and shared, nothing withheld leaking into a
//! document without details.
use super::*;
use std::time::Duration;
use vitals::{CheckOutcome, CheckerExt, Dependency, check_fn};
use vitals_health::{BackgroundConfig, RegistryConfig};

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

fn history(readings: usize, transitions: usize) -> CheckHistory {
    CheckHistory::new(HistoryConfig {
        readings,
        transitions,
    })
}

fn ring(h: &CheckHistory, check: &str) -> Vec<(u64, Word)> {
    h.lock().checks[check]
        .iter()
        .map(|k| (k.at_ms / 1000, k.status))
        .collect()
}

fn changes(h: &CheckHistory) -> Vec<(String, Option<Word>, Word)> {
    h.lock()
        .transitions
        .iter()
        .map(|t| (t.check.to_string(), t.from, t.to))
        .collect()
}

fn kept_reasons(h: &CheckHistory, check: &str) -> Vec<Option<Arc<str>>> {
    h.lock().checks[check]
        .iter()
        .map(|k| k.reason.clone())
        .collect()
}

#[test]
fn the_defaults_keep_120_readings_and_100_transitions_and_never_fewer_than_one() {
    assert_eq!(
        CheckHistory::new(HistoryConfig::default()).config(),
        HistoryConfig {
            readings: 120,
            transitions: 100
        }
    );
    assert_eq!(
        history(0, 0).config(),
        HistoryConfig {
            readings: 1,
            transitions: 1
        }
    );
}

#[test]
fn a_ring_keeps_the_last_readings_oldest_first_and_transitions_only_on_change() {
    let h = history(3, 2);
    for (i, w) in [Word::Pass, Word::Pass, Word::Fail, Word::Fail, Word::Pass]
        .into_iter()
        .enumerate()
    {
        h.record("db", w, at(i as u64), 0.01, None);
    }
    assert_eq!(
        ring(&h, "db"),
        [(2, Word::Fail), (3, Word::Fail), (4, Word::Pass)]
    );
    assert_eq!(
        changes(&h),
        [
            ("db".to_owned(), Some(Word::Pass), Word::Fail),
            ("db".to_owned(), Some(Word::Fail), Word::Pass)
        ]
    );
}

#[test]
fn each_check_has_its_own_ring_and_its_capacity_is_allocated_once() {
    let h = history(4, 10);
    for i in 0..10 {
        h.record("a", Word::Pass, at(i), 0.0, None);
        if i % 2 == 0 {
            h.record("b", Word::Warn, at(i), 0.0, None);
        }
    }
    assert_eq!(ring(&h, "a").len(), 4);
    assert_eq!(
        ring(&h, "b"),
        [
            (2, Word::Warn),
            (4, Word::Warn),
            (6, Word::Warn),
            (8, Word::Warn)
        ]
    );
    assert_eq!(h.lock().checks["a"].capacity(), 4);
}

#[test]
fn a_first_passing_reading_is_no_transition_a_first_failing_one_is_from_none() {
    let h = history(5, 5);
    h.record("ok", Word::Pass, at(0), 0.0, None);
    h.record("down", Word::Fail, at(0), 0.0, Some("refused"));
    h.record("slow", Word::Warn, at(0), 0.0, Some("slow"));
    assert_eq!(
        changes(&h),
        [
            ("down".to_owned(), None, Word::Fail),
            ("slow".to_owned(), None, Word::Warn)
        ]
    );
}

#[test]
fn transitions_are_kept_apart_from_the_rings_up_to_their_own_limit() {
    let h = history(2, 3);
    let flips = [Word::Fail, Word::Pass, Word::Warn, Word::Pass, Word::Fail];
    for (i, w) in flips.into_iter().enumerate() {
        h.record("db", w, at(i as u64), 0.0, None);
    }
    for i in 5..50 {
        h.record("db", Word::Fail, at(i), 0.0, None);
    }
    assert_eq!(ring(&h, "db"), [(48, Word::Fail), (49, Word::Fail)]);
    let db = |from, to| ("db".to_owned(), Some(from), to);
    assert_eq!(
        changes(&h),
        [
            db(Word::Pass, Word::Warn),
            db(Word::Warn, Word::Pass),
            db(Word::Pass, Word::Fail)
        ],
        "the last 3 changes, though the ring forgot them long ago"
    );
    let at_ms: Vec<u64> = h.lock().transitions.iter().map(|t| t.at_ms).collect();
    assert_eq!(at_ms, [2000, 3000, 4000]);
}

#[test]
fn a_reason_up_to_the_limit_is_kept_whole() {
    let h = history(3, 3);
    let exact = "x".repeat(MAX_REASON_BYTES);
    h.record("db", Word::Fail, at(0), 0.0, Some(&exact));
    assert_eq!(kept_reasons(&h, "db")[0].as_deref(), Some(exact.as_str()));
}

#[test]
fn a_longer_reason_is_cut_on_a_char_boundary_with_an_ellipsis_within_the_limit() {
    let h = history(3, 3);
    for (i, long) in [
        "x".repeat(MAX_REASON_BYTES + 1),
        "é".repeat(MAX_REASON_BYTES),
        format!("{}€€€", "x".repeat(MAX_REASON_BYTES - 5)),
    ]
    .iter()
    .enumerate()
    {
        h.record("db", Word::Fail, at(i as u64), 0.0, Some(long));
        let kept = kept_reasons(&h, "db")[i].clone().expect("a reason");
        assert!(kept.len() <= MAX_REASON_BYTES, "{} bytes", kept.len());
        assert!(kept.len() > MAX_REASON_BYTES - 4 - '…'.len_utf8());
        let body = kept.strip_suffix('…').expect("`…` marks the cut");
        assert!(long.starts_with(body), "a prefix of the reason");
    }
}

#[test]
fn equal_consecutive_reasons_share_one_allocation() {
    let h = history(10, 10);
    let long = "refused ".repeat(100);
    for (i, r) in [
        Some("refused"),
        Some("refused"),
        Some("timeout"),
        None,
        Some("timeout"),
        Some(long.as_str()),
        Some(long.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        h.record("db", Word::Fail, at(i as u64), 0.0, r);
    }
    let r = kept_reasons(&h, "db");
    let same = |a: usize, b: usize| Arc::ptr_eq(r[a].as_ref().unwrap(), r[b].as_ref().unwrap());
    assert!(same(0, 1), "equal consecutive reasons: one copy");
    assert!(!same(1, 2));
    assert!(!same(2, 4), "only the previous reading's is reused");
    assert!(same(5, 6), "equal once cut: one copy");
    let t = h.lock().transitions[0]
        .reason
        .clone()
        .expect("the change's reason");
    assert!(
        Arc::ptr_eq(&t, r[0].as_ref().unwrap()),
        "the transition shares it too"
    );
}

#[test]
fn durations_are_kept_in_microseconds() {
    let h = history(3, 3);
    h.record("db", Word::Pass, at(0), 0.001_234_4, None);
    h.record("db", Word::Pass, at(1), f64::NAN, None);
    h.record("db", Word::Pass, at(2), 1e9, None);
    let kept: Vec<u32> = h.lock().checks["db"].iter().map(|k| k.micros).collect();
    assert_eq!(kept, [1234, 0, u32::MAX]);
    assert_eq!(std::mem::size_of::<Kept>(), 32);
    assert_eq!(std::mem::size_of::<Change>(), 48);
}

async fn registry_with(h: &CheckHistory, background: Option<BackgroundConfig>) -> HealthRegistry {
    let registry = HealthRegistry::new(RegistryConfig {
        observers: vec![h.observer()],
        background,
        default_timeout: Duration::from_millis(20),
        ..RegistryConfig::default()
    });
    registry
        .add(Arc::new(
            check_fn("db", || async {
                CheckOutcome::unhealthy("password=hunter2 refused").with_detail("dsn", "secret-dsn")
            })
            .with_groups([HealthGroup::Readiness, HealthGroup::Custom("data".into())]),
        ))
        .expect("db");
    registry
        .add(Arc::new(
            check_fn("ping", || async { CheckOutcome::healthy() })
                .with_groups([HealthGroup::Liveness])
                .with_dependency(Dependency::Local),
        ))
        .expect("ping");
    registry
}

#[tokio::test]
async fn the_document_lists_every_check_group_and_transition_with_reasons_when_granted() {
    let h = CheckHistory::new(HistoryConfig::default());
    let registry = registry_with(&h, None).await;
    registry
        .add(Arc::new(check_fn("later", || async {
            CheckOutcome::healthy()
        })))
        .expect("later");
    for _ in 0..2 {
        registry
            .run_group(&HealthGroup::Readiness, &["later".to_owned()])
            .await;
        registry.run_group(&HealthGroup::Liveness, &[]).await;
    }
    let service = ServiceInfo {
        name: "orders".into(),
        version: "1.0".into(),
    };
    let doc = h.document(&registry, Some(&service), true);
    assert_eq!(doc.service, Some(service));
    assert_eq!(doc.status, Word::Fail);
    assert!(doc.details);
    assert_eq!(doc.capacity, 120);
    let groups: Vec<(&str, Word)> = doc
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.status))
        .collect();
    assert_eq!(
        groups[..2],
        [("liveness", Word::Pass), ("readiness", Word::Fail)]
    );
    assert!(groups.contains(&("data", Word::Fail)));
    let db = doc.checks.iter().find(|c| c.name == "db").expect("db");
    assert_eq!(db.status, Some(Word::Fail));
    assert_eq!(db.reason.as_deref(), Some("password=hunter2 refused"));
    assert_eq!(db.details["dsn"], "secret-dsn");
    assert!(!db.readings.is_empty());
    assert!(
        db.readings
            .iter()
            .all(|r| r.reason.as_deref() == Some("password=hunter2 refused"))
    );
    let later = doc
        .checks
        .iter()
        .find(|c| c.name == "later")
        .expect("later");
    assert_eq!(
        (later.status, later.readings.len()),
        (None, 0),
        "never ran: pending"
    );
    assert_eq!(
        doc.transitions.len(),
        1,
        "db failed once; passing first readings are no change"
    );
    assert_eq!(
        doc.transitions[0].reason.as_deref(),
        Some("password=hunter2 refused")
    );
}

#[tokio::test]
async fn a_document_without_details_carries_no_reason_anywhere() {
    let h = CheckHistory::new(HistoryConfig::default());
    let registry = registry_with(&h, None).await;
    registry.run_group(&HealthGroup::Readiness, &[]).await;
    let anonymous = h.document(&registry, None, false);
    let json = serde_json::to_string(&anonymous).expect("json");
    for secret in [
        "hunter2",
        "secret-dsn",
        "refused",
        "\"reason\"",
        "\"details\":{",
    ] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(!anonymous.details);
    let granted = h.document(&registry, None, true);
    assert!(
        serde_json::to_string(&granted)
            .expect("json")
            .contains("hunter2")
    );
    let stripped = granted.without_details();
    assert_eq!(
        StatusDocument {
            generated_at_ms: anonymous.generated_at_ms,
            ..stripped
        },
        anonymous,
        "without_details is what an anonymous caller gets"
    );
}

#[tokio::test]
async fn a_stale_reading_reads_as_failing_with_its_age_as_reason() {
    let h = CheckHistory::new(HistoryConfig::default());
    let background = BackgroundConfig {
        interval: Duration::from_millis(10),
        max_staleness: Duration::from_millis(60),
    };
    let registry = registry_with(&h, Some(background)).await;
    registry.start_background();
    let first_run = async {
        while !h.lock().checks.contains_key("ping") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), first_run)
        .await
        .expect("a background run within 10 s");
    registry.stop_background();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let doc = h.document(&registry, None, true);
    let ping = doc.checks.iter().find(|c| c.name == "ping").expect("ping");
    assert_eq!(
        ping.status,
        Some(Word::Fail),
        "what stopped refreshing never reads as healthy"
    );
    assert!(ping.readings.iter().all(|r| r.status == Word::Pass));
    let reason = ping.reason.as_deref().expect("a reason");
    assert!(
        reason.starts_with("stale: last reading 0.") && reason.ends_with(" s old"),
        "{reason}"
    );
    let anonymous = h.document(&registry, None, false);
    assert!(anonymous.checks.iter().all(|c| c.reason.is_none()));
}
