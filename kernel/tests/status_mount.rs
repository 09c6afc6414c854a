//! The status path however the endpoints are mounted: the kernel's own server, an app's default
//! service (`Embedded::mount`), resources the app places itself (`Embedded::routes`); and a
//! module's pages served in place of the service's page, told whether the caller sees details.
use actix_web::{App, HttpServer, web};
use std::sync::Arc;
use std::time::Duration;
use vitals::pages::{PageRequest, PageResponse, ProvidedPages, StatusPages};
use vitals::{Module, ModuleContext};
use vitals_judges::{get, raw_request};
use vitals_kernel::{DetailPolicy, Kernel, StatusSettings};
use vitals_status::StatusDocument;

struct Echo;

#[vitals::async_trait]
impl StatusPages for Echo {
    async fn get(&self, r: PageRequest) -> PageResponse {
        PageResponse::json(
            200,
            format!("{}|{}|{}|{}", r.path, r.base, r.query, r.details),
        )
    }
}

struct Fleet;

#[vitals::async_trait]
impl Module for Fleet {
    fn name(&self) -> &str {
        "fleet"
    }
    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.provide(ProvidedPages(Arc::new(Echo)))
    }
}

fn builder() -> vitals_kernel::KernelBuilder {
    Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(1)
}

async fn history(base: &str) -> StatusDocument {
    let resp = get(&format!("{base}/history")).await;
    assert_eq!(resp.status, 200, "{base}/history");
    serde_json::from_slice(&resp.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_path_is_served_by_the_kernel_by_an_apps_default_service_and_by_placed_routes() {
    let running = builder()
        .status(StatusSettings {
            path: Some("/ops/status".into()),
            ..StatusSettings::default()
        })
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let base = format!("http://{}/ops/status", running.addr());
    let doc = history(&base).await;
    assert_eq!(doc.checks.len(), 1, "the built-in ping");
    assert_eq!(doc.checks[0].readings.len(), 1, "run once for the page");
    assert_eq!(
        get(&format!("http://{}/status", running.addr()))
            .await
            .status,
        404
    );
    let (code, _) = raw_request(running.addr(), "HEAD", "/ops/status");
    assert_eq!(code, 200);
    running.shutdown().await.unwrap();

    for placed in [false, true] {
        let vitals = builder().build().unwrap().embed().await.unwrap();
        let v = vitals.clone();
        let own = || App::new().route("/own", web::get().to(|| async { "own" }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = if placed {
            HttpServer::new(move || own().configure(v.routes()))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
        } else {
            HttpServer::new(move || v.mount(own()))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
        };
        drop(vitals);
        let root = format!("http://{addr}");
        let serving = tokio::spawn(server);
        vitals_judges::wait_until_up(&format!("{root}/healthz"), Duration::from_secs(10)).await;
        assert_eq!(history(&format!("{root}/status")).await.checks.len(), 1);
        let page = get(&format!("{root}/status")).await;
        assert_eq!(page.status, 200, "placed: {placed}");
        assert!(page.header("content-security-policy").is_some());
        assert_eq!(get(&format!("{root}/status/other")).await.status, 404);
        assert_eq!(get(&format!("{root}/own")).await.text(), "own");
        serving.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modules_pages_replace_the_service_page_and_are_told_about_details() {
    let running = builder()
        .details(DetailPolicy::Authorised)
        .token("t")
        .module(Fleet)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let base = format!("http://{}/status", running.addr());
    assert_eq!(get(&base).await.text(), "|/status||false");
    assert_eq!(
        get(&format!("{base}/service/orders?x=1")).await.text(),
        "service/orders|/status|x=1|false"
    );
    let authorised = vitals_judges::get_with(&base, &[("authorization", "Bearer t")]).await;
    assert_eq!(authorised.text(), "|/status||true");
    // The kernel's own document stays at /history.
    assert_eq!(history(&base).await.checks.len(), 1);
    running.shutdown().await.unwrap();
}
