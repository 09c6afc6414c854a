//! The poll loop against loopback servers: two collectors on one database, exactly one polls
//! and writes; the other takes over when the lease expires; what a poll reports for each kind
//! of failure, and that the header's value never appears in it.
mod common;

use common::{Backend, DocServer, doc, fresh_db, queueing_notifier};
use sea_orm::ConnectionTrait;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use vitals::HealthStatus;
use vitals_module_fleet::{FleetConfig, FleetRunner, FleetStore, Poller, Target};
use vitals_notify::Subject;
use vitals_status::Word;

fn config(servers: &[&DocServer], url: &str) -> FleetConfig {
    let targets = servers
        .iter()
        .enumerate()
        .map(|(i, s)| Target {
            name: format!("svc-{i}"),
            url: s.url.clone(),
        })
        .collect();
    let mut c = FleetConfig::new(targets, url);
    c.interval = Duration::from_millis(200);
    c.timeout = Duration::from_millis(150);
    c.store_timeout = Duration::from_secs(5);
    c
}

async fn runner(c: &FleetConfig) -> Arc<FleetRunner> {
    let store = Arc::new(
        FleetStore::connect(&c.database_url, c.store_timeout)
            .await
            .unwrap(),
    );
    Arc::new(FleetRunner::new(c.clone(), store))
}

fn requests(servers: &[&DocServer]) -> u64 {
    servers
        .iter()
        .map(|s| s.requests.load(Ordering::SeqCst))
        .sum()
}

macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    };
}

