//! Sustained load on an app with Vitals embedded, then SIGTERM under load. Keep-alive clients
//! hit a mix of routes (fast, slow, 4xx, 5xx, a streamed body, clients hanging up mid-body)
//! while `/metrics` is scraped every 100 ms and the probes every second. Asserted: no 5xx but
//! the route that returns one, the request counter equal to the clients' own count per route and
//! status exactly, each histogram's `_count` equal to its counter; after SIGTERM, readiness
//! fails first, the counts still match, requests in flight complete, and `serve` returns `Ok`
//! within the grace period. `LOAD_SECONDS` sets the length (10 s here; `scripts/soak.sh`: 60 s).
//! One test in this binary: it signals its own process.
use actix_web::{App, HttpResponse, HttpServer, web};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vitals_judges::{Conn, parsed_value, python_parse};
use vitals_kernel::Kernel;

type Counts = Arc<Mutex<BTreeMap<(String, u16), u64>>>;

/// (path, route template) of the mix, in the order each connection cycles through it.
const MIX: [(&str, &str); 9] = [
    ("/fast", "/fast"),
    ("/fast", "/fast"),
    ("/slow", "/slow"),
    ("/fast", "/fast"),
    ("/items/7", "/items/{id}"),
    ("/fast", "/fast"),
    ("/fail", "/fail"),
    ("/fast", "/fast"),
    ("/stream", "/stream"),
];

fn app_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/fast", web::get().to(|| async { "ok" }))
        .route(
            "/slow",
            web::get().to(|| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                "slow"
            }),
        )
        .route(
            "/items/{id}",
            web::get().to(|| async { HttpResponse::NotFound().body("no such item") }),
        )
        .route(
            "/fail",
            web::get().to(|| async { HttpResponse::InternalServerError().body("app failure") }),
        )
        .route(
            "/linger",
            web::get().to(|| async {
                tokio::time::sleep(Duration::from_millis(2_500)).await;
                "lingered"
            }),
        )
        .route(
            "/stream",
            web::get().to(|| async {
                let chunks = futures_util::stream::unfold(0, |n| async move {
                    if n == 8 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    let chunk = web::Bytes::from(vec![b'x'; 1024]);
                    Some((Ok::<_, actix_web::Error>(chunk), n + 1))
                });
                HttpResponse::Ok().streaming(chunks)
            }),
        );
}

/// Keep-alive clients cycling through [`MIX`] until `stop`; every completed response counted
/// by route template and status. Returns connection errors.
fn clients(
    addr: SocketAddr,
    n: usize,
    stop: Arc<AtomicBool>,
    counts: Counts,
) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..n)
        .map(|c| {
            let (stop, counts) = (stop.clone(), counts.clone());
            tokio::spawn(async move {
                let mut errors = 0;
                let mut conn = Conn::connect(addr).await.unwrap();
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let (path, route) = MIX[i % MIX.len()];
                    i += 1;
                    match conn.request("GET", path).await {
                        Ok((status, close)) => {
                            *counts
                                .lock()
                                .unwrap()
                                .entry((route.into(), status))
                                .or_default() += 1;
                            if close {
                                conn = Conn::connect(addr).await.unwrap();
                            }
                        }
                        Err(_) => {
                            errors += 1;
                            conn = Conn::connect(addr).await.unwrap();
                        }
                    }
                }
                errors
            })
        })
        .collect()
}

/// Every 50 ms a client asks for `/stream`, reads the head and hangs up mid-body.
fn hang_ups(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counts: Counts,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut aborted = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut conn = Conn::connect(addr).await.unwrap();
            conn.send("GET", "/stream", &[]).await.unwrap();
            let head = conn.head().await.unwrap();
            *counts
                .lock()
                .unwrap()
                .entry(("/stream".into(), head.status))
                .or_default() += 1;
            aborted += 1;
            drop(conn);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        aborted
    })
}

async fn scrape(conn: &mut Conn) -> (u16, String, Duration) {
    let t = Instant::now();
    conn.send("GET", "/metrics", &[]).await.unwrap();
    let head = conn.head().await.unwrap();
    let mut body = Vec::new();
    conn.body_into(&head, &mut body).await.unwrap();
    (head.status, String::from_utf8(body).unwrap(), t.elapsed())
}

