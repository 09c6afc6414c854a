//! The SQL checker against real servers: the project's PostgreSQL (`VITALS_TEST_DATABASE_URL`)
//! and a MariaDB of the test's own. Healthy with the server's version in details; unhealthy and
//! named (password masked, the driver's texts included) when the port is closed, the password is
//! wrong, the server is killed, or it stops answering (a silent listener, a SIGSTOPped MariaDB:
//! within the timeout, the connection dropped); an unparseable URL refused, masked.
use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, HealthChecker, HealthStatus};
use vitals_judges::{MARIADB_PASSWORD, TempMariadb, TempPostgres, free_addr, postgres_url};
use vitals_module_checks::{SqlCheck, sql};

/// The MariaDB runs' timeout: wide enough for a first connection on a busy machine (their
/// healthy runs come first), the listener's is 300 ms.
const TIMEOUT: Duration = Duration::from_secs(1);
const SHORT: Duration = Duration::from_millis(300);

fn assert_healthy(outcome: &CheckOutcome) -> (String, f64) {
    assert_eq!(
        outcome.status(),
        HealthStatus::Healthy,
        "{:?}",
        outcome.error()
    );
    let d = outcome.details();
    let seconds = d["seconds"].as_f64().unwrap();
    assert!(seconds > 0.0 && seconds < 1.0, "{seconds}");
    (d["server_version"].as_str().unwrap().to_owned(), seconds)
}

/// Runs the check, asserts it is unhealthy, and returns its reason and how long it took.
async fn unhealthy(check: &SqlCheck) -> (String, Duration) {
    let started = Instant::now();
    let outcome = check.check().await;
    let took = started.elapsed();
    assert_eq!(outcome.status(), HealthStatus::Unhealthy);
    assert!(outcome.details().is_empty(), "{:?}", outcome.details());
    (outcome.error().unwrap().to_owned(), took)
}

fn assert_within(timeout: Duration, took: Duration) {
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(500),
        "bounded by the timeout: {took:?}"
    );
}

/// The URL's `host:port/db` part.
fn place(url: &str) -> &str {
    url.rsplit('@').next().unwrap()
}

#[tokio::test]
async fn a_live_postgres_is_healthy_with_its_version_in_details() {
    let url = postgres_url();
    let check = sql(&url).unwrap();
    assert_eq!(check.name(), "postgres");
    let (version, first) = assert_healthy(&check.check().await);
    assert!(version.starts_with("PostgreSQL "), "{version}");
    // The same server: its version as psql reads it.
    let psql = Command::new("psql")
        .args([url.as_str(), "-At", "-c", "SELECT version()"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&psql.stdout).trim(), version);
    let (again, reused) = assert_healthy(&check.check().await);
    assert_eq!(again, version);
    eprintln!("postgres: first run {first:.4} s, on its open connection {reused:.4} s");
}

#[tokio::test]
async fn a_restarted_postgres_is_healthy_again_at_the_next_run() {
    let pg = TempPostgres::start();
    let check = sql(&pg.url()).unwrap();
    let (version, _) = assert_healthy(&check.check().await);
    // The kept connection is cut by the restart: the same run opens a new one.
    pg.stop();
    pg.resume();
    let (again, _) = assert_healthy(&check.check().await);
    assert_eq!(again, version);
}

