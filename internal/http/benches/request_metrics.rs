//! Added CPU per request of `RequestMetrics`: the same in-process App with and without the
//! middleware, alternated in rounds; prints medians and the ratio. Run: `cargo bench -p vitals-http`.
use actix_web::{App, test, web};
use std::time::Instant;
use vitals_http::RequestMetrics;

/// Rounds and requests per round; `VITALS_BENCH_ROUNDS` / `VITALS_BENCH_PER_ROUND` shorten a
/// smoke run.
fn setting(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds = setting("VITALS_BENCH_ROUNDS", 15);
    let per_round = setting("VITALS_BENCH_PER_ROUND", 20_000);
    actix_web::rt::System::new().block_on(async {
        let bare =
            test::init_service(App::new().route("/users/{id}", web::get().to(|| async { "user" })))
                .await;
        let metrics = vitals_metrics::PrometheusRecorder::new();
        let timed = test::init_service(
            App::new()
                .wrap(RequestMetrics::builder(&metrics).build().unwrap())
                .route("/users/{id}", web::get().to(|| async { "user" })),
        )
        .await;
        let (mut bare_ns, mut timed_ns) = (Vec::new(), Vec::new());
        for round in 0..rounds + 1 {
            let start = Instant::now();
            for i in 0..per_round {
                let req = test::TestRequest::get()
                    .uri(&format!("/users/{i}"))
                    .to_request();
                let resp = test::call_service(&bare, req).await;
                std::hint::black_box(test::read_body(resp).await);
            }
            let b = start.elapsed().as_nanos() as f64 / per_round as f64;
            let start = Instant::now();
            for i in 0..per_round {
                let req = test::TestRequest::get()
                    .uri(&format!("/users/{i}"))
                    .to_request();
                let resp = test::call_service(&timed, req).await;
                std::hint::black_box(test::read_body(resp).await);
            }
            let t = start.elapsed().as_nanos() as f64 / per_round as f64;
            if round > 0 {
                bare_ns.push(b);
                timed_ns.push(t);
            }
        }
        let (b, t) = (median(bare_ns), median(timed_ns));
        println!("request_metrics: {rounds} rounds × {per_round} in-process requests");
        println!("  bare actix-web     median {b:8.0} ns/request");
        println!("  with RequestMetrics median {t:8.0} ns/request");
        println!(
            "  added {:.0} ns/request; throughput ratio {:.3}×",
            t - b,
            b / t
        );
    });
}
