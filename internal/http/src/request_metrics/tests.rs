use super::*;
use actix_web::http::Method;
use actix_web::{App, HttpResponse, test, web};
use rand::{Rng, SeedableRng};
use std::time::Duration;
use vitals_judges::{histogram_sum, sample, series_count};
use vitals_prometheus::PrometheusRecorder;

const REQS: &str = "http_server_requests_total";
const DUR: &str = "http_server_request_duration_seconds";

async fn boom() -> HttpResponse {
    panic!("handler blew up")
}

async fn fails() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorInternalServerError("db down"))
}

fn app(
    timing: RequestMetrics,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(timing)
        .route("/users/{id}", web::get().to(|| async { "user" }))
        .route("/healthz", web::get().to(|| async { "ok" }))
        .route(
            "/ready",
            web::get().to(|| async { HttpResponse::ServiceUnavailable().body("draining") }),
        )
        .route(
            "/items/{id}",
            web::get().to(|id: web::Path<u32>| async move { id.to_string() }),
        )
        .route("/boom", web::get().to(boom))
        .route("/fails", web::get().to(fails))
        .route(
            "/stream",
            web::get().to(|| async {
                let chunks = futures_util::stream::unfold(0, |n| async move {
                    if n == 3 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from("chunk")), n + 1))
                });
                HttpResponse::Ok().streaming(chunks)
            }),
        )
}

async fn get(
    svc: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >,
    method: Method,
    uri: &str,
) -> u16 {
    let req = test::TestRequest::default()
        .method(method)
        .uri(uri)
        .to_request();
    match test::try_call_service(svc, req).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let _ = test::read_body(resp).await;
            status
        }
        Err(e) => e.as_response_error().status_code().as_u16(),
    }
}

#[actix_web::test]
async fn counts_requests_by_route_template() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    for id in 0..11 {
        assert_eq!(get(&svc, Method::GET, &format!("/users/{id}")).await, 200);
    }
    let labels = [
        ("method", "GET"),
        ("route", "/users/{id}"),
        ("status", "200"),
    ];
    let r = metrics.registry();
    assert_eq!(sample(r, REQS, &labels), Some(11.0));
    assert_eq!(sample(r, DUR, &labels), Some(11.0));
    assert_eq!(series_count(r, REQS), 1);
}

#[actix_web::test]
async fn random_paths_and_methods_do_not_grow_the_series() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let methods = [Method::GET, Method::POST, Method::DELETE];
    for i in 0..10_000 {
        let path: String = (0..12)
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        let method = if i % 4 == 0 {
            Method::from_bytes(format!("X{}", rng.random_range(0..1_000_000)).as_bytes()).unwrap()
        } else {
            methods[i % 3].clone()
        };
        assert_eq!(get(&svc, method, &format!("/{path}/{i}")).await, 404);
    }
    let r = metrics.registry();
    // GET, POST, DELETE and OTHER on <unmatched> with 404: four series, whatever the paths.
    assert_eq!(series_count(r, REQS), 4);
    assert_eq!(series_count(r, DUR), 4);
    let other = [("method", "OTHER"), ("route", UNMATCHED), ("status", "404")];
    assert_eq!(sample(r, REQS, &other), Some(2_500.0));
}

#[actix_web::test]
async fn label_sets_beyond_the_budget_fold_into_overflow() {
    let metrics = PrometheusRecorder::new();
    let timing = RequestMetrics::builder(&metrics)
        .series_budget(2)
        .build()
        .unwrap();
    let svc = test::init_service(app(timing)).await;
    get(&svc, Method::GET, "/users/1").await;
    get(&svc, Method::POST, "/users/1").await;
    get(&svc, Method::PUT, "/users/1").await;
    get(&svc, Method::PUT, "/users/2").await;
    let r = metrics.registry();
    let over = [
        ("method", "<overflow>"),
        ("route", "<overflow>"),
        ("status", "<overflow>"),
    ];
    assert_eq!(sample(r, REQS, &over), Some(2.0));
    assert_eq!(series_count(r, REQS), 3);
    assert_eq!(
        sample(r, "vitals_series_overflow_total", &[("family", REQS)]),
        Some(3.0),
        "one refused admission plus two observations"
    );
}

#[actix_web::test]
async fn handler_errors_and_panics_are_counted_and_panics_become_500() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    assert_eq!(get(&svc, Method::GET, "/fails").await, 500);
    assert_eq!(get(&svc, Method::GET, "/boom").await, 500);
    assert_eq!(get(&svc, Method::GET, "/boom").await, 500);
    assert_eq!(get(&svc, Method::GET, "/users/1").await, 200);
    let r = metrics.registry();
    let errors = |t| sample(r, "vitals_errors_total", &[("type", t)]);
    assert_eq!(errors("handler_error"), Some(3.0), "one Err and two panics");
    assert_eq!(errors("panic"), Some(2.0));
    assert_eq!(errors("http_5xx"), Some(3.0));
    let boom = [("method", "GET"), ("route", UNKNOWN), ("status", "500")];
    assert_eq!(sample(r, REQS, &boom), Some(2.0));
    let fails = [("method", "GET"), ("route", "/fails"), ("status", "500")];
    assert_eq!(sample(r, REQS, &fails), Some(1.0));
}

