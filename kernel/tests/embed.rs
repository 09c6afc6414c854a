//! One-call embedding in an application's own `HttpServer`: the probes, `/metrics` and request
//! timing mounted by one call, background work started, a module's instruments handed to the app
//! through the container, and the kernel's graceful shutdown on SIGTERM. One test per binary:
//! it sends SIGTERM to its own process.
use actix_web::{App, HttpServer, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use vitals::metrics::Counter;
use vitals::{Module, ModuleContext};
use vitals_judges::{get, parsed_value, python_parse, raw_request};
use vitals_kernel::Kernel;

/// The instruments the module declares, handed to the app.
struct JobsMetrics {
    done: Counter,
}

struct Jobs {
    started: Arc<AtomicU32>,
}

#[vitals::async_trait]
impl Module for Jobs {
    fn name(&self) -> &str {
        "jobs"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        let done = ctx.metrics().counter("jobs_done_total", "Jobs finished.")?;
        ctx.provide(JobsMetrics { done })?;
        ctx.metrics().sampled_gauge(
            "jobs_queue_depth",
            "Jobs waiting.",
            Duration::from_millis(50),
            || async { Ok::<_, String>(3.0) },
        )?;
        Ok(())
    }

    async fn start(&self, _: &ModuleContext) -> Result<(), vitals::Error> {
        self.started.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_embedding_mounts_starts_and_shuts_down_gracefully() {
    let started = Arc::new(AtomicU32::new(0));
    let vitals = Kernel::builder()
        .module(Jobs {
            started: started.clone(),
        })
        .shutdown_delay(Duration::from_millis(600))
        .build()
        .unwrap()
        .embed()
        .await
        .unwrap();
    assert_eq!(started.load(Ordering::SeqCst), 1, "module start hook ran");
    let jobs = vitals
        .service::<JobsMetrics>()
        .expect("provided by the module");
    let v = vitals.clone();
    let server = HttpServer::new(move || {
        let jobs = v.service::<JobsMetrics>().unwrap();
        v.mount(App::new()).route(
            "/work/{id}",
            web::post().to(move || {
                jobs.done.inc();
                async { "done" }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let serving = tokio::spawn(vitals.serve(server));
    vitals_judges::wait_until_up(&format!("{base}/healthz"), Duration::from_secs(10)).await;
    let addr = base.trim_start_matches("http://").parse().unwrap();
    for id in 0..4 {
        assert_eq!(raw_request(addr, "POST", &format!("/work/{id}")).0, 200);
    }
    assert_eq!(jobs.done.get(), 4);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let text = get(&format!("{base}/metrics")).await.text();
    let samples = python_parse(&text);
    let work = [
        ("method", "POST"),
        ("route", "/work/{id}"),
        ("status", "200"),
    ];
    assert_eq!(
        parsed_value(&samples, "http_server_requests_total", &work),
        Some(4.0),
        "the app's own routes are timed"
    );
    assert_eq!(parsed_value(&samples, "jobs_done_total", &[]), Some(4.0));
    assert_eq!(
        parsed_value(&samples, "jobs_queue_depth", &[]),
        Some(3.0),
        "samplers run"
    );
    assert_eq!(get(&format!("{base}/ready")).await.status, 200);

    // SIGTERM: readiness fails at once, the listener stays open for the delay, then drains.
    // The clock starts before the signal is sent: the delay cannot have begun earlier.
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = signalled + Duration::from_millis(400);
    loop {
        if get(&format!("{base}/ready")).await.status == 503 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readiness still 200 after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let result = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returned after the shutdown delay")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(
        signalled.elapsed() >= Duration::from_millis(600),
        "the listener closed before the shutdown delay: {:?}",
        signalled.elapsed()
    );
}
