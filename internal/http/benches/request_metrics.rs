//! Added CPU per request of `RequestMetrics` (criterion, in-process): the same App with and
//! without the middleware, on a templated route and on an unmatched path; the added cost is the
//! difference of the medians (docs/performance.md). Run: `cargo bench -p vitals-http --bench request_metrics`.
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};
use vitals_http::RequestMetrics;

/// Times `iters` requests to `uri` through `service`, body read to the end.
fn run<S, B>(sys: &actix_web::rt::SystemRunner, service: &S, uri: &str, iters: u64) -> Duration
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    sys.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let req = test::TestRequest::get().uri(uri).to_request();
            let resp = test::call_service(service, req).await;
            std::hint::black_box(test::read_body(resp).await);
        }
        start.elapsed()
    })
}

fn request_metrics(c: &mut Criterion) {
    let sys = actix_web::rt::System::new();
    let bare = sys.block_on(test::init_service(
        App::new().route("/users/{id}", web::get().to(|| async { "user" })),
    ));
    let metrics = vitals_prometheus::PrometheusRecorder::new();
    let timed = sys.block_on(test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .route("/users/{id}", web::get().to(|| async { "user" })),
    ));
    let bare_resource = sys.block_on(test::init_service(
        App::new().service(web::resource("/users/{id}").route(web::get().to(|| async { "user" }))),
    ));
    let metrics_resource = vitals_prometheus::PrometheusRecorder::new();
    let timed_resource = sys.block_on(test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics_resource).build().unwrap())
            .service(
                vitals_http::timed_resource("/users/{id}")
                    .route(web::get().to(|| async { "user" })),
            ),
    ));
    let mut group = c.benchmark_group("request");
    group.bench_function("bare_resource", |b| {
        b.iter_custom(|n| run(&sys, &bare_resource, "/users/42", n))
    });
    group.bench_function("timed_resource", |b| {
        b.iter_custom(|n| run(&sys, &timed_resource, "/users/42", n))
    });
    group.bench_function("bare", |b| {
        b.iter_custom(|n| run(&sys, &bare, "/users/42", n))
    });
    group.bench_function("request_metrics", |b| {
        b.iter_custom(|n| run(&sys, &timed, "/users/42", n))
    });
    group.bench_function("bare_unmatched", |b| {
        b.iter_custom(|n| run(&sys, &bare, "/nowhere", n))
    });
    group.bench_function("request_metrics_unmatched", |b| {
        b.iter_custom(|n| run(&sys, &timed, "/nowhere", n))
    });
    group.finish();
}

criterion_group!(benches, request_metrics);
criterion_main!(benches);
