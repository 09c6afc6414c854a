//! Heap allocations the request middleware adds per request on the steady-state path (caches
//! warm), counted by a counting global allocator: the same in-process requests through an App
//! with and without `RequestMetrics`. One test in this binary, so nothing else allocates while
//! it counts.
use actix_web::{App, test, web};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use vitals_http::RequestMetrics;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const REQUESTS: usize = 1_000;

/// Allocations made by `REQUESTS` requests to `uri` (response body read to the end).
async fn allocations<S, B>(service: &S, uri: &str) -> usize
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    // Warm-up: the worker cache, the label series and actix's request pool fill here.
    for _ in 0..10 {
        let resp =
            test::call_service(service, test::TestRequest::get().uri(uri).to_request()).await;
        test::read_body(resp).await;
    }
    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| test::TestRequest::get().uri(uri).to_request())
        .collect();
    let region = Region::new(GLOBAL);
    for req in requests {
        let resp = test::call_service(service, req).await;
        std::hint::black_box(test::read_body(resp).await);
    }
    region.change().allocations
}

#[actix_web::test]
async fn the_middleware_adds_no_allocation_on_a_timed_resource_and_one_on_a_plain_route() {
    let bare =
        test::init_service(App::new().route("/users/{id}", web::get().to(|| async { "user" })))
            .await;
    let metrics = vitals_prometheus::PrometheusRecorder::new();
    let timed = test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .route("/users/{id}", web::get().to(|| async { "user" })),
    )
    .await;
    // The same route registered with `timed_resource`, beside a bare app registering it the
    // ordinary way (a resource with one route, as `App::route` makes).
    let bare_resource = test::init_service(
        App::new().service(web::resource("/users/{id}").route(web::get().to(|| async { "user" }))),
    )
    .await;
    let metrics_resource = vitals_prometheus::PrometheusRecorder::new();
    let timed_resource = test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics_resource).build().unwrap())
            .service(
                vitals_http::timed_resource("/users/{id}")
                    .route(web::get().to(|| async { "user" })),
            ),
    )
    .await;
    let resource = (
        allocations(&bare_resource, "/users/42").await,
        allocations(&timed_resource, "/users/42").await,
    );
    let matched = (
        allocations(&bare, "/users/42").await,
        allocations(&timed, "/users/42").await,
    );
    let unmatched = (
        allocations(&bare, "/nowhere").await,
        allocations(&timed, "/nowhere").await,
    );
    eprintln!(
        "allocations per {REQUESTS} requests: timed resource bare {} timed {}; matched bare {} \
         timed {}; unmatched bare {} timed {}",
        resource.0, resource.1, matched.0, matched.1, unmatched.0, unmatched.1
    );
    // A timed resource hands the middleware its route: nothing allocated per request.
    assert_eq!(resource.1, resource.0, "timed resource");
    // On a plain route, the one allocation is actix's `HttpRequest::match_pattern()`, which builds the route
    // template as a new `String` on every call, matched or not (it starts from
    // `String::with_capacity`); everything else the middleware needs is cached per worker
    // (docs/performance.md).
    assert_eq!(matched.1 - matched.0, REQUESTS, "matched route");
    assert_eq!(unmatched.1 - unmatched.0, REQUESTS, "unmatched path");
}
