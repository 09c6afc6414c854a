//! Proxy mode against real HTTP services on loopback: status documents summed, the auth header
//! sent, and every failure (wrong or missing credentials, a service gone) named in the read,
//! in readiness and in the failed export's count.
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::sync::Arc;
use vitals::{HealthStatus, Module, ModuleContext};
use vitals_judges::{Registrar, TempPushgateway};
use vitals_module_signals::{SignalsConfig, SignalsModule};
use vitals_prometheus::PrometheusRecorder;

/// A service answering its status document at `/status`, to `Authorization: Bearer <token>`
/// only when a token is given. Returns its URL and the server's handle.
async fn service(
    doc: &'static str,
    token: Option<&'static str>,
) -> (String, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(move || {
        App::new().route(
            "/status",
            web::get().to(move |req: HttpRequest| async move {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok());
                match token {
                    Some(t) if auth != Some(&format!("Bearer {t}")) => {
                        HttpResponse::Unauthorized().finish()
                    }
                    _ => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(doc),
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://{addr}/status"), handle)
}

struct Proxied {
    module: SignalsModule,
    registrar: Arc<Registrar>,
    /// The kernel's recorder: what is pushed is written by its `/metrics` encoder.
    metrics: PrometheusRecorder,
}

async fn proxied(urls: &[String], header: Option<&str>, push: Option<String>) -> Proxied {
    let header = header.map(|h| ("Authorization".to_owned(), h.to_owned()));
    let mut config = SignalsConfig::proxy(urls, header);
    config.pushgateway_url = push;
    config.scrape_ttl = std::time::Duration::from_millis(1);
    let module = SignalsModule::new(config).unwrap();
    let (registrar, metrics) = (Arc::new(Registrar::default()), PrometheusRecorder::new());
    let ctx = ModuleContext::new(registrar.clone(), metrics.metrics());
    module.register(&ctx).unwrap();
    Proxied {
        module,
        registrar,
        metrics,
    }
}

impl Proxied {
    async fn readiness(&self) -> (HealthStatus, Option<String>) {
        let c = self.registrar.checker("signals").expect("registered");
        let outcome = c.check().await;
        (outcome.status(), outcome.error().map(str::to_owned))
    }
}

#[tokio::test]
async fn documents_are_summed_and_every_failure_names_the_service_and_why() {
    let gateway = TempPushgateway::start();
    let (a, _ha) = service(
        r#"{"gauges": {"sse.connections": 3, "jobs.depth": 10, "jobs.capacity": 40},
            "latencies": {"http": {"count": 10, "p50": 0.1, "p95": 0.5, "p99": 0.9}}}"#,
        Some("s3cret"),
    )
    .await;
    let (b, hb) = service(r#"{"gauges": {"sse.connections": 4}}"#, None).await;
    let urls = [a.clone(), b.clone()];

    let good = proxied(&urls, Some("Bearer s3cret"), Some(gateway.url())).await;
    let snap = good.module.read().await.unwrap();
    let sse = snap.gauge("sse.connections").unwrap();
    assert_eq!((sse.sum, sse.publishers, sse.max), (7.0, 2, [None; 3]));
    assert_eq!(snap.ratio("jobs.depth", "jobs.capacity"), Some(0.25));
    assert_eq!(
        snap.latency("http").unwrap().windows[0],
        (10, Some([0.1, 0.5, 0.9]))
    );
    assert_eq!(good.readiness().await, (HealthStatus::Healthy, None));
    good.module.export_once().await.unwrap();

    let wrong = proxied(&urls, Some("Bearer guess"), None).await;
    let refused = format!(
        "{a}: HTTP 401: the service refused the credentials of VITALS_SIGNALS_PROXY_HEADER"
    );
    assert_eq!(wrong.module.read().await.unwrap_err(), refused);
    assert_eq!(
        wrong.readiness().await,
        (HealthStatus::Unhealthy, Some(refused))
    );

    let none = proxied(&urls, None, None).await;
    assert_eq!(
        none.module.read().await.unwrap_err(),
        format!("{a}: HTTP 401: the service wants credentials: set VITALS_SIGNALS_PROXY_HEADER")
    );

    // B goes away: the whole read fails (a sum without B would under-report), naming B; the
    // failed export is counted for the Pushgateway.
    hb.stop(true).await;
    let err = good.module.read().await.unwrap_err();
    assert!(err.starts_with(&format!("{b}: unreachable: ")), "{err}");
    let export = good.module.export_once().await.unwrap_err();
    assert!(export.contains(&b), "{export}");
    let failures = "vitals_signals_export_failures_total";
    assert_eq!(
        vitals_judges::sample(
            good.metrics.registry(),
            failures,
            &[("exporter", "pushgateway")]
        ),
        Some(1.0)
    );
    assert_eq!(good.readiness().await.0, HealthStatus::Unhealthy);
}

/// A server that answers every request with `302` to `to`; counts what it received.
async fn redirecting(to: String) -> (String, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(move || {
        let to = to.clone();
        App::new().default_service(web::to(move || {
            let to = to.clone();
            async move {
                HttpResponse::Found()
                    .insert_header(("Location", to))
                    .finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://{addr}/status"), handle)
}

#[tokio::test]
async fn a_redirect_is_an_error_naming_it_and_the_credential_never_leaves_the_origin() {
    // The redirect target counts every request it receives, with or without the header.
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let target = HttpServer::new(move || {
        let counted = counted.clone();
        App::new().default_service(web::to(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { HttpResponse::Ok().body("{}") }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let target_url = format!("http://{}/steal", target.addrs()[0]);
    let target = target.run();
    let target_handle = target.handle();
    tokio::spawn(target);
    let (url, handle) = redirecting(target_url.clone()).await;
    let p = proxied(std::slice::from_ref(&url), Some("Bearer s3cret"), None).await;
    let err = p.module.read().await.unwrap_err();
    assert_eq!(
        err,
        format!("{url}: HTTP 302: redirects are not followed (Location: {target_url})")
    );
    assert!(!err.contains("s3cret"));
    let (status, reason) = p.readiness().await;
    assert_eq!(status, HealthStatus::Unhealthy);
    assert!(reason.unwrap().contains("HTTP 302"));
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the other port received nothing"
    );
    handle.stop(true).await;
    target_handle.stop(true).await;
}
