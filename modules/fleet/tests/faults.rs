//! A database that hangs: the poll loop and the pages answer within their deadlines, report it,
//! and polling resumes by itself once the database answers again.
mod common;

use common::{DocServer, doc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::pages::{PageRequest, ProvidedPages};
use vitals::{Module, ModuleContext};
use vitals_judges::TempPostgres;
use vitals_module_fleet::{FleetConfig, FleetModule, Target};
use vitals_status::{FleetDocument, Word};
use vitals_testkit::{Registrar, TestRecorder};

async fn fleet(pages: &ProvidedPages) -> (u16, FleetDocument, Duration) {
    let started = Instant::now();
    let r = pages
        .0
        .get(PageRequest {
            path: "fleet".into(),
            base: "/status".into(),
            query: String::new(),
            details: true,
        })
        .await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_is_reported_within_the_deadline_and_polling_resumes() {
    let pg = TempPostgres::start();
    let api = DocServer::start(&doc(Word::Pass, &[]));
    let mut c = FleetConfig::new(
        vec![Target {
            name: "api".into(),
            url: api.url.clone(),
        }],
        &pg.url(),
    );
    c.interval = Duration::from_millis(200);
    c.timeout = Duration::from_millis(150);
    c.store_timeout = Duration::from_millis(400);
    let module = FleetModule::connect(c).await.unwrap();
    let recorder = TestRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), recorder.metrics());
    module.register(&ctx).unwrap();
    module.start(&ctx).await.unwrap();
    let pages = ctx.service::<ProvidedPages>().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fleet(&pages).await.1.targets[0].status.is_none() {
        assert!(Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    pg.freeze();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let (code, d, took) = fleet(&pages).await;
    assert_eq!(code, 503);
    assert_eq!(d.targets[0].status, None, "nothing known is absent");
    // Migrations are done: one read under the 400 ms deadline, and a margin.
    assert!(took < Duration::from_millis(1_200), "{took:?}");
    let errors = recorder
        .value("vitals_fleet_store_errors_total", &[])
        .unwrap();
    assert!(errors >= 2.0, "{errors}");

    pg.thaw();
    let frozen_at = d.generated_at_ms;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (code, d, _) = fleet(&pages).await;
        if code == 200 && d.targets[0].polled_at_ms.is_some_and(|at| at > frozen_at) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "polling did not resume: {code} {d:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    module.stop().await;
}
