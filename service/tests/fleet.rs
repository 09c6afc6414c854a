//! The fleet view end to end: the real `vitals-collector` polling three real `vitals` services
//! (their `GET /status/history`), on SQLite and on PostgreSQL. One service is killed and
//! restarted: its incident appears, with a duration. Then the collector is killed (`kill -9`)
//! and started again: `/status/fleet` (history, uptime, incidents) is the same document. And the
//! collector killed at random moments while it polls and writes leaves whole cycles only.
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::time::{Duration, Instant};
use vitals_judges::{BrowserOptions, browser};
use vitals_judges::{
    ChildGuard, assert_promtool_clean, free_addr, get, postgres_url, sqlite_url, start_service,
    wait_until_up,
};

const SERVICE: &str = env!("CARGO_BIN_EXE_vitals");
const COLLECTOR: &str = env!("CARGO_BIN_EXE_vitals-collector");

/// A `vitals` service on `addr`, running its checks every 200 ms (so it has readings).
async fn service(name: &str, addr: &str) -> ChildGuard {
    let db = sqlite_url(&format!("fleet-svc-{name}-{}", free_addr().port()));
    let envs = [
        ("VITALS_BIND", addr),
        ("DATABASE_URL", db.as_str()),
        ("VITALS_BACKGROUND_INTERVAL", "200ms"),
        ("VITALS_MAX_STALENESS", "5s"),
        ("VITALS_SERVICE_NAME", name),
        ("VITALS_SERVICE_VERSION", "1.0.0"),
    ];
    let child = ChildGuard::spawn_quiet_with(SERVICE, &[], &envs);
    wait_until_up(&format!("http://{addr}/healthz"), Duration::from_secs(30)).await;
    child
}

async fn collector(targets: &str, db: &str) -> (ChildGuard, String) {
    let envs = [
        ("DATABASE_URL", db),
        ("VITALS_STATUS_TARGETS", targets),
        ("VITALS_STATUS_POLL_INTERVAL", "200ms"),
        ("VITALS_STATUS_POLL_TIMEOUT", "150ms"),
        ("VITALS_DETAILS", "always"),
    ];
    start_service(COLLECTOR, &envs).await
}

