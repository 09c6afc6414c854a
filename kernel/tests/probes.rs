//! The kernel served on an ephemeral port and called over HTTP.
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, CheckerExt, Dependency, HealthGroup, Module, ModuleContext, check_fn};
use vitals_judges::{get, panicking, raw_request, sleeping};
use vitals_kernel::{DetailPolicy, Error, Kernel};

async fn serve(b: vitals_kernel::KernelBuilder) -> vitals_kernel::Running {
    b.build().unwrap().start().await.unwrap()
}

fn builder() -> vitals_kernel::KernelBuilder {
    Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(2)
}

#[tokio::test]
async fn healthz_and_ready_answer_200_with_the_builtin_ping() {
    let running = serve(builder()).await;
    let base = format!("http://{}", running.addr());
    let live = get(&format!("{base}/healthz")).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.header("content-type"), Some("application/health+json"));
    let body: serde_json::Value = serde_json::from_slice(&live.body).unwrap();
    assert_eq!(body["status"], "pass");
    assert_eq!(body["checks"]["ping"][0]["status"], "pass");
    assert_eq!(get(&format!("{base}/ready")).await.status, 200);
    assert_eq!(get(&format!("{base}/startupz")).await.status, 200);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn hanging_check_makes_ready_503_within_its_timeout() {
    let running = serve(builder().checker(
        sleeping("slow", Duration::from_secs(10)).with_timeout(Duration::from_millis(200)),
    ))
    .await;
    let url = format!("http://{}/ready?verbose", running.addr());
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let resp = get(&url).await;
        times.push(start.elapsed());
        assert_eq!(resp.status, 503);
        assert_eq!(
            resp.text(),
            "[+]ping ok\n[-]slow failed: reason withheld\nreadiness check failed\n"
        );
    }
    times.sort();
    eprintln!("/ready with a 10 s check and a 200 ms timeout: {times:?}");
    assert!(
        times[2] < Duration::from_millis(300),
        "median {:?}",
        times[2]
    );
    assert!(times[4] < Duration::from_secs(1), "max {:?}", times[4]);
    // liveness does not wait for readiness checks
    assert_eq!(
        get(&format!("http://{}/healthz", running.addr()))
            .await
            .status,
        200
    );
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn panicking_check_is_503_with_the_panic_text_and_the_server_stays_up() {
    let running = serve(
        builder()
            .details(DetailPolicy::Always)
            .checker(panicking("boom", "checker exploded")),
    )
    .await;
    let url = format!("http://{}/ready", running.addr());
    for _ in 0..3 {
        let resp = get(&url).await;
        assert_eq!(resp.status, 503);
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(
            body["checks"]["boom"][0]["output"],
            "panicked: checker exploded"
        );
    }
    assert_eq!(
        get(&format!("http://{}/healthz", running.addr()))
            .await
            .status,
        200
    );
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn reasons_are_withheld_by_default() {
    let running = serve(builder().checker(panicking("boom", "secret detail"))).await;
    let resp = get(&format!("http://{}/ready", running.addr())).await;
    assert_eq!(resp.status, 503);
    assert!(!resp.text().contains("secret detail"), "{}", resp.text());
    assert!(resp.text().contains("reason withheld"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn token_grants_details_when_policy_is_authorised() {
    let running = serve(
        builder()
            .details(DetailPolicy::Authorised)
            .token("t0ken")
            .checker(panicking("boom", "visible to operators")),
    )
    .await;
    let url = format!("http://{}/ready?verbose", running.addr());
    let anon = get(&url).await.text();
    let authed = vitals_judges::get_with(&url, &[("authorization", "Bearer t0ken")])
        .await
        .text();
    assert!(anon.contains("[-]boom failed: reason withheld"), "{anon}");
    assert!(
        authed.contains("[-]boom failed: panicked: visible to operators"),
        "{authed}"
    );
    running.shutdown().await.unwrap();
}

struct Billing;

impl Module for Billing {
    fn name(&self) -> &str {
        "billing"
    }
    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.add_checker(
            check_fn("ledger", || async { CheckOutcome::degraded("slow ledger") })
                .with_groups([HealthGroup::custom("billing"), HealthGroup::Readiness]),
        )?;
        ctx.metrics()
            .counter("billing_invoices_total", "Invoices issued.")?
            .inc();
        Ok(())
    }
}

#[tokio::test]
async fn modules_register_through_the_container() {
    let kernel = builder().module(Billing).build().unwrap();
    assert_eq!(kernel.health().states().len(), 2);
    assert!(
        kernel
            .recorder()
            .registry()
            .gather()
            .iter()
            .any(|f| f.name() == "billing_invoices_total")
    );
    let running = kernel.start().await.unwrap();
    let resp = get(&format!("http://{}/health/billing?verbose", running.addr())).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.text(),
        "[!]ledger degraded: reason withheld\nbilling check passed\n"
    );
    let one = get(&format!("http://{}/ready/ledger", running.addr())).await;
    assert_eq!(one.status, 200);
    running.shutdown().await.unwrap();
}

#[test]
fn bad_registrations_fail_the_build_with_a_clear_error() {
    let err = builder()
        .module(Billing)
        .module(Billing)
        .build()
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "module \"billing\" failed to register: duplicate health check name \"ledger\": names must be unique"
    );
    let err = builder()
        .checker(sleeping("db", Duration::ZERO).with_groups([HealthGroup::Liveness]))
        .build()
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Registration(vitals::Error::ExternalInLiveness { .. })
    ));
    let err = builder()
        .check_timeout(Duration::ZERO)
        .build()
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "invalid VITALS_CHECK_TIMEOUT \"0s\": must be greater than zero"
    );
}

