//! `/metrics` of a kernel on an ephemeral port, judged by promtool, Python's prometheus_client
//! and a real Prometheus server.
use actix_web::web;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vitals::metrics::{Collect, CollectedFamily};
use vitals::{CheckerExt, Module, ModuleContext};
use vitals_judges::{
    PrometheusServer, assert_promtool_clean, get, get_with, parsed_value, python_parse,
};
use vitals_kernel::{Kernel, KernelBuilder, Running};

fn builder() -> KernelBuilder {
    Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(2)
}

fn users(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/users/{id}",
        web::get().to(|id: web::Path<u32>| async move { format!("user {id}") }),
    );
}

async fn serve(b: KernelBuilder) -> (Running, String) {
    let running = b.build().unwrap().start_with(users).await.unwrap();
    let base = format!("http://{}", running.addr());
    (running, base)
}

#[tokio::test]
async fn scrape_after_a_known_workload_has_exact_values() {
    let (running, base) = serve(builder()).await;
    for id in 0..11 {
        assert_eq!(get(&format!("{base}/users/{id}")).await.status, 200);
    }
    for _ in 0..3 {
        get(&format!("{base}/no/such/{}", rand_suffix())).await;
    }
    get(&format!("{base}/ready")).await;
    let resp = get(&format!("{base}/metrics")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = resp.text();

    assert_promtool_clean(&text);

    let samples = python_parse(&text);
    let users = [
        ("method", "GET"),
        ("route", "/users/{id}"),
        ("status", "200"),
    ];
    assert_eq!(
        parsed_value(&samples, "http_server_requests_total", &users),
        Some(11.0)
    );
    assert_eq!(
        parsed_value(
            &samples,
            "http_server_request_duration_seconds_count",
            &users
        ),
        Some(11.0)
    );
    let unmatched = [
        ("method", "GET"),
        ("route", "<unmatched>"),
        ("status", "404"),
    ];
    assert_eq!(
        parsed_value(&samples, "http_server_requests_total", &unmatched),
        Some(3.0)
    );
    // probes and /metrics are not in the request families
    assert!(!text.contains("route=\"/ready\""));
    assert!(!text.contains("route=\"/metrics\""));
    assert_eq!(
        parsed_value(&samples, "vitals_build_info", &[("version", "0.1.0")]),
        Some(1.0)
    );
    assert_eq!(
        parsed_value(
            &samples,
            "vitals_health_check_status",
            &[("check", "ping"), ("group", "readiness")]
        ),
        Some(1.0)
    );
    assert_eq!(
        parsed_value(
            &samples,
            "vitals_health_check_duration_seconds_count",
            &[("check", "ping")]
        ),
        Some(1.0)
    );
    assert!(parsed_value(&samples, "process_resident_memory_bytes", &[]).unwrap() > 0.0);
    assert_eq!(
        parsed_value(&samples, "vitals_errors_total", &[("type", "http_5xx")]),
        Some(0.0)
    );

    // the handler counts itself (the first scrape is counted once it is answered)
    let again = python_parse(&get(&format!("{base}/metrics")).await.text());
    assert_eq!(
        parsed_value(
            &again,
            "vitals_prometheus_handler_requests_total",
            &[("code", "200")]
        ),
        Some(1.0)
    );
    running.shutdown().await.unwrap();
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn gzip_is_served_when_accepted() {
    let (running, base) = serve(builder()).await;
    get(&format!("{base}/users/1")).await;
    let resp = get_with(&format!("{base}/metrics"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&resp.body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains(
        "http_server_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"} 1"
    ));
    running.shutdown().await.unwrap();
}

struct Slow {
    delay: Duration,
    runs: Arc<AtomicU64>,
}

#[vitals::async_trait]
impl Collect for Slow {
    fn name(&self) -> &str {
        "slow"
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(10)
    }
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let mut f = CollectedFamily::gauge("slow_items", "Slowly computed items.", &[]);
        f.push(&[], 42.0);
        Ok(vec![f])
    }
}

struct SlowModule(Duration, Arc<AtomicU64>);

impl Module for SlowModule {
    fn name(&self) -> &str {
        "slow"
    }
    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.metrics().add_collector(Slow {
            delay: self.0,
            runs: self.1.clone(),
        })?;
        let tick = Arc::new(AtomicU64::new(0));
        ctx.metrics().sampled_gauge(
            "slow_sampled_ticks",
            "Ticks seen by the sampler.",
            Duration::from_millis(50),
            move || {
                let n = tick.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok::<_, String>(n as f64) }
            },
        )?;
        Ok(())
    }
}