#[actix_web::test]
async fn probes_are_excluded_by_default() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    get(&svc, Method::GET, "/healthz").await;
    assert_eq!(series_count(metrics.registry(), REQS), 0);

    let metrics = PrometheusRecorder::new();
    let timing = RequestMetrics::builder(&metrics)
        .include_defaults()
        .exclude(["/users/{id}"])
        .build()
        .unwrap();
    let svc = test::init_service(app(timing)).await;
    get(&svc, Method::GET, "/healthz").await;
    get(&svc, Method::GET, "/users/3").await;
    let r = metrics.registry();
    assert_eq!(sample(r, REQS, &[("route", "/healthz")]), Some(1.0));
    assert_eq!(series_count(r, REQS), 1);
}

#[actix_web::test]
async fn streamed_bodies_are_timed_to_their_end() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    assert_eq!(get(&svc, Method::GET, "/stream").await, 200);
    let sum = histogram_sum(metrics.registry(), DUR, &[("route", "/stream")]).unwrap();
    assert!(
        sum >= 0.3,
        "duration {sum} should include 3 × 100 ms of streaming"
    );
}

#[actix_web::test]
async fn prefix_and_const_labels_apply() {
    let metrics = PrometheusRecorder::new();
    let timing = RequestMetrics::builder(&metrics)
        .prefix("shop")
        .const_label("service", "cart")
        .buckets(vec![0.1, 1.0])
        .build()
        .unwrap();
    let svc = test::init_service(app(timing)).await;
    get(&svc, Method::GET, "/users/1").await;
    let r = metrics.registry();
    assert_eq!(
        sample(r, "shop_http_server_requests_total", &[("service", "cart")]),
        Some(1.0)
    );
    assert!(
        RequestMetrics::builder(&metrics)
            .prefix("Bad-Prefix")
            .build()
            .is_err()
    );
    assert!(
        RequestMetrics::builder(&metrics)
            .prefix("shop")
            .build()
            .is_err(),
        "duplicate families"
    );
}

#[actix_web::test]
async fn client_rejections_are_not_handler_errors() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    assert_eq!(get(&svc, Method::GET, "/items/abc").await, 404);
    assert_eq!(get(&svc, Method::GET, "/items/7").await, 200);
    let r = metrics.registry();
    let errors = |t| sample(r, "vitals_errors_total", &[("type", t)]);
    assert_eq!(errors("client_error"), Some(1.0));
    assert_eq!(errors("handler_error"), Some(0.0));
    assert_eq!(errors("http_5xx"), Some(0.0));
    let rejected = [
        ("method", "GET"),
        ("route", "/items/{id}"),
        ("status", "404"),
    ];
    assert_eq!(sample(r, REQS, &rejected), Some(1.0));
}

#[actix_web::test]
async fn an_unready_probe_answer_feeds_no_request_family() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(app(RequestMetrics::builder(&metrics).build().unwrap())).await;
    assert_eq!(get(&svc, Method::GET, "/ready").await, 503);
    let r = metrics.registry();
    assert_eq!(
        sample(r, "vitals_errors_total", &[("type", "http_5xx")]),
        Some(0.0)
    );
    assert_eq!(series_count(r, REQS), 0);
}

async fn two_chunks() -> HttpResponse {
    let chunks = ["a", "b"].map(|c| Ok::<_, actix_web::Error>(web::Bytes::from(c)));
    HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
}

#[actix_web::test]
async fn every_request_is_counted_once_whatever_its_body() {
    let metrics = PrometheusRecorder::new();
    let requests = |route| sample(metrics.registry(), REQS, &[("route", route)]);
    // An inner middleware's own body type (the logger's): a stream recorded when its head is
    // ready, once, not again at its end.
    let logged = test::init_service(
        App::new()
            .wrap(actix_web::middleware::Logger::default())
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .route("/logged", web::get().to(two_chunks))
            .route(
                "/empty",
                web::get().to(|| async { HttpResponse::Ok().body(actix_web::body::None::new()) }),
            ),
    )
    .await;
    let res = test::call_service(
        &logged,
        test::TestRequest::get().uri("/logged").to_request(),
    );
    let res = res.await;
    assert_eq!(requests("/logged"), Some(1.0));
    assert_eq!(test::read_body(res).await, "ab");
    assert_eq!(requests("/logged"), Some(1.0));
    // No body at all (`BodySize::None`, as a HEAD answer or a 304 carries): at once.
    let res = test::call_service(&logged, test::TestRequest::get().uri("/empty").to_request());
    drop(res.await);
    assert_eq!(requests("/empty"), Some(1.0));
    // A boxed stream dropped before its end (the client went away): once, when dropped.
    let streamed = PrometheusRecorder::new();
    let boxed = test::init_service(app(RequestMetrics::builder(&streamed).build().unwrap())).await;
    let res = test::call_service(&boxed, test::TestRequest::get().uri("/stream").to_request());
    let res = res.await;
    let requests = |route| sample(streamed.registry(), REQS, &[("route", route)]);
    assert_eq!(requests("/stream"), Some(0.0));
    drop(res);
    assert_eq!(requests("/stream"), Some(1.0));
}
