//! `VITALS_CHECKS_FILE` with the `vitals` binary: a file declaring every kind against real
//! servers (Redis, a TCP port, the binary's own HTTP endpoint, the disk, this machine's memory)
//! gives `/ready?verbose` with every check `ok`; a bad entry exits 64 naming it and the field.
use std::time::Duration;
use vitals_judges::{ChildGuard, TempRedis, free_addr, get, sqlite_url, wait_until_up};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

fn file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vitals-checks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn every_kind_against_real_servers_is_ok_on_ready() {
    let redis = TempRedis::start();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bind = free_addr().to_string();
    let tmp = std::env::temp_dir();
    let checks = file(
        "all.toml",
        &format!(
            r#"
[[check]]
kind = "redis"
name = "cache"
target = "{redis}"

[[check]]
kind = "tcp"
name = "port"
target = "{tcp}"

[[check]]
kind = "http"
name = "self"
target = "http://{bind}/livez"
body_contains = "pass"

[[check]]
kind = "disk"
target = "{tmp}"
degraded_below = 0.0
unhealthy_below = 0.0

[[check]]
kind = "memory"
degraded_above = 1.0
unhealthy_above = 1.0
critical = false
"#,
            redis = redis.url(),
            tcp = tcp.local_addr().unwrap(),
            tmp = tmp.display(),
        ),
    );
    let db = sqlite_url("checks-file");
    let _service = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &bind),
            ("DATABASE_URL", &db),
            ("VITALS_CHECKS_FILE", &checks),
        ],
    );
    let base = format!("http://{bind}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    let ready = get(&format!("{base}/ready?verbose")).await;
    let text = ready.text();
    assert_eq!(ready.status, 200, "{text}");
    for name in ["cache", "port", "self", "disk", "memory"] {
        assert!(text.contains(&format!("[+]{name} ok")), "{name}: {text}");
    }
    // A dependency gone: readiness names it.
    redis.stop();
    let down = get(&format!("{base}/ready?verbose")).await;
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.text().contains("[-]cache failed"), "{}", down.text());
}

#[tokio::test]
async fn another_vitals_service_is_checked_through_its_readiness_with_failing_checks_named() {
    // Service B fails readiness on a port nobody listens on.
    let closed = free_addr().to_string();
    let b_checks = file(
        "b.toml",
        &format!("[[check]]\nkind = \"tcp\"\nname = \"gone\"\ntarget = \"{closed}\"\n"),
    );
    let b_bind = free_addr().to_string();
    let (b_db, a_db) = (sqlite_url("checks-b"), sqlite_url("checks-a"));
    let b = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &b_bind),
            ("DATABASE_URL", &b_db),
            ("VITALS_CHECKS_FILE", &b_checks),
        ],
    );
    wait_until_up(&format!("http://{b_bind}/healthz"), Duration::from_secs(30)).await;
    // Service A checks B's liveness (passing) and readiness (failing), not critically.
    let a_checks = file(
        "a.toml",
        &format!(
            "[[check]]\nkind = \"vitals\"\nname = \"b_live\"\ntarget = \"http://{b_bind}\"\ngroup = \"liveness\"\n\n\
             [[check]]\nkind = \"vitals\"\nname = \"b_ready\"\ntarget = \"http://{b_bind}\"\ncritical = false\n"
        ),
    );
    let a_bind = free_addr().to_string();
    let _a = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &a_bind),
            ("DATABASE_URL", &a_db),
            ("VITALS_CHECKS_FILE", &a_checks),
            ("VITALS_DETAILS", "always"),
        ],
    );
    let base = format!("http://{a_bind}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    let ready = get(&format!("{base}/ready")).await;
    let text = ready.text();
    assert_eq!(ready.status, 200, "degraded serves: {text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["checks"]["b_live"][0]["status"], "pass", "{text}");
    assert_eq!(
        doc["status"], "warn",
        "a non-critical failure degrades: {text}"
    );
    assert_eq!(doc["checks"]["b_ready"][0]["status"], "fail", "{text}");
    let output = doc["checks"]["b_ready"][0]["output"].as_str().unwrap();
    assert_eq!(
        output,
        format!("vitals http://{b_bind}/ready: HTTP 503, fail; failing: gone")
    );
    drop(b);
    let gone = get(&format!("{base}/ready")).await;
    let doc: serde_json::Value = serde_json::from_str(&gone.text()).unwrap();
    assert_eq!(
        doc["checks"]["b_live"][0]["status"],
        "fail",
        "{}",
        gone.text()
    );
}

#[test]
fn a_bad_entry_exits_64_naming_the_variable_the_entry_and_the_field() {
    let table = [
        (
            "[[check]]\nkind = \"ftp\"",
            "check 1: kind \"ftp\" is not one of",
        ),
        (
            "[[check]]\nkind = \"redis\"\nname = \"cache\"\ntarget = \"redis://:s3cret@cache:notaport\"",
            "check 1 (\"cache\"): target: ",
        ),
        (
            "[[check]]\nkind = \"disk\"\ntarget = \"/\"\nunhealthy_below = 2",
            "unhealthy_below 2: a share from 0 to 1",
        ),
    ];
    for (i, (text, want)) in table.iter().enumerate() {
        let path = file(&format!("bad-{i}.toml"), text);
        let (code, stderr) = ChildGuard::spawn(
            BIN,
            &[
                ("VITALS_BIND", &free_addr().to_string()),
                ("DATABASE_URL", &sqlite_url("checks-bad")),
                ("VITALS_CHECKS_FILE", &path),
            ],
        )
        .wait_exit(Duration::from_secs(20));
        assert_eq!(code, Some(64), "{stderr}");
        assert!(
            stderr.contains("invalid VITALS_CHECKS_FILE") && stderr.contains(&path),
            "{stderr}"
        );
        assert!(stderr.contains(want), "{want}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
}
