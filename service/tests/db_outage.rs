//! PostgreSQL going away and coming back under a running `vitals`: readiness follows it within
//! the `db` check's cache TTL and one check timeout, liveness never moves, and no restart is
//! needed.
use std::time::{Duration, Instant};
use vitals_judges::{ChildGuard, TempPostgres, free_addr, get, get_with, wait_until_up};

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
    // The reading taken before the stop may be served for up to the cache TTL (2 s by default);
    // the next run fails within the check timeout (1 s); no single probe waits longer than that.
    let start = Instant::now();
    let down = loop {
        let asked = Instant::now();
        let resp = get(&format!("{base}/ready?verbose")).await;
        let took = asked.elapsed();
        assert!(
            took < Duration::from_millis(1_500),
            "/ready took {took:?} with a 1 s timeout"
        );
        if resp.status != 200 {
            break resp;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = start.elapsed();
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.text().contains("[-]db failed"), "{}", down.text());
    assert!(
        took < Duration::from_millis(3_500),
        "/ready turned 503 after {took:?} with a 2 s cache and a 1 s timeout"
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

/// A rollout during a database outage: the process starts anyway (no crash loop), liveness is
/// 200, readiness 503 naming the `db` check, DB aggregates read `up` 0; when PostgreSQL comes up,
/// readiness turns 200 and the aggregate is validated and served, without a restart.
#[tokio::test]
async fn starts_without_the_database_and_recovers_when_it_comes_up() {
    let pg = TempPostgres::start();
    pg.stop();
    let (_service, addr) = vitals_with_answer(&pg, "nodb", &[("VITALS_DETAILS", "always")]);
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    let ready = get(&format!("{base}/ready?verbose")).await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert!(ready.text().contains("[-]db failed"), "{}", ready.text());
    let metrics = get(&format!("{base}/metrics")).await.text();
    assert!(
        metrics.contains("vitals_db_aggregate_up{aggregate=\"answer\"} 0"),
        "{metrics}"
    );

    pg.resume();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = get(&format!("{base}/ready")).await.status;
        let metrics = get(&format!("{base}/metrics")).await.text();
        if ready == 200
            && metrics.contains("vitals_db_aggregate_up{aggregate=\"answer\"} 1")
            && metrics.contains("\nanswer 42\n")
        {
            break;
        }
        assert!(Instant::now() < deadline, "never recovered:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// PostgreSQL stopped under a running `vitals` with a DB aggregate, scraped as Prometheus does
/// (scrape timeout 1 s in the header): the aggregate's `up` and last-success families are in
/// every scrape, and `up` reads 0 within a few seconds of the outage.
#[tokio::test]
async fn aggregate_status_is_in_every_scrape_during_an_outage() {
    let pg = TempPostgres::start();
    let (_service, addr) = vitals_with_answer(&pg, "outage-agg", &[]);
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    let scrape = || async {
        let resp = get_with(
            &format!("{base}/metrics"),
            &[("X-Prometheus-Scrape-Timeout-Seconds", "1")],
        )
        .await;
        assert_eq!(resp.status, 200);
        resp.text()
    };
    let up = "vitals_db_aggregate_up{aggregate=\"answer\"} ";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !scrape().await.contains(&format!("{up}1")) {
        assert!(Instant::now() < deadline, "never up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    pg.stop();
    let stopped = Instant::now();
    let mut down_after = None;
    for _ in 0..16 {
        let body = scrape().await;
        assert!(
            body.contains(up),
            "scrape without the aggregate's up:\n{body}"
        );
        assert!(
            body.contains(
                "vitals_db_aggregate_last_success_timestamp_seconds{aggregate=\"answer\"}"
            ),
            "{body}"
        );
        if down_after.is_none() && body.contains(&format!("{up}0")) {
            down_after = Some(stopped.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let down_after = down_after.expect("up never read 0 during the outage");
    assert!(
        down_after < Duration::from_secs(3),
        "up 0 after {down_after:?}"
    );
}

/// `vitals` on `pg` with one aggregate, `answer` = 42 every second; returns it and its address.
fn vitals_with_answer(
    pg: &TempPostgres,
    tag: &str,
    extra: &[(&str, &str)],
) -> (ChildGuard, String) {
    let dir = std::env::temp_dir().join(format!("vitals-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("aggregates.toml");
    std::fs::write(
        &file,
        "[[aggregate]]\nname = \"answer\"\nhelp = \"The answer.\"\nsql = \"SELECT 42 AS value\"\nttl = \"1s\"\n",
    )
    .unwrap();
    let addr = free_addr().to_string();
    let url = pg.url();
    let file = file.display().to_string();
    let mut envs = vec![
        ("VITALS_BIND", addr.as_str()),
        ("DATABASE_URL", url.as_str()),
        ("VITALS_AGGREGATES_FILE", file.as_str()),
    ];
    envs.extend_from_slice(extra);
    (ChildGuard::spawn(BIN, &envs), addr)
}
