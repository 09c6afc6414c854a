//! `VITALS_CHECKS_FILE` with the `vitals` binary: a file declaring every kind against real
//! servers (Redis, PostgreSQL, MariaDB, dnsmasq, `openssl s_server` with a CA of the test's own,
//! NATS, RabbitMQ, a TCP port, the binary's own HTTP endpoint, the disk, this machine's memory,
//! another `vitals`) gives `/ready?verbose` with every check `ok`; a bad entry exits 64 naming it
//! and the field.
use std::time::{Duration, Instant};
use vitals_judges::{ChildGuard, TempDnsmasq, TempMariadb, TempNats, TempPki, TempRabbitmq};
use vitals_judges::{MARIADB_PASSWORD, RABBITMQ_PASSWORD, wait_until_up};
use vitals_judges::{TempRedis, free_addr, get, postgres_url, sqlite_url, tls_server};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

fn file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vitals-checks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Every kind of the checks file, each against its real server, and the name of its check.
#[tokio::test]
async fn every_kind_against_real_servers_is_ok_on_ready() {
    let started = Instant::now();
    // The slow ones boot side by side while the others start.
    let rabbitmq = std::thread::spawn(TempRabbitmq::start);
    let mariadb = std::thread::spawn(TempMariadb::start);
    let other_bind = free_addr().to_string();
    let other = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &other_bind),
            ("DATABASE_URL", &sqlite_url("checks-other")),
        ],
    );
    let redis = TempRedis::start();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dns = TempDnsmasq::start(&[("orders.vitals.test", &["10.1.2.3", "10.1.2.4"])]);
    let pki = TempPki::new();
    let (cert, key) = pki.leaf("localhost", 30, None);
    let (_tls, tls_addr) = tls_server(&cert, &key);
    let nats = TempNats::start_with_password("app", "n4ts-s3cret");
    let nats_url = nats.url().replace("nats://", "nats://app:n4ts-s3cret@");
    let (rabbitmq, mariadb) = (rabbitmq.join().unwrap(), mariadb.join().unwrap());
    let booted = started.elapsed();
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

[[check]]
kind = "vitals"
name = "other"
target = "http://{other_bind}"
timeout = "3s"

[[check]]
kind = "sql"
name = "pg"
target = "{postgres}"
timeout = "3s"

[[check]]
kind = "sql"
name = "maria"
target = "{mariadb}"
timeout = "3s"

[[check]]
kind = "dns"
name = "orders"
target = "orders.vitals.test."
server = "{dns}"
expect = "10.1.2.4"

[[check]]
kind = "tls"
name = "cert"
target = "{tls_addr}"
ca_file = "{ca}"
server_name = "localhost"
degraded_within = "7days"

[[check]]
kind = "tls_file"
name = "cert_file"
target = "{cert}"
degraded_within = "7days"

[[check]]
kind = "nats"
name = "bus"
target = "{nats_url}"
timeout = "3s"

[[check]]
kind = "rabbitmq"
name = "mq"
target = "{rabbitmq}"
timeout = "3s"
"#,
            redis = redis.url(),
            tcp = tcp.local_addr().unwrap(),
            tmp = tmp.display(),
            postgres = postgres_url(),
            mariadb = mariadb.url(),
            dns = dns.server(),
            ca = pki.ca().display(),
            cert = cert.display(),
            rabbitmq = rabbitmq.url(),
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
    wait_until_up(
        &format!("http://{other_bind}/healthz"),
        Duration::from_secs(30),
    )
    .await;
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    let ready = get(&format!("{base}/ready?verbose")).await;
    let text = ready.text();
    let names = [
        "cache",
        "port",
        "self",
        "disk",
        "memory",
        "other",
        "pg",
        "maria",
        "orders",
        "cert",
        "cert_file",
        "bus",
        "mq",
    ];
    // The binary's own checks (`ping`, `db`) beside the file's.
    let mut want: Vec<String> = ["ping", "db"]
        .iter()
        .chain(&names)
        .map(|n| format!("[+]{n} ok"))
        .collect();
    want.sort();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("[+]") || l.starts_with("[-]"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(lines, want, "{text}");
    assert_eq!(ready.status, 200, "{text}");
    for secret in ["n4ts-s3cret", MARIADB_PASSWORD, RABBITMQ_PASSWORD] {
        assert!(!text.contains(secret), "{text}");
    }
    eprintln!(
        "servers up in {booted:?}, every kind ok in {:?}",
        started.elapsed()
    );
    // What a healthy run of each kind took (the closing table of the checks' docs).
    let doc: serde_json::Value = serde_json::from_str(&get(&format!("{base}/ready")).await.text())
        .expect("the readiness document is JSON");
    for n in names {
        let took = doc["checks"][n][0]["duration"].as_f64();
        eprintln!("healthy run of {n}: {took:?} s");
    }
    // A dependency gone: readiness names it.
    redis.stop();
    let down = get(&format!("{base}/ready?verbose")).await;
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.text().contains("[-]cache failed"), "{}", down.text());
    drop(other);
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
            "check 1: kind \"ftp\" is not one of redis, tcp, http, disk, memory, vitals, sql, \
             dns, tls, tls_file, nats, rabbitmq",
        ),
        (
            "[[check]]\nkind = \"redis\"\nname = \"cache\"\ntarget = \"redis://:s3cret@cache:notaport\"",
            "check 1 (\"cache\"): target: redis://cache:notaport: Redis URL did not parse- \
             InvalidClientConfig",
        ),
        (
            "[[check]]\nkind = \"disk\"\ntarget = \"/\"\nunhealthy_below = 2",
            "check 1: unhealthy_below 2: a share from 0 to 1",
        ),
        (
            "[[check]]\nkind = \"sql\"\nname = \"orders\"\ntarget = \"oracle://app:s3cret@db/x\"",
            "check 1 (\"orders\"): target: oracle://db/x: must be a postgres://, postgresql://, \
             mysql:// or mariadb:// URL",
        ),
        (
            "[[check]]\nkind = \"dns\"\ntarget = \"orders.internal\"\nserver = \"ns1\"",
            "check 1: server: server \"ns1\" is not ip:port or an IP",
        ),
        (
            "[[check]]\nkind = \"tls\"\ntarget = \"api:443\"\ndegraded_within = \"soon\"",
            "check 1: degraded_within \"soon\": expected number at 0",
        ),
        (
            "[[check]]\nkind = \"tls_file\"\ntarget = \"/etc/cert.pem\"\nqueue = \"q\"",
            "check 1: queue does not apply to kind \"tls_file\"",
        ),
        (
            "[[check]]\nkind = \"nats\"\ntarget = \"nats://app:s3cret@bus:notaport\"",
            "check 1: target: nats://bus:notaport: NATS server URL is invalid: invalid port number",
        ),
        (
            "[[check]]\nkind = \"rabbitmq\"\ntarget = \"amqp://app:s3cret@mq:5672/%2f\"\nqueue = \"\"",
            "check 1: queue \"\": a queue name of 1 to 255 bytes",
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
        assert_eq!(
            stderr,
            format!("Invalid configuration: invalid VITALS_CHECKS_FILE {path:?}: {want}\n")
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
}