#[tokio::test]
async fn checks_added_while_serving_are_probed() {
    let kernel = builder().build().unwrap();
    let health = kernel.health();
    let running = kernel.start().await.unwrap();
    let url = format!("http://{}/ready?verbose", running.addr());
    assert_eq!(
        get(&url).await.text(),
        "[+]ping ok\nreadiness check passed\n"
    );
    health
        .add(std::sync::Arc::new(
            check_fn("late", || async { CheckOutcome::unhealthy("x") })
                .with_dependency(Dependency::Local),
        ))
        .unwrap();
    let resp = get(&url).await;
    assert_eq!(resp.status, 503);
    assert!(resp.text().contains("[-]late failed"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_fails_readiness_at_once_and_drains_in_flight_requests() {
    let kernel = builder()
        .shutdown_delay(Duration::from_millis(600))
        .build()
        .unwrap();
    let running = kernel
        .start_with(|cfg: &mut actix_web::web::ServiceConfig| {
            cfg.route(
                "/slow",
                actix_web::web::get().to(|| async {
                    tokio::time::sleep(Duration::from_millis(800)).await;
                    "done"
                }),
            );
        })
        .await
        .unwrap();
    let base = format!("http://{}", running.addr());
    let in_flight = tokio::spawn({
        let url = format!("{base}/slow");
        async move { get(&url).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(running.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = get(&format!("{base}/ready?verbose")).await;
    assert_eq!(ready.status, 503);
    assert!(ready.text().contains("shutting down"), "{}", ready.text());
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);
    let slow = in_flight.await.unwrap();
    assert_eq!((slow.status, slow.text().as_str()), (200, "done"));
    stopping.await.unwrap().unwrap();
}

/// Counts its start hook runs and declares one sampled gauge.
struct Starts(Arc<std::sync::atomic::AtomicU32>);

#[vitals::async_trait]
impl Module for Starts {
    fn name(&self) -> &str {
        "starts"
    }
    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.metrics().sampled_gauge(
            "starts_sampled",
            "A sampled gauge.",
            Duration::from_secs(60),
            || async { Ok::<_, String>(1.0) },
        )?;
        Ok(())
    }
    async fn start(&self, _: &ModuleContext) -> Result<(), vitals::Error> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn background_work_starts_once_and_a_second_start_is_an_error() {
    let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let kernel = builder().module(Starts(runs.clone())).build().unwrap();
    let samplers = kernel.start_background().await.unwrap();
    assert_eq!(samplers.len(), 1);
    let again = kernel.start_background().await.unwrap_err();
    assert_eq!(
        again.to_string(),
        "background work already started: it runs once per kernel"
    );
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    for s in samplers {
        s.abort();
    }
}

#[tokio::test]
async fn served_endpoints_answer_head_refuse_other_methods_and_are_not_measured() {
    let running = serve(builder()).await;
    let addr = running.addr();
    let table = [
        ("HEAD", "/readyz", 200, None),
        ("HEAD", "/livez/ping", 200, None),
        ("GET", "/health/nothing", 404, None),
        ("POST", "/healthz", 405, Some("GET, HEAD")),
        ("DELETE", "/metrics", 405, Some("GET, HEAD")),
        ("GET", "/nowhere", 404, None),
    ];
    for (method, path, code, allow) in table {
        let (got, got_allow) = tokio::task::spawn_blocking(move || raw_request(addr, method, path))
            .await
            .unwrap();
        assert_eq!(got, code, "{method} {path}");
        assert_eq!(got_allow.as_deref(), allow, "{method} {path}");
    }
    let text = get(&format!("http://{addr}/metrics")).await.text();
    let measured: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_server_requests_total{"))
        .collect();
    // Only the unmatched path is measured; every kernel endpoint is excluded.
    assert_eq!(
        measured,
        ["http_server_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"} 1"]
    );
    running.shutdown().await.unwrap();
}
