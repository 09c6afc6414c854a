//! The fleet view's tables on SQLite and on PostgreSQL: exact uptime and incidents, readings kept
//! once, the last 120 shown, details withheld, retention, and the lease.
mod common;

use common::{Backend, doc, fresh_db, poll};
use sea_orm::ConnectionTrait;
use std::time::Duration;
use vitals_module_fleet::{FleetStore, PRUNED_PER_CYCLE, Target, new_token};
use vitals_status::{Incident, Uptime, Word};

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;
const NOW: u64 = 100 * DAY;
const LEASE: Duration = Duration::from_secs(60);

macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    };
}

fn target(name: &str) -> Target {
    Target {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{name}/status/history"),
    }
}

async fn store(url: &str) -> FleetStore {
    let s = FleetStore::connect(url, Duration::from_secs(10))
        .await
        .unwrap();
    s.migrate().await.unwrap();
    s
}

/// A fresh database of `backend` and a store on it whose lease `token` holds.
async fn holding(backend: Backend, tag: &str) -> (common::TestDb, FleetStore, String) {
    let db = fresh_db(backend, tag).await;
    let s = store(&db.url).await;
    let token = new_token();
    assert!(s.claim(&token, LEASE).await.unwrap());
    (db, s, token)
}

on_both!(uptime_and_incidents_are_exact);
async fn uptime_and_incidents_are_exact(backend: Backend) {
    let (_db, s, token) = holding(backend, "uptime").await;
    let pass = || Ok(doc(Word::Pass, &[("db", Word::Pass, &[])]));
    let polls = [
        poll("api", NOW - 40 * DAY, Err("connection refused")),
        poll("api", NOW - 20 * DAY, pass()),
        poll("api", NOW - 20 * DAY + MIN, Err("timed out after 5s")),
        poll("api", NOW - 6 * DAY, Err("HTTP 502")),
        poll(
            "api",
            NOW - 5 * DAY,
            Ok(doc(Word::Fail, &[("db", Word::Fail, &[])])),
        ),
        poll("api", NOW - 5 * DAY + MIN, pass()),
        poll(
            "api",
            NOW - 2 * HOUR,
            Ok(doc(Word::Warn, &[("db", Word::Warn, &[])])),
        ),
        poll(
            "api",
            NOW - HOUR,
            Ok(doc(Word::Fail, &[("cache", Word::Fail, &[])])),
        ),
        poll("api", NOW - 30 * MIN, pass()),
        poll("api", NOW - 10 * MIN, Err("connection refused")),
        poll("old", NOW - 3 * DAY, pass()),
    ];
    for p in &polls {
        assert!(
            s.record(&token, LEASE, std::slice::from_ref(p), 0)
                .await
                .unwrap()
        );
    }
    assert_eq!(s.count("fleet_polls").await.unwrap(), 11);
    // Day: -2h warn, -1h fail, -30m pass, -10m refused: 2 of 4. Week adds -6d 502, -5d fail,
    // -5d+1m pass: 3 of 7. Month adds -20d pass and -20d+1m timeout: 4 of 9; -40d is outside.
    assert_eq!(
        s.uptime("api", NOW).await.unwrap(),
        Uptime {
            day: Some(2.0 / 4.0),
            week: Some(3.0 / 7.0),
            month: Some(4.0 / 9.0),
        }
    );
    assert_eq!(
        s.uptime("old", NOW).await.unwrap(),
        Uptime {
            day: None,
            week: Some(1.0),
            month: Some(1.0),
        }
    );
    assert_eq!(s.uptime("idle", NOW).await.unwrap(), Uptime::default());
    let incidents = s.incidents("api", 100).await.unwrap();
    let want = [
        (NOW - 10 * MIN, None, vec!["poll"]),
        (NOW - HOUR, Some(NOW - 30 * MIN), vec!["cache"]),
        (
            NOW - 20 * DAY + MIN,
            Some(NOW - 5 * DAY + MIN),
            vec!["db", "poll"],
        ),
        (NOW - 40 * DAY, Some(NOW - 20 * DAY), vec!["poll"]),
    ]
    .map(|(started, ended, checks)| Incident {
        started_at_ms: started,
        ended_at_ms: ended,
        checks: checks.into_iter().map(str::to_owned).collect(),
    });
    assert_eq!(incidents, want);
    assert_eq!(incidents[2].duration_ms(NOW), 15 * DAY);
    assert_eq!(incidents[0].duration_ms(NOW), 10 * MIN);
    // The stored incidents are what replaying the polls gives.
    let api: Vec<_> = polls
        .iter()
        .filter(|p| p.target == "api")
        .cloned()
        .collect();
    assert_eq!(vitals_module_fleet::incidents::fold(&api), want);

    let fleet = s
        .fleet_document(&[target("api"), target("idle")], NOW, true)
        .await
        .unwrap();
    let api = &fleet.targets[0];
    assert_eq!(api.status, Some(Word::Fail));
    assert_eq!(api.polled_at_ms, Some(NOW - 10 * MIN));
    assert_eq!(api.poll_error.as_deref(), Some("connection refused"));
    assert_eq!(api.service.as_ref().unwrap().version, "1.2.3");
    assert_eq!(api.checks.len(), 1, "the last document's checks stay");
    assert_eq!(api.incidents, want);
    let idle = &fleet.targets[1];
    assert_eq!((idle.status, idle.polled_at_ms), (None, None));
    assert!(idle.checks.is_empty() && idle.incidents.is_empty());
    let anonymous = s
        .fleet_document(&[target("api")], NOW, false)
        .await
        .unwrap();
    assert!(!anonymous.details);
    assert_eq!(anonymous.targets[0].poll_error, None);
    assert_eq!(anonymous.targets[0].checks[0].reason, None);
    the_three_reads_agree(&s, &["api", "old", "idle"], NOW).await;
}

