//! The module as a kernel runs it: registered, started, polling loopback servers; its pages,
//! metrics and notifications; a database that is down at start.
mod common;

use common::{Backend, DocServer, doc, fresh_db, queueing_notifier};
use std::sync::Arc;
use std::time::Duration;
use vitals::pages::{PageRequest, ProvidedPages};
use vitals::{Module, ModuleContext};
use vitals_module_fleet::{FleetConfig, FleetModule, Target};
use vitals_status::{FleetDocument, Word, unix_ms};
use vitals_testkit::{Registrar, TestRecorder};

fn request(path: &str, details: bool) -> PageRequest {
    PageRequest {
        path: path.into(),
        base: "/status".into(),
        query: String::new(),
        details,
    }
}

fn config(targets: &[(&str, &str)], url: &str) -> FleetConfig {
    let mut c = FleetConfig::new(
        targets
            .iter()
            .map(|(n, u)| Target {
                name: (*n).into(),
                url: (*u).into(),
            })
            .collect(),
        url,
    );
    c.interval = Duration::from_millis(200);
    c.timeout = Duration::from_millis(150);
    c
}

async fn fleet(pages: &ProvidedPages, details: bool) -> (u16, FleetDocument) {
    let r = pages.0.get(request("fleet", details)).await;
    assert_eq!(r.content_type, "application/json");
    (r.status, serde_json::from_str(&r.body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_serves_pages_and_metrics_and_notifies() {
    let db = fresh_db(Backend::Sqlite, "module").await;
    let now = unix_ms(std::time::SystemTime::now());
    let api = DocServer::start(&doc(
        Word::Pass,
        &[("db", Word::Pass, &[(now, Word::Pass)])],
    ));
    let jobs = DocServer::start(&doc(
        Word::Fail,
        &[("db", Word::Fail, &[(now, Word::Fail)])],
    ));
    let c = config(&[("api", &api.url), ("jobs", &jobs.url)], &db.url);
    let module = FleetModule::connect(c).await.unwrap();
    let recorder = TestRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), recorder.metrics());
    let notifier = queueing_notifier();
    ctx.provide(notifier.clone()).unwrap(); // as the kernel does
    module.register(&ctx).unwrap();
    let pages = ctx.service::<ProvidedPages>().expect("pages provided");
    let status = recorder.collect("fleet_status").await.unwrap();
    assert!(status[0].samples.is_empty(), "absent before the first poll");

    module.start(&ctx).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (code, d) = fleet(&pages, true).await;
        assert_eq!(code, 200);
        if d.targets.iter().all(|t| t.status.is_some()) && notifier.queued("ops") == Some(1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not polled: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Held two polls: one `down` message for the failing target, none for the passing one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(notifier.queued("ops"), Some(1));

    let (_, d) = fleet(&pages, true).await;
    assert_eq!(d.targets[0].status, Some(Word::Pass));
    assert_eq!(d.targets[1].status, Some(Word::Fail));
    assert_eq!(d.targets[1].checks[0].reason.as_deref(), Some("db reason"));
    assert_eq!(d.targets[1].checks[0].readings.len(), 1);
    assert_eq!(d.targets[0].uptime.day, Some(1.0));
    assert_eq!(d.targets[1].uptime.day, Some(0.0));
    assert_eq!(d.targets[1].incidents.len(), 1);
    assert_eq!(d.targets[1].incidents[0].checks, ["db"]);
    assert_eq!(d.targets[1].incidents[0].ended_at_ms, None);
    let (_, anonymous) = fleet(&pages, false).await;
    assert!(!anonymous.details);
    assert_eq!(anonymous.targets[1].checks[0].reason, None);
    assert!(
        anonymous.targets[1].checks[0]
            .readings
            .iter()
            .all(|r| r.reason.is_none())
    );

    let page = pages.0.get(request("", false)).await;
    assert_eq!(
        (page.status, page.content_type),
        (200, "text/html; charset=utf-8")
    );
    assert_eq!(
        pages.0.get(request("service/jobs", false)).await.status,
        200
    );
    assert_eq!(
        pages.0.get(request("service/nobody", false)).await.status,
        404
    );
    assert_eq!(pages.0.get(request("elsewhere", false)).await.status, 404);

    assert!(
        recorder
            .value("vitals_fleet_polls_total", &["api", "ok"])
            .unwrap()
            >= 2.0
    );
    assert!(
        recorder
            .value("vitals_fleet_polls_total", &["jobs", "ok"])
            .unwrap()
            >= 2.0
    );
    assert_eq!(
        recorder.value("vitals_fleet_polls_total", &["api", "error"]),
        None
    );
    assert!(
        recorder
            .observations("vitals_fleet_poll_duration_seconds", &["api"])
            .unwrap()
            >= 2
    );
    assert_eq!(recorder.value("vitals_fleet_poller", &[]), Some(1.0));
    let status = recorder.collect("fleet_status").await.unwrap();
    let mut samples = status[0].samples.clone();
    samples.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        samples,
        [
            (vec!["api".to_owned()], 1.0),
            (vec!["jobs".to_owned()], 0.0)
        ]
    );

    module.stop().await;
    assert_eq!(
        module.store().count("fleet_lease").await.unwrap(),
        0,
        "released at stop"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status = recorder.collect("fleet_status").await.unwrap();
    assert!(
        status[0].samples.is_empty(),
        "absent once older than three intervals"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_stops_nothing_and_is_reported() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let api = DocServer::start(&doc(Word::Pass, &[]));
    let mut c = config(
        &[("api", &api.url)],
        &format!("postgres://u:p@{closed}/fleet"),
    );
    c.store_timeout = Duration::from_millis(500);
    let module = FleetModule::connect(c).await.unwrap();
    let recorder = TestRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), recorder.metrics());
    module.register(&ctx).unwrap();
    module.start(&ctx).await.unwrap();
    let pages = ctx.service::<ProvidedPages>().unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (code, d) = fleet(&pages, true).await;
    assert_eq!(code, 503);
    assert_eq!(d.targets[0].name, "api");
    assert_eq!((d.targets[0].status, d.targets[0].uptime.day), (None, None));
    assert!(
        recorder
            .value("vitals_fleet_store_errors_total", &[])
            .unwrap()
            >= 2.0
    );
    assert_eq!(recorder.value("vitals_fleet_poller", &[]), Some(0.0));
    assert_eq!(
        api.requests.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no lease, no poll"
    );
    module.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_collector_serves_and_exports_what_the_first_polls() {
    let db = fresh_db(Backend::Postgres, "second").await;
    let api = DocServer::start(&doc(Word::Warn, &[]));
    let c = config(&[("api", &api.url)], &db.url);
    let start = |c: FleetConfig| async move {
        let module = FleetModule::connect(c).await.unwrap();
        let recorder = TestRecorder::new();
        let ctx = ModuleContext::new(Arc::new(Registrar::default()), recorder.metrics());
        module.register(&ctx).unwrap();
        module.start(&ctx).await.unwrap();
        (module, recorder, ctx.service::<ProvidedPages>().unwrap())
    };
    let (first, first_metrics, _) = start(c.clone()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (second, second_metrics, second_pages) = start(c).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let (code, d) = fleet(&second_pages, false).await;
    assert_eq!((code, d.targets[0].status), (200, Some(Word::Warn)));
    assert_eq!(first_metrics.value("vitals_fleet_poller", &[]), Some(1.0));
    assert_eq!(second_metrics.value("vitals_fleet_poller", &[]), Some(0.0));
    let status = second_metrics.collect("fleet_status").await.unwrap();
    assert_eq!(status[0].samples, [(vec!["api".to_owned()], 0.5)]);
    second.stop().await;
    first.stop().await;
    let polled = first_metrics
        .value("vitals_fleet_polls_total", &["api", "ok"])
        .unwrap();
    assert_eq!(
        second_metrics.value("vitals_fleet_polls_total", &["api", "ok"]),
        None
    );
    let requests = api.requests.load(std::sync::atomic::Ordering::SeqCst) as f64;
    // Only the first polled: every request the API saw is one of its polls. A cycle counts its
    // polls once all of them have answered, so the cycle under way when `stop` aborts it may
    // have sent its one request (the API counts it) without counting it.
    assert!(
        polled == requests || polled == requests - 1.0,
        "only the first polled: it counted {polled} polls, the API saw {requests} requests"
    );
    // Each counted poll is written once; the aborted cycle may also have counted its poll
    // without writing it (its write is one transaction: all of it or none).
    let written = module_polls(&db.url).await as f64;
    assert!(
        written == polled || written == polled - 1.0,
        "and wrote each poll once: {written} rows for {polled} counted polls ({requests} requests)"
    );
}

async fn module_polls(url: &str) -> i64 {
    let s = vitals_module_fleet::FleetStore::connect(url, Duration::from_secs(5))
        .await
        .unwrap();
    s.count("fleet_polls").await.unwrap()
}

#[tokio::test]
async fn a_status_not_polled_for_three_intervals_is_shown_unknown() {
    let db = fresh_db(Backend::Sqlite, "stale").await;
    let store = Arc::new(
        vitals_module_fleet::FleetStore::connect(&db.url, Duration::from_secs(5))
            .await
            .unwrap(),
    );
    store.migrate().await.unwrap();
    let token = vitals_module_fleet::new_token();
    assert!(store.claim(&token, Duration::from_secs(60)).await.unwrap());
    let now = unix_ms(std::time::SystemTime::now());
    // Polls stopped 10 s ago; one fresh; one stamped by a clock 10 s ahead.
    let polls = [("old", now - 10_000), ("new", now), ("ahead", now + 10_000)]
        .map(|(t, at)| common::poll(t, at, Ok(doc(Word::Pass, &[]))));
    assert!(
        store
            .record(&token, Duration::from_secs(60), &polls, 0)
            .await
            .unwrap()
    );
    let targets = ["old", "new", "ahead"].map(|n| Target {
        name: n.into(),
        url: format!("http://127.0.0.1:1/{n}/status/history"),
    });
    let pages = ProvidedPages(Arc::new(vitals_module_fleet::FleetPages::new(
        targets.to_vec(),
        store,
        Duration::from_secs(1),
    )));
    let (code, d) = fleet(&pages, true).await;
    assert_eq!(code, 200);
    let seen: Vec<_> = d
        .targets
        .iter()
        .map(|t| (t.status, t.polled_at_ms))
        .collect();
    assert_eq!(
        seen,
        [
            (None, Some(now - 10_000)),
            (Some(Word::Pass), Some(now)),
            (None, Some(now + 10_000)),
        ],
        "the last poll stays shown, its status no longer"
    );
}