/// The request counter and histogram count equal the clients' counts exactly, series by series.
fn assert_counts_match(text: &str, counts: &BTreeMap<(String, u16), u64>) {
    let samples = python_parse(text);
    for ((route, status), n) in counts {
        let labels = [
            ("method", "GET"),
            ("route", route.as_str()),
            ("status", &status.to_string()),
        ];
        let counted = parsed_value(&samples, "http_server_requests_total", &labels);
        assert_eq!(counted, Some(*n as f64), "{route} {status}");
        let observed = parsed_value(
            &samples,
            "http_server_request_duration_seconds_count",
            &labels,
        );
        assert_eq!(
            observed,
            Some(*n as f64),
            "histogram count of {route} {status}"
        );
    }
    let served: f64 = samples
        .iter()
        .filter(|s| s.name == "http_server_requests_total")
        .map(|s| s.value)
        .sum();
    let sent: u64 = counts.values().sum();
    assert_eq!(served, sent as f64, "no series the clients did not cause");
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_load_counts_exactly_and_sigterm_drains_without_losing_a_request() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let vitals = Kernel::builder()
        .shutdown_delay(Duration::from_millis(1_000))
        .shutdown_grace(Duration::from_secs(10))
        .build()
        .unwrap()
        .embed()
        .await
        .unwrap();
    let v = vitals.clone();
    let server = HttpServer::new(move || v.mount(App::new()).configure(app_routes))
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.addrs()[0];
    let serving = tokio::spawn(vitals.serve(server));
    let base = format!("http://{addr}");
    vitals_judges::wait_until_up(&format!("{base}/healthz"), Duration::from_secs(10)).await;

    // Phase 1: sustained load with scrapes every 100 ms and probes every second.
    let (stop, counts): (Arc<AtomicBool>, Counts) = Default::default();
    let load = clients(addr, 8, stop.clone(), counts.clone());
    let hang = hang_ups(addr, stop.clone(), counts.clone());
    let probes_failed = Arc::new(AtomicU64::new(0));
    let probing = {
        let (stop, failed) = (stop.clone(), probes_failed.clone());
        tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await.unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                for p in ["/ready", "/healthz", "/livez", "/startupz"] {
                    if conn.request("GET", p).await.unwrap().0 != 200 {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            n
        })
    };
    let mut scraper = Conn::connect(addr).await.unwrap();
    let mut scrape_times = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        let (status, _, took) = scrape(&mut scraper).await;
        assert_eq!(status, 200);
        scrape_times.push(took);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut errors = 0;
    for c in load {
        errors += c.await.unwrap();
    }
    let aborted = hang.await.unwrap();
    let probes = probing.await.unwrap();
    assert_eq!(errors, 0, "connection errors under load");
    assert_eq!(
        probes_failed.load(Ordering::Relaxed),
        0,
        "a probe failed under load"
    );
    // Hung-up streams are recorded when the server drops their bodies: give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let snapshot = counts.lock().unwrap().clone();
    for (route, status) in snapshot.keys() {
        assert!(
            *status < 500 || route == "/fail",
            "a 5xx on {route}: {status}"
        );
    }
    let (_, text, _) = scrape(&mut scraper).await;
    assert_counts_match(&text, &snapshot);
    let total: u64 = snapshot.values().sum();
    println!(
        "load {seconds} s: {total} requests ({:.0}/s), {aborted} hung up mid-body, {} scrapes \
         (p99 {:?}), {probes} probes, 0 errors",
        total as f64 / started.elapsed().as_secs_f64(),
        scrape_times.len(),
        p99(scrape_times),
    );

    // Phase 2: SIGTERM under load. Requests that take longer than the shutdown delay are in
    // flight; readiness must turn 503 while the listener still serves; the clients stop as a
    // load balancer would, their counts still match; the long requests complete.
    let lingering: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(async move {
                let mut conn = Conn::connect(addr).await.unwrap();
                conn.request("GET", "/linger").await.map(|r| r.0)
            })
        })
        .collect();
    let stop2 = Arc::new(AtomicBool::new(false));
    let load = clients(addr, 8, stop2.clone(), counts.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    let mut prober = Conn::connect(addr).await.unwrap();
    let unready = loop {
        if prober.request("GET", "/ready").await.unwrap().0 == 503 {
            break signalled.elapsed();
        }
        assert!(
            signalled.elapsed() < Duration::from_millis(500),
            "readiness still 200"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    stop2.store(true, Ordering::Relaxed);
    for c in load {
        assert_eq!(
            c.await.unwrap(),
            0,
            "connection errors during the shutdown delay"
        );
    }
    let (status, text, _) = scrape(&mut scraper).await;
    assert_eq!(status, 200, "still serving within the shutdown delay");
    assert!(
        signalled.elapsed() < Duration::from_millis(1_000),
        "scraped after the delay"
    );
    assert_counts_match(&text, &counts.lock().unwrap());
    for l in lingering {
        assert_eq!(
            l.await.unwrap().unwrap(),
            200,
            "a request in flight was cut"
        );
    }
    let result = tokio::time::timeout(Duration::from_secs(15), serving)
        .await
        .expect("serve returned within the grace period")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(Conn::connect(addr).await.is_err(), "listener closed");
    println!(
        "SIGTERM: readiness 503 after {unready:?}; 4 requests in flight completed; stopped after {:?}",
        signalled.elapsed()
    );
}