/// The fleet page's summary (a query each for every target's state, uptime and incidents) is
/// the whole document without the checks' readings, and one target's document is its part of
/// the whole: with details and without.
async fn the_three_reads_agree(s: &FleetStore, names: &[&str], now: u64) {
    let targets: Vec<Target> = names.iter().map(|n| target(n)).collect();
    for details in [true, false] {
        let mut whole = s.fleet_document(&targets, now, details).await.unwrap();
        for (i, t) in targets.iter().enumerate() {
            let one = s.target_document(t, now, details).await.unwrap();
            assert_eq!(one.targets, [whole.targets[i].clone()], "{}", t.name);
            assert_eq!(
                (one.generated_at_ms, one.details, one.unavailable),
                (now, details, false)
            );
            assert_eq!(
                whole.targets[i].uptime,
                s.uptime(&t.name, now).await.unwrap()
            );
        }
        for t in &mut whole.targets {
            for c in &mut t.checks {
                c.readings.clear();
            }
        }
        let summary = s.fleet_summary(&targets, now, details).await.unwrap();
        assert_eq!(summary, whole, "details {details}");
    }
}

on_both!(the_summary_reads_each_targets_newest_incidents);
async fn the_summary_reads_each_targets_newest_incidents(backend: Backend) {
    let (_db, s, token) = holding(backend, "summary").await;
    let polls = [
        poll(
            "api",
            NOW - HOUR,
            Ok(doc(
                Word::Pass,
                &[("db", Word::Pass, &[(NOW - HOUR, Word::Pass)])],
            )),
        ),
        poll("web", NOW - HOUR, Err("connection refused")),
    ];
    assert!(s.record(&token, LEASE, &polls, 0).await.unwrap());
    // 105 ended incidents of api and 3 of web, besides web's open one; then one more of api
    // started with its sixth (a tie at the 100th newest: the one stored last is newer); and 2
    // of a target no longer configured, one unreadable.
    let at = |i: u64| NOW - 2 * DAY + i * MIN;
    let mut values = Vec::new();
    for (name, n) in [("api", 105), ("web", 3)] {
        for i in 0..n {
            values.push(format!(
                "('{name}', {}, {}, '[\"poll\"]')",
                at(i),
                at(i) + 1_000
            ));
        }
    }
    values.push(format!("('api', {}, {}, '[\"db\"]')", at(5), at(5) + 2_000));
    values.push(format!("('gone', {}, NULL, '[\"poll\"]')", at(1)));
    values.push(format!("('gone', {}, NULL, 'not json')", at(2)));
    s.connection()
        .execute_unprepared(&format!(
            "INSERT INTO fleet_incidents (target, started_at_ms, ended_at_ms, checks) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
    let summary = s
        .fleet_summary(&[target("api"), target("web")], NOW, true)
        .await
        .unwrap();
    assert_eq!(summary.targets.len(), 2);
    let api = &summary.targets[0].incidents;
    assert_eq!(api.len(), vitals_module_fleet::INCIDENTS_PER_TARGET);
    let starts: Vec<u64> = api.iter().map(|i| i.started_at_ms).collect();
    let newest: Vec<u64> = (5..105).rev().map(at).collect();
    assert_eq!(starts, newest);
    assert_eq!(api[99].ended_at_ms, Some(at(5) + 2_000));
    assert_eq!(api[99].checks, ["db"]);
    assert_eq!(api, &s.incidents("api", 100).await.unwrap());
    let web = &summary.targets[1].incidents;
    assert_eq!(web.len(), 4);
    assert_eq!(
        (web[0].started_at_ms, web[0].ended_at_ms),
        (NOW - HOUR, None)
    );
    assert_eq!(web[0].checks, ["poll"]);
    assert_eq!(web, &s.incidents("web", 100).await.unwrap());
    the_three_reads_agree(&s, &["api", "web"], NOW).await;
}

on_both!(readings_polled_twice_are_kept_once_and_the_last_120_shown);
async fn readings_polled_twice_are_kept_once_and_the_last_120_shown(backend: Backend) {
    let (_db, s, token) = holding(backend, "readings").await;
    let readings = |from: u64, to: u64| -> Vec<(u64, Word)> {
        (from..=to)
            .map(|i| (i * 1_000, if i % 10 == 0 { Word::Fail } else { Word::Pass }))
            .collect()
    };
    let (db1, cache) = (readings(1, 130), readings(1, 3));
    let d = doc(
        Word::Pass,
        &[("db", Word::Pass, &db1), ("cache", Word::Pass, &cache)],
    );
    for at in [NOW, NOW + 1_000] {
        assert!(
            s.record(&token, LEASE, &[poll("api", at, Ok(d.clone()))], 0)
                .await
                .unwrap()
        );
    }
    assert_eq!(s.count("fleet_readings").await.unwrap(), 133);
    let db2 = readings(2, 131);
    let d = doc(
        Word::Pass,
        &[("db", Word::Pass, &db2), ("cache", Word::Pass, &cache)],
    );
    assert!(
        s.record(&token, LEASE, &[poll("api", NOW + 2_000, Ok(d))], 0)
            .await
            .unwrap()
    );
    assert_eq!(s.count("fleet_readings").await.unwrap(), 134);
    assert_eq!(s.count("fleet_polls").await.unwrap(), 3);

    let fleet = s
        .fleet_document(&[target("api")], NOW + 3_000, true)
        .await
        .unwrap();
    let checks = &fleet.targets[0].checks;
    assert_eq!(
        checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["db", "cache"]
    );
    let shown: Vec<u64> = checks[0].readings.iter().map(|r| r.at_ms).collect();
    assert_eq!(shown, (12..=131).map(|i| i * 1_000).collect::<Vec<_>>());
    assert_eq!(checks[0].readings[8].status, Word::Fail); // 20 s
    assert_eq!(checks[0].readings[0].reason.as_deref(), Some("why 12000"));
    assert_eq!(checks[0].readings[0].duration_seconds, 0.25);
    assert_eq!(checks[1].readings.len(), 3);
    let anonymous = s
        .fleet_document(&[target("api")], NOW + 3_000, false)
        .await
        .unwrap();
    let c = &anonymous.targets[0].checks[0];
    assert!(c.reason.is_none() && c.readings.iter().all(|r| r.reason.is_none()));
    assert_eq!(c.readings.len(), 120);
}

on_both!(retention_prunes_polls_readings_and_ended_incidents);
async fn retention_prunes_polls_readings_and_ended_incidents(backend: Backend) {
    let (_db, s, token) = holding(backend, "retention").await;
    let polls = [
        poll("api", 1_000, Err("connection refused")),
        poll(
            "api",
            2_000,
            Ok(doc(
                Word::Pass,
                &[("db", Word::Pass, &[(500, Word::Pass), (5_000, Word::Pass)])],
            )),
        ),
        poll("api", 10_000, Err("connection refused")),
    ];
    for p in &polls {
        assert!(
            s.record(&token, LEASE, std::slice::from_ref(p), 0)
                .await
                .unwrap()
        );
    }
    assert_eq!(s.count("fleet_polls").await.unwrap(), 3);
    assert_eq!(s.count("fleet_readings").await.unwrap(), 2);
    assert_eq!(s.count("fleet_incidents").await.unwrap(), 2);
    let last = poll("api", 20_000, Err("connection refused"));
    assert!(s.record(&token, LEASE, &[last], 3_000).await.unwrap());
    assert_eq!(
        s.count("fleet_polls").await.unwrap(),
        2,
        "10 s and 20 s stay"
    );
    assert_eq!(s.count("fleet_readings").await.unwrap(), 1, "5 s stays");
    let incidents = s.incidents("api", 10).await.unwrap();
    assert_eq!(
        incidents,
        [Incident {
            started_at_ms: 10_000,
            ended_at_ms: None,
            checks: vec!["poll".into()],
        }],
        "the ended one went; the open one stays whatever its age"
    );
}

on_both!(only_the_lease_holder_writes);
async fn only_the_lease_holder_writes(backend: Backend) {
    let db = fresh_db(backend, "lease").await;
    let (a, b) = (store(&db.url).await, store(&db.url).await);
    let (ta, tb) = (new_token(), new_token());
    assert!(a.claim(&ta, LEASE).await.unwrap());
    assert!(!b.claim(&tb, LEASE).await.unwrap());
    assert!(a.claim(&ta, LEASE).await.unwrap(), "the holder renews");
    let p = || [poll("api", NOW, Ok(doc(Word::Pass, &[])))];
    assert!(!b.record(&tb, LEASE, &p(), 0).await.unwrap());
    assert_eq!(a.count("fleet_polls").await.unwrap(), 0);
    assert!(a.record(&ta, LEASE, &p(), 0).await.unwrap());
    assert_eq!(a.count("fleet_polls").await.unwrap(), 1);
    // A short lease expires; the other takes over, and the late holder's write is refused.
    assert!(a.claim(&ta, Duration::from_millis(200)).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(b.claim(&tb, LEASE).await.unwrap());
    assert!(!a.record(&ta, LEASE, &p(), 0).await.unwrap());
    assert!(!a.claim(&ta, LEASE).await.unwrap());
    assert_eq!(a.count("fleet_polls").await.unwrap(), 1);
    assert!(b.record(&tb, LEASE, &p(), 0).await.unwrap());
    assert_eq!(b.count("fleet_polls").await.unwrap(), 2);
    // Released: taken at once.
    b.release(&tb).await.unwrap();
    assert!(a.claim(&ta, LEASE).await.unwrap());
    assert_eq!(a.count("fleet_lease").await.unwrap(), 1);
}

/// [`holding`], with `n` readings of `api` stamped 1 ms, 2 ms … after the epoch (all past any
/// retention), written by a cycle that prunes nothing.
async fn with_old_readings(
    backend: Backend,
    tag: &str,
    n: u64,
) -> (common::TestDb, FleetStore, String) {
    let (db, s, token) = holding(backend, tag).await;
    let old: Vec<(u64, Word)> = (1..=n).map(|at| (at, Word::Pass)).collect();
    let d = doc(Word::Pass, &[("db", Word::Pass, &old)]);
    assert!(
        s.record(&token, LEASE, &[poll("api", 1, Ok(d))], 0)
            .await
            .unwrap()
    );
    (db, s, token)
}

on_both!(a_backlog_is_pruned_a_bounded_number_of_rows_per_cycle);
async fn a_backlog_is_pruned_a_bounded_number_of_rows_per_cycle(backend: Backend) {
    let backlog = PRUNED_PER_CYCLE as u64 * 3 / 2;
    let (_db, s, token) = with_old_readings(backend, "backlog", backlog).await;
    assert_eq!(s.count("fleet_readings").await.unwrap(), backlog as i64);
    // The retention drops them all: one cycle removes at most PRUNED_PER_CYCLE, the next the rest.
    let cycle = |at| poll("api", at, Ok(doc(Word::Pass, &[])));
    assert!(s.record(&token, LEASE, &[cycle(NOW)], NOW).await.unwrap());
    assert_eq!(
        s.count("fleet_readings").await.unwrap(),
        backlog as i64 - PRUNED_PER_CYCLE
    );
    assert!(
        s.record(&token, LEASE, &[cycle(NOW + 1)], NOW)
            .await
            .unwrap()
    );
    assert_eq!(s.count("fleet_readings").await.unwrap(), 0);
    assert_eq!(
        s.count("fleet_polls").await.unwrap(),
        2,
        "the old poll went"
    );
}

on_both!(a_cycle_that_adds_many_readings_prunes_twice_as_many);
async fn a_cycle_that_adds_many_readings_prunes_twice_as_many(backend: Backend) {
    let backlog = 23_000;
    let (_db, s, token) = with_old_readings(backend, "prune_rate", backlog).await;
    // A fleet whose cycle adds 6,000 readings: the retention removes 12,000 old ones at this
    // cycle, not 10,000, and so keeps ahead of what the fleet adds.
    let fresh: Vec<(u64, Word)> = (0..6_000).map(|i| (NOW - i, Word::Pass)).collect();
    let d = doc(Word::Pass, &[("db", Word::Pass, &fresh)]);
    let cycle = |at| poll("api", at, Ok(d.clone()));
    let cutoff = NOW - 10_000;
    assert!(
        s.record(&token, LEASE, &[cycle(NOW)], cutoff)
            .await
            .unwrap()
    );
    let old = backlog as i64 - 12_000;
    assert_eq!(s.count("fleet_readings").await.unwrap(), old + 6_000);
    // The same 6,000 readings sent again add nothing: 10,000 old ones go, not 12,000.
    assert!(
        s.record(&token, LEASE, &[cycle(NOW + 1)], cutoff)
            .await
            .unwrap()
    );
    assert_eq!(
        s.count("fleet_readings").await.unwrap(),
        old - PRUNED_PER_CYCLE + 6_000
    );
}

on_both!(a_database_migrated_by_a_newer_collector_is_left_as_it_is);
async fn a_database_migrated_by_a_newer_collector_is_left_as_it_is(backend: Backend) {
    let db = fresh_db(backend, "newer").await;
    let s = store(&db.url).await;
    s.connection()
        .execute_unprepared(
            "INSERT INTO vitals_fleet_migrations (version, applied_at)
             VALUES ('m9999_from_a_newer_collector', 0)",
        )
        .await
        .unwrap();
    // As after a rollback: this collector knows every migration but the newer one.
    let older = store(&db.url).await;
    let token = new_token();
    assert!(older.claim(&token, LEASE).await.unwrap());
    assert!(
        older
            .record(
                &token,
                LEASE,
                &[poll("api", NOW, Ok(doc(Word::Pass, &[])))],
                0
            )
            .await
            .unwrap()
    );
    assert_eq!(older.count("fleet_polls").await.unwrap(), 1);
}

on_both!(readings_stamped_far_ahead_or_past_the_retention_are_not_kept);
async fn readings_stamped_far_ahead_or_past_the_retention_are_not_kept(backend: Backend) {
    let (_db, s, token) = holding(backend, "ahead").await;
    // A service's clock a minute ahead is kept; a reading a day ahead would never be pruned and
    // would stand as the latest one; one older than the retention would be pruned at once.
    let readings = [
        (NOW - 2 * DAY, Word::Fail),
        (NOW - MIN, Word::Pass),
        (NOW + MIN, Word::Pass),
        (NOW + DAY, Word::Fail),
        (i64::MAX as u64, Word::Fail),
    ];
    let d = doc(Word::Pass, &[("db", Word::Pass, &readings)]);
    assert!(
        s.record(&token, LEASE, &[poll("api", NOW, Ok(d))], NOW - DAY)
            .await
            .unwrap()
    );
    let fleet = s.fleet_document(&[target("api")], NOW, true).await.unwrap();
    let kept: Vec<u64> = fleet.targets[0].checks[0]
        .readings
        .iter()
        .map(|r| r.at_ms)
        .collect();
    assert_eq!(kept, [NOW - MIN, NOW + MIN]);
}

on_both!(an_incident_never_ends_before_it_started);
async fn an_incident_never_ends_before_it_started(backend: Backend) {
    let (_db, s, token) = holding(backend, "skew").await;
    // Opened by a collector; closed by the next holder, whose clock is five seconds behind.
    let polls = [
        poll("api", NOW, Err("connection refused")),
        poll("api", NOW - 5_000, Ok(doc(Word::Pass, &[]))),
    ];
    for p in &polls {
        assert!(
            s.record(&token, LEASE, std::slice::from_ref(p), 0)
                .await
                .unwrap()
        );
    }
    let want = [Incident {
        started_at_ms: NOW,
        ended_at_ms: Some(NOW),
        checks: vec!["poll".into()],
    }];
    assert_eq!(s.incidents("api", 10).await.unwrap(), want);
    assert_eq!(vitals_module_fleet::incidents::fold(&polls), want);
}

#[tokio::test]
async fn the_open_incident_and_the_prune_of_ended_ones_are_read_by_index() {
    use sea_orm::ConnectionTrait;
    let db = fresh_db(Backend::Sqlite, "plans").await;
    drop(store(&db.url).await);
    let s = FleetStore::connect(&db.url, Duration::from_secs(10))
        .await
        .unwrap();
    let plan = |sql: &str| {
        let sql = format!("EXPLAIN QUERY PLAN {sql}");
        let conn = s.connection();
        async move {
            let rows = conn
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    sql,
                ))
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.try_get::<String>("", "detail").unwrap())
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let open = plan(
        "SELECT id, checks FROM fleet_incidents WHERE target = 'api' AND ended_at_ms IS NULL \
         ORDER BY started_at_ms DESC LIMIT 1",
    )
    .await;
    assert!(open.contains("fleet_incidents_open"), "{open}");
    let ended = plan(
        "SELECT rowid FROM fleet_incidents WHERE ended_at_ms IS NOT NULL AND ended_at_ms < 5 \
         LIMIT 10",
    )
    .await;
    assert!(ended.contains("fleet_incidents_ended"), "{ended}");
}

#[tokio::test]
async fn a_document_of_many_reads_is_bounded_as_a_whole() {
    let db = fresh_db(Backend::Sqlite, "whole").await;
    let s = store(&db.url).await;
    let token = new_token();
    assert!(s.claim(&token, LEASE).await.unwrap());
    // One read per check: 2,000 of them take far longer together than one read's deadline.
    let names: Vec<String> = (0..2_000).map(|i| format!("c{i}")).collect();
    let checks: Vec<_> = names
        .iter()
        .map(|n| (n.as_str(), Word::Pass, &[][..]))
        .collect();
    let d = doc(Word::Pass, &checks);
    assert!(
        s.record(&token, LEASE, &[poll("api", NOW, Ok(d))], 0)
            .await
            .unwrap()
    );
    let quick = FleetStore::connect(&db.url, Duration::from_millis(50))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let read = quick.fleet_document(&[target("api")], NOW, true).await;
    assert!(
        matches!(read, Err(vitals_module_fleet::StoreError::Deadline(d)) if d == Duration::from_millis(100)),
        "{:?}",
        read.map(|d| d.targets[0].checks.len())
    );
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

on_both!(concurrent_migrations_in_one_process_both_succeed);
async fn concurrent_migrations_in_one_process_both_succeed(backend: Backend) {
    // The poll loop's first cycle and a page read at start-up.
    let db = fresh_db(backend, "migrate").await;
    let s = FleetStore::connect(&db.url, Duration::from_secs(10))
        .await
        .unwrap();
    let (a, b, c) = tokio::join!(s.migrate(), s.migrate(), s.migrate());
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    assert_eq!(s.count("fleet_lease").await.unwrap(), 0);
}

on_both!(two_collectors_migrating_at_once_both_succeed);
async fn two_collectors_migrating_at_once_both_succeed(backend: Backend) {
    let db = fresh_db(backend, "migrate2").await;
    let connect = || FleetStore::connect(&db.url, Duration::from_secs(10));
    let (a, b) = (connect().await.unwrap(), connect().await.unwrap());
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    assert!(ra.is_ok() && rb.is_ok(), "{ra:?} {rb:?}");
}