#[tokio::test]
async fn a_closed_port_is_unhealthy_with_the_url_masked() {
    let port = free_addr().port();
    let check = sql(&format!("postgres://app:pg-s3cret@127.0.0.1:{port}/orders")).unwrap();
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(
        reason,
        format!("postgres postgres://127.0.0.1:{port}/orders: Connection refused (os error 111)")
    );
    assert!(
        took < Duration::from_millis(200),
        "refused at once: {took:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_unhealthy_without_showing_it() {
    let url = postgres_url();
    let (user, _) = url["postgres://".len()..].split_once(':').unwrap();
    let wrong = format!("postgres://{user}:wrong-s3cret@{}", place(&url));
    let (reason, _) = unhealthy(&sql(&wrong).unwrap()).await;
    assert_eq!(
        reason,
        format!(
            "postgres postgres://{}: password authentication failed for user \"{user}\"",
            place(&url)
        )
    );
    // The same in a `password=` option, percent-encoded.
    let option = format!("postgres://{user}@{}?password=wrong%2Ds3cret", place(&url));
    let (reason, _) = unhealthy(&sql(&option).unwrap()).await;
    assert!(!reason.contains("s3cret"), "{reason}");
    assert!(reason.contains("?password=***:"), "{reason}");
}

#[tokio::test]
async fn a_listener_that_never_answers_is_unhealthy_within_the_timeout_and_let_go() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts, reads what the driver sends, answers nothing; tells when the driver hung up.
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 256];
        let mut got = 0;
        loop {
            match socket.read(&mut buf) {
                Ok(0) => return Ok(got),
                Ok(n) => got += n,
                Err(e) => return Err(e.kind()),
            }
        }
    });
    let check = sql(&format!("postgres://app:pg-s3cret@127.0.0.1:{port}/orders"))
        .unwrap()
        .timeout(SHORT);
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(
        reason,
        format!("postgres postgres://127.0.0.1:{port}/orders: no connection within 300ms")
    );
    assert_within(SHORT, took);
    // The driver's request (8 bytes: TLS first) was read, and its connection closed at once:
    // nothing of the run goes on after it returned.
    let waited = Instant::now();
    assert_eq!(server.join().unwrap(), Ok(8));
    assert!(waited.elapsed() < Duration::from_millis(500));
}

#[test]
fn an_unparseable_or_foreign_url_is_refused_with_its_password_masked() {
    let e = sql("postgres://app:s3cret@db:notaport/x")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("health check \"postgres\" refused: postgres://db:notaport/x: "),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
    let e = sql("host=db user=app password=s3cret dbname=orders")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "health check \"sql\" refused: <not a URL; withheld>: must be a postgres://, \
         postgresql://, mysql:// or mariadb:// URL"
    );
    let e = sql("redis://:s3cret@cache:6379").unwrap_err().to_string();
    assert_eq!(
        e,
        "health check \"sql\" refused: redis://cache:6379: must be a postgres://, postgresql://, \
         mysql:// or mariadb:// URL"
    );
}

#[tokio::test]
async fn a_live_mariadb_is_healthy_with_its_version_in_details() {
    let db = TempMariadb::start();
    let check = sql(&db.url()).unwrap();
    assert_eq!(check.name(), "mysql");
    let (version, first) = assert_healthy(&check.check().await);
    assert!(version.contains("MariaDB"), "{version}");
    let cli = Command::new("mariadb")
        .args(["-h127.0.0.1", &format!("-P{}", db.port()), "-uvitals"])
        .arg(format!("-p{MARIADB_PASSWORD}"))
        .args(["-N", "-e", "SELECT version()"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), version);
    // The `mariadb://` spelling reaches the same server.
    let other = sql(&db.url().replace("mysql://", "mariadb://")).unwrap();
    let (same, _) = assert_healthy(&other.check().await);
    assert_eq!(same, version);
    let (_, reused) = assert_healthy(&check.check().await);
    eprintln!("mariadb: first run {first:.4} s, on its open connection {reused:.4} s");
}

#[tokio::test]
async fn a_stopped_mariadb_is_unhealthy_within_the_timeout_then_healthy_again() {
    let db = TempMariadb::start();
    let check = sql(&db.url()).unwrap().named("shop-db").timeout(TIMEOUT);
    assert_eq!(check.name(), "shop-db");
    assert_healthy(&check.check().await);
    let shown = format!("mysql mysql://127.0.0.1:{}/vitals", db.port());
    db.stop();
    // On the open connection: `SELECT 1` unanswered.
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(reason, format!("{shown}: no answer within 1s"));
    assert_within(TIMEOUT, took);
    // That connection was dropped: the next run connects, and the handshake never comes.
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(reason, format!("{shown}: no connection within 1s"));
    assert_within(TIMEOUT, took);
    db.resume();
    assert_healthy(&check.check().await);
}

#[tokio::test]
async fn a_killed_mariadb_is_unhealthy_and_named() {
    let db = TempMariadb::start();
    let check = sql(&db.url()).unwrap().timeout(TIMEOUT);
    assert_healthy(&check.check().await);
    db.kill();
    // The open connection fails, and a new one is refused.
    let (reason, took) = unhealthy(&check).await;
    assert_eq!(
        reason,
        format!(
            "mysql mysql://127.0.0.1:{}/vitals: Connection refused (os error 111)",
            db.port()
        )
    );
    assert!(!reason.contains(MARIADB_PASSWORD));
    assert!(took < TIMEOUT, "{took:?}");
}
