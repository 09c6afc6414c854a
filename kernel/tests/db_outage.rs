//! PostgreSQL going away and coming back under a running `vitals`: readiness follows it within
//! one check timeout, liveness never moves, and no restart is needed.
use std::time::{Duration, Instant};
use vitals_testkit::{ChildGuard, TempPostgres, free_addr, get, wait_until_up};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

#[tokio::test]
async fn ready_follows_the_database_and_healthz_stays_up() {
    let pg = TempPostgres::start();
    let addr = free_addr().to_string();
    let url = pg.url();
    let _service = ChildGuard::spawn(
        BIN,
        &[
            ("VITALS_BIND", &addr),
            ("DATABASE_URL", &url),
            ("VITALS_CHECK_TIMEOUT", "1s"),
        ],
    );
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    assert_eq!(get(&format!("{base}/ready")).await.status, 200);

    pg.stop();
    let start = Instant::now();
    let down = get(&format!("{base}/ready?verbose")).await;
    let took = start.elapsed();
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.text().contains("[-]db failed"), "{}", down.text());
    assert!(
        took < Duration::from_millis(1_500),
        "/ready took {took:?} with a 1 s timeout"
    );
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);

    pg.resume();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if get(&format!("{base}/ready")).await.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "/ready never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);
}