#[tokio::test]
async fn scrape_timeout_header_bounds_the_scrape_and_the_rest_is_served() {
    let runs = Arc::new(AtomicU64::new(0));
    let (running, base) =
        serve(builder().module(SlowModule(Duration::from_secs(3), runs.clone()))).await;
    let start = Instant::now();
    let resp = get_with(
        &format!("{base}/metrics"),
        &[("x-prometheus-scrape-timeout-seconds", "1")],
    )
    .await;
    let took = start.elapsed();
    assert_eq!(resp.status, 200);
    assert!(took < Duration::from_millis(2_500), "scrape took {took:?}");
    let samples = python_parse(&resp.text());
    assert_eq!(parsed_value(&samples, "slow_items", &[]), None);
    assert_eq!(
        parsed_value(
            &samples,
            "vitals_collector_errors_total",
            &[("collector", "slow")]
        ),
        Some(1.0)
    );
    assert!(parsed_value(&samples, "slow_sampled_ticks", &[]).unwrap() >= 1.0);
    let bad = get_with(
        &format!("{base}/metrics"),
        &[("x-prometheus-scrape-timeout-seconds", "soon")],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("x-prometheus-scrape-timeout-seconds"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn scrapes_beyond_the_limit_get_503() {
    let runs = Arc::new(AtomicU64::new(0));
    let (running, base) = serve(
        builder()
            .max_concurrent_scrapes(1)
            .module(SlowModule(Duration::from_millis(800), runs.clone())),
    )
    .await;
    let first = tokio::spawn({
        let url = format!("{base}/metrics");
        async move { get(&url).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = get(&format!("{base}/metrics")).await;
    assert_eq!(second.status, 503);
    let first = first.await.unwrap();
    assert_eq!(first.status, 200);
    assert!(first.text().contains("slow_items 42"));
    let samples = python_parse(&get(&format!("{base}/metrics")).await.text());
    let code = |c| {
        parsed_value(
            &samples,
            "vitals_prometheus_handler_requests_total",
            &[("code", c)],
        )
    };
    assert_eq!(code("200"), Some(1.0));
    assert_eq!(code("503"), Some(1.0));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn real_prometheus_scrapes_the_kernel() {
    let (running, base) = serve(builder()).await;
    for id in 0..11 {
        get(&format!("{base}/users/{id}")).await;
    }
    let prom = PrometheusServer::start(&[running.addr().to_string()]).await;
    assert!(
        prom.wait_for_value("up{job=\"vitals\"}", "1", Duration::from_secs(30))
            .await,
        "Prometheus never saw up == 1"
    );
    assert!(
        prom.wait_for_value(
            "sum(http_server_requests_total{route=\"/users/{id}\"})",
            "11",
            Duration::from_secs(15)
        )
        .await,
        "Prometheus never saw the request counter at 11"
    );
    let info = prom.query("vitals_build_info").await;
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0]["metric"]["version"], "0.1.0");
    assert_eq!(info[0]["value"][1], "1");
    drop(prom);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn check_timeouts_and_panics_are_counted_and_failing_status_is_zero() {
    let (running, base) = serve(
        builder()
            .checker(
                vitals_judges::sleeping("slow", Duration::from_secs(5))
                    .with_timeout(Duration::from_millis(100)),
            )
            .checker(vitals_judges::panicking("boom", "no")),
    )
    .await;
    assert_eq!(get(&format!("{base}/ready")).await.status, 503);
    let samples = python_parse(&get(&format!("{base}/metrics")).await.text());
    let errors = |t| parsed_value(&samples, "vitals_errors_total", &[("type", t)]);
    assert_eq!(errors("timeout"), Some(1.0));
    assert_eq!(errors("panic"), Some(1.0));
    let status = |c| {
        parsed_value(
            &samples,
            "vitals_health_check_status",
            &[("check", c), ("group", "readiness")],
        )
    };
    assert_eq!(status("slow"), Some(0.0));
    assert_eq!(status("boom"), Some(0.0));
    assert_eq!(status("ping"), Some(1.0));
    assert_eq!(
        parsed_value(
            &samples,
            "vitals_health_check_duration_seconds_count",
            &[("check", "slow")]
        ),
        Some(1.0)
    );
    running.shutdown().await.unwrap();
}

/// A ScrapeSettings with a token, as `VITALS_METRICS_TOKEN` gives.
fn protected(token: &str) -> KernelBuilder {
    let mut config = vitals_kernel::Config::default();
    config.access.metrics_token = Some(token.to_owned());
    builder().config(vitals_kernel::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        handle_signals: false,
        workers: Some(2),
        ..config
    })
}

#[tokio::test]
async fn a_real_prometheus_scrapes_with_the_token_and_is_refused_without_it() {
    let (running, base) = serve(protected("s3cret-t0ken")).await;
    let anonymous = get(&format!("{base}/metrics")).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    let ready = get(&format!("{base}/ready")).await;
    assert_eq!(ready.status, 200, "probes stay open");
    assert_eq!(
        ready.text(),
        "{\"status\":\"pass\",\"description\":\"readiness\",\"checks\":{}}",
        "the overall status only: no check names"
    );
    let target = [running.addr().to_string()];
    let with_token = PrometheusServer::start_with_token(&target, Some("s3cret-t0ken")).await;
    let without = PrometheusServer::start(&target).await;
    assert!(
        with_token
            .wait_for_value("up{job=\"vitals\"}", "1", Duration::from_secs(30))
            .await,
        "Prometheus with the token never saw up == 1"
    );
    assert!(
        without
            .wait_for_value("up{job=\"vitals\"}", "0", Duration::from_secs(30))
            .await,
        "Prometheus without the token never saw up == 0"
    );
    drop((with_token, without));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn service_info_names_the_embedding_service() {
    let (running, base) = serve(builder().service("billing", "2.3.1")).await;
    let text = get(&format!("{base}/metrics")).await.text();
    assert_promtool_clean(&text);
    let samples = python_parse(&text);
    assert_eq!(
        parsed_value(
            &samples,
            "service_info",
            &[("service", "billing"), ("version", "2.3.1")]
        ),
        Some(1.0)
    );
    running.shutdown().await.unwrap();
}
