//! The `vitals` reference binary, run as a process: configuration, probes, signals.
use std::time::Duration;
use vitals_judges::{
    ChildGuard, assert_promtool_clean, free_addr, get, parsed_value, postgres_url,
};
use vitals_judges::{python_parse, sqlite_url, wait_until_up};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

async fn ready_body(base: &str) -> serde_json::Value {
    let resp = get(&format!("{base}/ready")).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    serde_json::from_slice(&resp.body).unwrap()
}

#[tokio::test]
async fn serves_probes_on_sqlite_and_exits_zero_on_sigterm() {
    let addr = free_addr().to_string();
    let url = sqlite_url("sigterm");
    let child = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &addr),
            ("DATABASE_URL", &url),
            ("VITALS_DETAILS", "always"),
        ],
    );
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(20)).await;
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);
    let body = ready_body(&base).await;
    assert_eq!(body["checks"]["db"][0]["status"], "pass");
    assert_eq!(body["checks"]["db"][0]["details"]["backend"], "sqlite");
    for _ in 0..5 {
        assert_eq!(get(&format!("{base}/unknown/path")).await.status, 404);
    }
    let scrape = get(&format!("{base}/metrics")).await;
    assert_eq!(scrape.status, 200);
    assert_promtool_clean(&scrape.text());
    let samples = python_parse(&scrape.text());
    let unmatched = [
        ("method", "GET"),
        ("route", "<unmatched>"),
        ("status", "404"),
    ];
    assert_eq!(
        parsed_value(&samples, "http_server_requests_total", &unmatched),
        Some(5.0)
    );
    assert_eq!(
        parsed_value(&samples, "vitals_health_check_status", &[("check", "db")]),
        Some(1.0)
    );
    child.signal("TERM");
    let (code, stderr) = child.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
}

#[tokio::test]
async fn bad_configuration_fails_at_start_naming_the_variable() {
    let table = [
        ("VITALS_BIND", "nowhere", "invalid VITALS_BIND \"nowhere\""),
        (
            "DATABASE_URL",
            "mongodb://x",
            "invalid DATABASE_URL \"mongodb://x\"",
        ),
        (
            "VITALS_CHECK_TIMEOUT",
            "fast",
            "invalid VITALS_CHECK_TIMEOUT \"fast\"",
        ),
        ("RUST_LOG", "[[[", "invalid RUST_LOG \"[[[\""),
        (
            "VITALS_SIGNALS_REDIS_URL",
            "http://cache:6379",
            "invalid VITALS_SIGNALS_REDIS_URL \"http://cache:6379\"",
        ),
    ];
    for (var, value, want) in table {
        let child = ChildGuard::spawn(BIN, &[(var, value)]);
        let (code, stderr) = child.wait_exit(Duration::from_secs(10));
        assert_eq!(code, Some(64), "{var}: {stderr}");
        assert!(stderr.contains(want), "{var}: {stderr}");
    }
}

#[tokio::test]
async fn bad_database_url_fails_at_start_with_the_password_masked() {
    for url in [
        "oracle://vitals:hunter2@127.0.0.1:5432/vitals",
        "vitals:hunter2@127.0.0.1/vitals",
    ] {
        let child = ChildGuard::spawn(
            BIN,
            &[("DATABASE_URL", url), ("VITALS_BIND", "127.0.0.1:0")],
        );
        let (code, stderr) = child.wait_exit(Duration::from_secs(30));
        assert_eq!(code, Some(64), "{stderr}");
        assert!(stderr.contains("invalid DATABASE_URL"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

#[tokio::test]
async fn ready_includes_the_postgres_db_check() {
    let addr = free_addr().to_string();
    let pg = postgres_url();
    let child = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &addr),
            ("DATABASE_URL", &pg),
            ("VITALS_DETAILS", "always"),
        ],
    );
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(20)).await;
    let body = ready_body(&base).await;
    assert_eq!(body["checks"]["db"][0]["status"], "pass");
    assert_eq!(body["checks"]["db"][0]["details"]["backend"], "postgres");
    assert!(
        body["checks"]["db"][0]["details"]["pool_max"]
            .as_u64()
            .unwrap()
            >= 1
    );
    child.signal("TERM");
    let (code, stderr) = child.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let addr = free_addr().to_string();
    let url = sqlite_url("json");
    let child = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &addr),
            ("DATABASE_URL", &url),
            ("VITALS_LOG_FORMAT", "json"),
        ],
    );
    wait_until_up(&format!("http://{addr}/healthz"), Duration::from_secs(20)).await;
    child.signal("TERM");
    let (code, stdout, stderr) = child.wait_output(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "serving"),
        "{stdout}"
    );
    assert!(lines.iter().all(|l| l["level"].is_string()));
}