async fn fleet(base: &str) -> Value {
    let r = get(&format!("{base}/status/fleet")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// Polls the collector's document until `done` holds, for at most `limit`.
async fn until(base: &str, limit: Duration, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let doc = fleet(base).await;
        if done(&doc) {
            return doc;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {limit:?}: {doc:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn target<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
}

fn without_time(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("generated_at_ms");
    doc
}

/// The fleet page and beta's page in headless Chromium: every service with its uptime, beta's
/// incident with its duration and `poll`, under the page's policy (no violation, no error).
async fn in_a_browser(base: &str, lasted_ms: u64) {
    let load = |path: &str, name: &str| {
        let url = format!("{base}{path}");
        let opts = BrowserOptions::new(name).full_page();
        tokio::task::spawn_blocking(move || browser::load(&url, &opts))
    };
    let fleet = load("/status", "status-fleet").await.unwrap();
    let beta = load("/status/service/beta", "status-fleet-target")
        .await
        .unwrap();
    for page in [&fleet, &beta] {
        assert_eq!(page.status, 200);
        assert_eq!(
            page.header("content-security-policy"),
            Some(vitals_status::page::content_security_policy())
        );
        assert!(page.csp_violations().is_empty(), "{:#?}", page.console);
        assert!(page.console_errors().is_empty(), "{:#?}", page.console);
    }
    for name in ["alpha", "beta", "gamma"] {
        assert!(fleet.text.contains(name), "{name}: {}", fleet.text);
    }
    assert!(
        fleet.text.contains("100%"),
        "alpha's uptime: {}",
        fleet.text
    );
    // The incident's row: started, ended (not ongoing), its duration as the page spells it
    // (tenths of a second under ten seconds), and `poll` (beta did not answer).
    assert!(lasted_ms < 10_000, "{lasted_ms}");
    let duration = format!("{}.{}s", lasted_ms / 1000, lasted_ms % 1000 / 100);
    assert!(
        beta.text.contains(&duration) && beta.text.contains("poll"),
        "{duration} and poll in: {}",
        beta.text
    );
    assert!(!beta.text.contains("ongoing"), "{}", beta.text);
    println!(
        "fleet page: {} bytes, loaded in {:.0} ms; beta's page {} bytes; screenshots {} {}",
        fleet.body_bytes,
        fleet.load_ms,
        beta.body_bytes,
        fleet.screenshot.display(),
        beta.screenshot.display()
    );
}

/// The three services `alpha`, `beta`, `gamma`, and the `VITALS_STATUS_TARGETS` naming them.
async fn three_services() -> (Vec<ChildGuard>, Vec<String>, String) {
    let names = ["alpha", "beta", "gamma"];
    let addrs: Vec<String> = names.iter().map(|_| free_addr().to_string()).collect();
    let mut services = Vec::new();
    for (n, a) in names.iter().zip(&addrs) {
        services.push(service(n, a).await);
    }
    let targets = names
        .iter()
        .zip(&addrs)
        .map(|(n, a)| format!("{n}=http://{a}/status/history"))
        .collect::<Vec<_>>()
        .join(",");
    (services, addrs, targets)
}

async fn end_to_end(db_url: &str, browse: bool) {
    let names = ["alpha", "beta", "gamma"];
    let (mut services, addrs, targets) = three_services().await;
    let (first, base) = collector(&targets, db_url).await;
    until(
        &base,
        Duration::from_secs(15),
        "every target passing",
        |d| names.iter().all(|n| target(d, n)["status"] == "pass"),
    )
    .await;

    // beta goes away and comes back on the same address.
    let started = Instant::now();
    services[1] = ChildGuard::spawn_quiet("true", &[]); // drops (kills) the old one
    until(&base, Duration::from_secs(10), "beta's incident", |d| {
        let b = target(d, "beta");
        b["status"] == "fail" && b["incidents"][0]["ended_at_ms"].is_null()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    services[1] = service("beta", &addrs[1]).await;
    let doc = until(
        &base,
        Duration::from_secs(15),
        "beta's incident ended",
        |d| {
            let b = target(d, "beta");
            b["status"] == "pass" && b["incidents"][0]["ended_at_ms"].is_u64()
        },
    )
    .await;
    let beta = target(&doc, "beta");
    let incident = &beta["incidents"][0];
    let lasted =
        incident["ended_at_ms"].as_u64().unwrap() - incident["started_at_ms"].as_u64().unwrap();
    assert!(
        lasted >= 1500 && lasted <= started.elapsed().as_millis() as u64,
        "{incident}"
    );
    // `poll` while beta did not answer; a poll may also catch it restarted but not yet ready
    // (its checks not run yet: readiness fails), which the incident then names too.
    let checks = incident["checks"].as_array().unwrap();
    assert_eq!(checks[0], "poll", "{incident}");
    assert!(checks[1..].iter().all(|c| c == "readiness"), "{incident}");
    if browse {
        in_a_browser(&base, lasted).await;
    }
    let day = beta["uptime"]["day"].as_f64().unwrap();
    assert!(day > 0.0 && day < 1.0, "{day}");
    assert_eq!(target(&doc, "alpha")["uptime"]["day"], 1.0);
    assert!(
        target(&doc, "alpha")["incidents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let alpha_checks = target(&doc, "alpha")["checks"].as_array().unwrap();
    assert!(!alpha_checks.is_empty(), "{doc:#}");
    assert!(
        alpha_checks
            .iter()
            .all(|c| !c["readings"].as_array().unwrap().is_empty()),
        "every check carries the readings polled: {doc:#}"
    );
    assert_eq!(target(&doc, "gamma")["service"]["name"], "gamma");
    let metrics = get(&format!("{base}/metrics")).await.text();
    assert_promtool_clean(&metrics);
    for line in [
        "vitals_fleet_target_status{target=\"alpha\"} 1",
        "vitals_fleet_poller 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("vitals_fleet_polls_total{result=\"error\",target=\"beta\"}")
            || metrics.contains("vitals_fleet_polls_total{target=\"beta\",result=\"error\"}")
    );

    // Another holder takes the lease (as a second collector would): this one stops writing and
    // serves a document that no longer changes.
    let db = Database::connect(db_url).await.unwrap();
    db.execute_unprepared(
        "UPDATE fleet_lease SET holder = 'elsewhere', expires_at_ms = 9000000000000000",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = without_time(fleet(&base).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(without_time(fleet(&base).await), before, "no more writes");

    first.signal("KILL");
    drop(first);
    let (_second, base) = collector(&targets, db_url).await;
    let after = without_time(fleet(&base).await);
    assert_eq!(
        after, before,
        "the restarted collector serves the same history"
    );

    // The lease free again: the restarted collector polls on top of the same history.
    db.execute_unprepared("UPDATE fleet_lease SET expires_at_ms = 0")
        .await
        .unwrap();
    let polled = target(&before, "alpha")["polled_at_ms"].as_u64().unwrap();
    let later = until(&base, Duration::from_secs(10), "polling again", |d| {
        target(d, "alpha")["polled_at_ms"].as_u64().unwrap() > polled
    })
    .await;
    assert_eq!(
        target(&later, "beta")["incidents"][0],
        target(&before, "beta")["incidents"][0]
    );
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_restart_loses_no_history_on_sqlite() {
    end_to_end(
        &sqlite_url(&format!("fleet-collector-{}", free_addr().port())),
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_restart_loses_no_history_on_postgres() {
    on_fresh_postgres("vitals_fleet_e2e", |url| async move {
        end_to_end(&url, false).await
    })
    .await;
}

/// Runs `test` on a database of its own on the test PostgreSQL, dropped after.
async fn on_fresh_postgres<F, Fut>(tag: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let admin = postgres_url();
    let name = format!("{tag}_{}", std::process::id());
    let conn = Database::connect(&admin).await.unwrap();
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    conn.execute_unprepared(&drop).await.unwrap();
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (prefix, _) = admin.rsplit_once('/').unwrap();
    test(format!("{prefix}/{name}")).await;
    conn.execute_unprepared(&drop).await.unwrap();
}

/// Each target's number of stored polls, and the most open incidents any target has; nothing
/// while the fleet's tables are not there yet (a collector killed before its migrations
/// committed leaves none on PostgreSQL, where they run in one transaction, and may leave some
/// on SQLite: the next one creates the rest).
async fn stored(db: &sea_orm::DatabaseConnection) -> (Vec<i64>, i64) {
    let tables = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name IN ('fleet_polls', 'fleet_incidents')"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_name IN ('fleet_polls', 'fleet_incidents')"
        }
    };
    let count = |sql: &'static str| async move {
        db.query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64>("", "n").unwrap())
        .collect::<Vec<i64>>()
    };
    if count(tables).await != [2] {
        return (Vec::new(), 0);
    }
    let polls =
        count("SELECT COUNT(*) AS n FROM fleet_polls GROUP BY target ORDER BY target").await;
    let open = count(
        "SELECT COUNT(*) AS n FROM fleet_incidents WHERE ended_at_ms IS NULL GROUP BY target",
    )
    .await;
    (polls, open.into_iter().max().unwrap_or(0))
}

/// The collector started and killed (`kill -9`) eight times, each after a random 0.3–1.2 s, so
/// that kills land anywhere in its cycles, writes included: after every kill each cycle it wrote
/// is whole (every target polled as often as the others, the three written in one
/// transaction), no target has two incidents open, and nothing written before is lost.
async fn killed_while_writing(db_url: &str) {
    let (services, _, targets) = three_services().await;
    // beta down: its polls open an incident and fail, so every cycle writes one too.
    services[1].signal("KILL");
    let mut seed = u64::from(std::process::id()) ^ 0x9e37_79b9_7f4a_7c15;
    let mut written = 0;
    let mut kills = Vec::new();
    for _ in 0..8 {
        let (collector, _base) = collector(&targets, db_url).await;
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let after = Duration::from_millis(300 + (seed >> 33) % 900);
        tokio::time::sleep(after).await;
        collector.signal("KILL");
        drop(collector);
        kills.push(after.as_millis());
        let db = Database::connect(db_url).await.unwrap();
        let (polls, open) = stored(&db).await;
        db.close().await.unwrap();
        if !polls.is_empty() {
            assert_eq!(polls.len(), 3, "every target polled: {polls:?}");
            assert!(
                polls.iter().all(|n| *n == polls[0]),
                "a cycle written in part after kills at {kills:?} ms: {polls:?}"
            );
            assert!(
                polls[0] >= written,
                "polls lost: {} after {written}",
                polls[0]
            );
            written = polls[0];
        }
        assert!(open <= 1, "a target with {open} incidents open");
    }
    // Each collector waits out the killed one's lease (three intervals) before it polls.
    assert!(
        written >= 3,
        "{written} cycles written over 8 runs, killed at {kills:?} ms"
    );
    println!("killed at {kills:?} ms: {written} whole cycles written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_killed_while_writing_leaves_whole_cycles_on_sqlite() {
    killed_while_writing(&sqlite_url(&format!("fleet-killed-{}", free_addr().port()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_killed_while_writing_leaves_whole_cycles_on_postgres() {
    on_fresh_postgres("vitals_fleet_killed", |url| async move {
        killed_while_writing(&url).await
    })
    .await;
}