on_both!(two_collectors_on_one_database_poll_once);
async fn two_collectors_on_one_database_poll_once(backend: Backend) {
    let db = fresh_db(backend, "two").await;
    // A reading of now: older ones would be pruned by the retention at once.
    let now = vitals_status::unix_ms(std::time::SystemTime::now());
    let d = doc(Word::Pass, &[("db", Word::Pass, &[(now, Word::Pass)])]);
    let (s0, s1) = (DocServer::start(&d), DocServer::start(&d));
    let c = config(&[&s0, &s1], &db.url);
    let (a, b) = (runner(&c).await, runner(&c).await);
    // Turn by turn: the first to claim holds it; the other only reads.
    for _ in 0..5 {
        let (ra, rb) = (a.cycle().await, b.cycle().await);
        assert!(ra.held && ra.written && ra.polls == 2, "{ra:?}");
        assert!(!rb.held && !rb.written && rb.polls == 0, "{rb:?}");
    }
    let store = FleetStore::connect(&db.url, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(store.count("fleet_polls").await.unwrap(), 10);
    assert_eq!(requests(&[&s0, &s1]), 10);
    assert_eq!(
        store.count("fleet_readings").await.unwrap(),
        2,
        "one reading per target, kept once"
    );
    // The holder stops (killed): after its lease (3 intervals) the other takes over.
    tokio::time::sleep(a.lease() + Duration::from_millis(200)).await;
    let rb = b.cycle().await;
    assert!(rb.held && rb.written, "{rb:?}");
    assert!(!a.cycle().await.held);
    assert_eq!(store.count("fleet_polls").await.unwrap(), 12);
    assert_eq!(requests(&[&s0, &s1]), 12);

    // Both loops running at once for a while: every poll made was written, by one of them.
    let (ta, tb) = (tokio::spawn(a.clone().run()), tokio::spawn(b.clone().run()));
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    ta.abort();
    tb.abort();
    let _ = (ta.await, tb.await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let polls = store.count("fleet_polls").await.unwrap() as u64;
    let sent = requests(&[&s0, &s1]);
    // Each cycle writes both targets' polls or neither; the cycle under way when the loops
    // were aborted may have sent its two requests (on blocking threads that finish sending)
    // without writing them.
    assert_eq!(polls % 2, 0, "a cycle writes all of its polls or none");
    assert!(
        sent == polls || sent == polls + 1 || sent == polls + 2,
        "every request sent was written, but the aborted cycle's: {polls} written, {sent} sent"
    );
    assert!(
        polls >= 12 + 2 * 6,
        "about ten cycles in two seconds: {polls}"
    );
}

on_both!(the_collector_that_takes_over_tells_the_recovery_of_a_down_the_other_sent);
async fn the_collector_that_takes_over_tells_the_recovery_of_a_down_the_other_sent(
    backend: Backend,
) {
    let db = fresh_db(backend, "handover").await;
    let server = DocServer::start(&doc(Word::Fail, &[]));
    let mut c = config(&[&server], &db.url);
    // Room for a slow poll on a loaded machine: one read as failed would hold the recovery.
    c.interval = Duration::from_secs(1);
    c.timeout = Duration::from_millis(800);
    let (a, b) = (runner(&c).await, runner(&c).await);
    let (na, nb) = (queueing_notifier(), queueing_notifier());
    a.notify(na.clone());
    b.notify(nb.clone());
    let svc = Subject::target("svc-0");
    // A holds the lease and sends `down` once the failure has held two polls.
    for _ in 0..2 {
        assert!(a.cycle().await.written);
    }
    assert_eq!(na.queued("ops"), Some(1));
    let sent = na.notified(&svc).unwrap();
    assert_eq!(sent.status, HealthStatus::Unhealthy);
    let store = FleetStore::connect(&db.url, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(store.count("fleet_notified").await.unwrap(), 1);
    // A target no longer configured: its state is not restored, and is deleted.
    store
        .connection()
        .execute_unprepared(
            "INSERT INTO fleet_notified (target, status, since_ms, last_message_ms)
             VALUES ('gone', 'fail', 1, 1)",
        )
        .await
        .unwrap();
    // A stops (killed); B takes over after the lease, the target still down: no second `down`,
    // and B judges it from exactly what A sent (times to the millisecond).
    tokio::time::sleep(a.lease() + Duration::from_millis(200)).await;
    assert!(b.cycle().await.written);
    assert_eq!(nb.notified(&svc), Some(sent));
    assert_eq!(nb.notified(&Subject::target("gone")), None);
    assert_eq!(store.count("fleet_notified").await.unwrap(), 1);
    assert!(b.cycle().await.written);
    assert_eq!(nb.queued("ops"), Some(0), "the down was told already");
    assert_eq!(nb.notified(&svc).unwrap().status, HealthStatus::Unhealthy);
    // The target recovers: B, which never saw it healthy nor sent the `down`, tells it.
    server.serve(&doc(Word::Pass, &[]));
    for _ in 0..2 {
        assert!(b.cycle().await.written);
    }
    assert_eq!(nb.queued("ops"), Some(1), "the recovery is told");
    assert_eq!(nb.notified(&svc).unwrap().status, HealthStatus::Healthy);
    // A comes back without the lease: it forgets the target and tells nothing of it.
    assert!(!a.cycle().await.held);
    assert_eq!(na.notified(&svc), None);
    // B stops; A takes over and reads the recovery B told: the target healthy, nothing to say.
    tokio::time::sleep(b.lease() + Duration::from_millis(200)).await;
    for _ in 0..2 {
        assert!(a.cycle().await.written);
    }
    assert_eq!(na.queued("ops"), Some(1), "only the first down, ever");
    assert_eq!(na.notified(&svc).unwrap().status, HealthStatus::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_is_a_short_reason_without_the_header_value() {
    let good = DocServer::start(&doc(Word::Warn, &[]));
    let broken = DocServer::start(&doc(Word::Pass, &[]));
    broken.answer(500, "oops".into());
    let garbled = DocServer::start(&doc(Word::Pass, &[]));
    garbled.answer(200, "{\"status\": 3".into());
    let denied = DocServer::start(&doc(Word::Pass, &[]));
    denied.answer(401, "no".into());
    // A cache's copy: made long before the poll.
    let cached = DocServer::start(&doc(Word::Pass, &[]));
    cached.answer(200, serde_json::to_string(&doc(Word::Pass, &[])).unwrap());
    let refused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let targets = [
        ("good", good.url.clone()),
        ("broken", broken.url.clone()),
        ("garbled", garbled.url.clone()),
        ("denied", denied.url.clone()),
        ("cached", cached.url.clone()),
        ("refused", format!("http://{refused}/status/history")),
        (
            "silent",
            format!("http://{}/status/history", silent.local_addr().unwrap()),
        ),
    ]
    .map(|(name, url)| Target {
        name: name.into(),
        url,
    });
    let mut c = FleetConfig::new(targets.to_vec(), "sqlite::memory:");
    c.timeout = Duration::from_millis(300);
    c.header = Some(("Authorization".into(), "Bearer s3cret-value".into()));
    let started = std::time::Instant::now();
    let polls = Arc::new(Poller::new(&c)).poll_all().await;
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    let outcomes: Vec<(&str, Result<Word, &str>)> = polls
        .iter()
        .map(|p| {
            (
                p.target.as_str(),
                p.outcome.as_ref().map(|d| d.status).map_err(String::as_str),
            )
        })
        .collect();
    assert_eq!(outcomes[0], ("good", Ok(Word::Warn)));
    assert_eq!(outcomes[1], ("broken", Err("HTTP 500")));
    assert!(
        outcomes[2]
            .1
            .unwrap_err()
            .starts_with("not a status document: "),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes[3],
        (
            "denied",
            Err("HTTP 401: the credentials of VITALS_STATUS_POLL_HEADER were refused")
        )
    );
    assert!(
        outcomes[4]
            .1
            .unwrap_err()
            .starts_with("stale document: made 56years "),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[5], ("refused", Err("connection refused")));
    assert_eq!(outcomes[6], ("silent", Err("timed out")));
    for p in &polls {
        let e = format!("{:?}", p.outcome.as_ref().err());
        assert!(!e.contains("s3cret"), "{e}");
    }
    assert_eq!(
        good.last_auth.lock().unwrap().as_deref(),
        Some("Bearer s3cret-value")
    );
    drop(silent);
}

/// A loopback server answering every connection with `head` then `body`, one `chunk` of bytes
/// every `pause`; counts the connections, and those the client closed before the body's end.
fn raw_server(
    head: String,
    body: Vec<u8>,
    chunk: usize,
    pause: Duration,
) -> (String, [Arc<AtomicU64>; 2]) {
    use std::io::{Read, Write};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let counts = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let [seen, closed] = counts.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let (head, body, closed) = (head.clone(), body.clone(), closed.clone());
            std::thread::spawn(move || {
                let _ = c.read(&mut [0u8; 4096]);
                let _ = c.write_all(head.as_bytes());
                for part in body.chunks(chunk.max(1)) {
                    if c.write_all(part).is_err() {
                        closed.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    std::thread::sleep(pause);
                }
            });
        }
    });
    (addr, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_a_dripping_body_is_dropped_at_the_timeout() {
    let body = serde_json::to_vec(&doc(Word::Pass, &[])).unwrap();
    let (elsewhere, [followed, _]) = raw_server(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        ),
        body.clone(),
        body.len(),
        Duration::ZERO,
    );
    let (moved, _) = raw_server(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://{elsewhere}/status/history\r\ncontent-length: 0\r\n\r\n"
        ),
        Vec::new(),
        1,
        Duration::ZERO,
    );
    // Headers at once, then one byte every 50 ms of a 4 KiB document: minutes in all.
    let (drip, [_, dropped]) = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n".into(),
        vec![b' '; 4096],
        1,
        Duration::from_millis(50),
    );
    let targets = [("moved", moved), ("drip", drip)].map(|(name, addr)| Target {
        name: name.into(),
        url: format!("http://{addr}/status/history"),
    });
    let mut c = FleetConfig::new(targets.to_vec(), "sqlite::memory:");
    c.timeout = Duration::from_millis(500);
    c.header = Some(("Authorization".into(), "Bearer s3cret-value".into()));
    let polls = Arc::new(Poller::new(&c)).poll_all().await;
    assert_eq!(
        polls[0].outcome.as_ref().unwrap_err(),
        "HTTP 302: redirects are not followed"
    );
    assert_eq!(followed.load(Ordering::SeqCst), 0, "nothing sent elsewhere");
    assert!(polls[1].outcome.is_err(), "{:?}", polls[1].outcome);
    // The poll's own thread gave up too (not only the wait for it): it closed the connection,
    // rather than holding a thread, and the runtime's shutdown, for the document's minutes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_writes_fail_gives_the_lease_up() {
    use sea_orm::ConnectionTrait;
    let db = fresh_db(Backend::Sqlite, "unwritten").await;
    let api = DocServer::start(&doc(Word::Pass, &[]));
    let c = config(&[&api], &db.url);
    let (a, b) = (runner(&c).await, runner(&c).await);
    assert!(a.cycle().await.written);
    // Its writes now fail (a table gone), while the lease itself still answers.
    let store = FleetStore::connect(&db.url, Duration::from_secs(5))
        .await
        .unwrap();
    store
        .connection()
        .execute_unprepared("ALTER TABLE fleet_incidents RENAME TO fleet_incidents_gone")
        .await
        .unwrap();
    let r = a.cycle().await;
    assert!(r.held && !r.written, "{r:?}");
    assert_eq!(store.count("fleet_lease").await.unwrap(), 0, "given up");
    assert!(b.cycle().await.held, "the other takes over at once");
}
