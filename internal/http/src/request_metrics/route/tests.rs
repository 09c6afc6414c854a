use super::timed_resource;
use crate::RequestMetrics;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{App, HttpResponse, test, web};
use std::time::Duration;
use vitals_judges::{histogram_sum, sample, series_count};
use vitals_prometheus::PrometheusRecorder;

const REQS: &str = "http_server_requests_total";
const DUR: &str = "http_server_request_duration_seconds";

fn count(metrics: &PrometheusRecorder, method: &str, route: &str, status: &str) -> Option<f64> {
    let labels = [("method", method), ("route", route), ("status", status)];
    sample(metrics.registry(), REQS, &labels)
}

async fn call(
    svc: &impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    method: actix_web::http::Method,
    uri: &str,
) -> u16 {
    let req = test::TestRequest::default()
        .method(method)
        .uri(uri)
        .to_request();
    let res = test::call_service(svc, req).await;
    let status = res.status().as_u16();
    test::read_body(res).await;
    status
}

#[actix_web::test]
async fn timed_resources_count_under_their_full_template_beside_plain_routes() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .service(timed_resource("/users/{id}").route(web::get().to(|| async { "u" })))
            .service(
                web::scope("/api/{version}")
                    .service(timed_resource("/orders/{id}").route(web::get().to(|| async { "o" })))
                    .service(timed_resource("/orders").route(web::post().to(|| async { "n" }))),
            )
            .route("/plain/{id}", web::get().to(|| async { "p" })),
    )
    .await;
    for i in 0..7 {
        assert_eq!(call(&svc, Method::GET, &format!("/users/{i}")).await, 200);
        assert_eq!(
            call(&svc, Method::GET, &format!("/api/v{i}/orders/{i}")).await,
            200
        );
        assert_eq!(call(&svc, Method::GET, &format!("/plain/{i}")).await, 200);
    }
    for _ in 0..3 {
        assert_eq!(call(&svc, Method::POST, "/api/v2/orders").await, 200);
        // The resource answers a method it has no route for: still its template.
        assert_eq!(call(&svc, Method::DELETE, "/users/9").await, 405);
    }
    assert_eq!(call(&svc, Method::GET, "/nowhere").await, 404);
    assert_eq!(count(&metrics, "GET", "/users/{id}", "200"), Some(7.0));
    assert_eq!(
        count(&metrics, "GET", "/api/{version}/orders/{id}", "200"),
        Some(7.0)
    );
    assert_eq!(count(&metrics, "GET", "/plain/{id}", "200"), Some(7.0));
    assert_eq!(
        count(&metrics, "POST", "/api/{version}/orders", "200"),
        Some(3.0)
    );
    assert_eq!(count(&metrics, "DELETE", "/users/{id}", "405"), Some(3.0));
    assert_eq!(count(&metrics, "GET", "<unmatched>", "404"), Some(1.0));
    assert_eq!(series_count(metrics.registry(), REQS), 6);
}

async fn later(
    req: ServiceRequest,
    next: actix_web::middleware::Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse, actix_web::Error> {
    tokio::task::yield_now().await;
    next.call(req).await
}

/// Sends 5 requests to `/a/{x}` and 10 to `/b/{x}`; both timers count each under its template.
async fn five_a_ten_b_counted_by_both(
    svc: &impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    outer: &PrometheusRecorder,
    inner: &PrometheusRecorder,
) {
    for i in 0..5 {
        call(svc, Method::GET, &format!("/a/{i}")).await;
        call(svc, Method::GET, &format!("/b/{i}")).await;
        call(svc, Method::GET, &format!("/b/{i}")).await;
    }
    for m in [outer, inner] {
        assert_eq!(count(m, "GET", "/a/{x}", "200"), Some(5.0));
        assert_eq!(count(m, "GET", "/b/{x}", "200"), Some(10.0));
        assert_eq!(series_count(m.registry(), REQS), 2);
    }
}

#[actix_web::test]
async fn an_inner_middleware_that_routes_later_and_a_second_timer_both_see_the_right_route() {
    // An inner middleware calling the app only when polled: routing happens after the outer
    // call returned, so the hand-over is empty and the route is read the ordinary way.
    let (outer, inner) = (PrometheusRecorder::new(), PrometheusRecorder::new());
    let svc = test::init_service(
        App::new()
            .wrap(actix_web::middleware::from_fn(later))
            .wrap(RequestMetrics::builder(&inner).build().unwrap())
            .wrap(RequestMetrics::builder(&outer).build().unwrap())
            .service(timed_resource("/a/{x}").route(web::get().to(|| async { "a" })))
            .service(timed_resource("/b/{x}").route(web::get().to(|| async { "b" }))),
    )
    .await;
    five_a_ten_b_counted_by_both(&svc, &outer, &inner).await;
}

#[actix_web::test]
async fn two_timers_routed_at_once_count_every_request_under_its_route() {
    // Routing within the calls: the inner timer takes the hand-over, the outer one reads the
    // route the ordinary way; both count every request under its own template.
    let (outer, inner) = (PrometheusRecorder::new(), PrometheusRecorder::new());
    let svc = test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&inner).build().unwrap())
            .wrap(RequestMetrics::builder(&outer).build().unwrap())
            .service(timed_resource("/a/{x}").route(web::get().to(|| async { "a" })))
            .service(timed_resource("/b/{x}").route(web::get().to(|| async { "b" }))),
    )
    .await;
    five_a_ten_b_counted_by_both(&svc, &outer, &inner).await;
}

/// An inner middleware that routes another request beside the one it was given: before
/// `/plain/…`, a sub-request to the timed `/b/1` (its future dropped); on `/a/detour`, the
/// request is routed to the timed `/a/{x}`, then answered with the response of the earlier
/// `/plain/stash` request, kept for it.
struct Detour;

impl<S> actix_web::dev::Transform<S, ServiceRequest> for Detour
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Transform = DetourService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let stash = std::cell::RefCell::new(None);
        std::future::ready(Ok(DetourService { service, stash }))
    }
}

struct DetourService<S> {
    service: S,
    stash: std::cell::RefCell<Option<ServiceRequest>>,
}

impl<S> Service<ServiceRequest> for DetourService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future =
        futures_util::future::LocalBoxFuture<'static, Result<ServiceResponse, actix_web::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if req.path() == "/plain/stash" {
            let kept = ServiceRequest::from_request(req.request().clone());
            *self.stash.borrow_mut() = Some(kept);
            return Box::pin(std::future::ready(
                Ok(req.into_response(HttpResponse::Ok())),
            ));
        }
        if req.path().starts_with("/plain") {
            let sub = test::TestRequest::get().uri("/b/1").to_srv_request();
            drop(self.service.call(sub));
        }
        let kept = self
            .stash
            .borrow_mut()
            .take_if(|_| req.path() == "/a/detour");
        if let Some(kept) = kept {
            drop(self.service.call(req));
            return Box::pin(self.service.call(kept));
        }
        Box::pin(self.service.call(req))
    }
}

#[actix_web::test]
async fn a_request_routed_by_an_inner_middleware_lends_its_route_to_no_other() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(
        App::new()
            .wrap(Detour)
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .service(timed_resource("/a/{x}").route(web::get().to(|| async { "a" })))
            .service(timed_resource("/b/{x}").route(web::get().to(|| async { "b" })))
            .route("/plain/{x}", web::get().to(|| async { "p" })),
    )
    .await;
    // Each route's first request fills its cell: a wrong fill would mislabel every later one.
    assert_eq!(call(&svc, Method::GET, "/plain/stash").await, 200);
    assert_eq!(call(&svc, Method::GET, "/plain/1").await, 200);
    assert_eq!(call(&svc, Method::GET, "/a/detour").await, 200);
    for i in 0..3 {
        assert_eq!(call(&svc, Method::GET, &format!("/b/{i}")).await, 200);
        assert_eq!(call(&svc, Method::GET, &format!("/a/{i}")).await, 200);
    }
    // A sub-request to the warm /b/{x} beside it.
    assert_eq!(call(&svc, Method::GET, "/plain/2").await, 200);
    // The detour, answered with the kept /plain/stash's response, counts under the route its own
    // request was routed to; the cell of /a/{x} keeps its own template for the later requests.
    assert_eq!(count(&metrics, "GET", "/plain/{x}", "200"), Some(3.0));
    assert_eq!(count(&metrics, "GET", "/b/{x}", "200"), Some(3.0));
    assert_eq!(count(&metrics, "GET", "/a/{x}", "200"), Some(4.0));
    assert_eq!(series_count(metrics.registry(), REQS), 3);
}

#[actix_web::test]
async fn a_cell_filled_by_a_middleware_that_is_gone_matches_no_later_one() {
    use super::super::labels::Worker;
    use std::sync::Arc;
    // A resource's cell can outlive the middleware that filled it (a service tree wrapped
    // again). A later middleware whose state sits where the gone one's did (the same
    // allocation, as the allocator may hand out) must not read the gone one's slot, whose
    // series belong to another registry.
    let cell = super::RouteCell {
        slot: std::cell::OnceCell::new(),
        template: std::cell::OnceCell::new(),
        routed: std::cell::Cell::new(0),
    };
    let (gone, later) = (PrometheusRecorder::new(), PrometheusRecorder::new());
    let mut shared = RequestMetrics::builder(&gone).build().unwrap().shared;
    let first = Worker::new(shared.clone());
    cell.fill(&first, &first.slot(Some("/a/{x}")));
    assert!(cell.slot(&first).is_some());
    drop(first);
    let Ok(next) = Arc::try_unwrap(RequestMetrics::builder(&later).build().unwrap().shared) else {
        panic!("the new state is not shared yet");
    };
    *Arc::get_mut(&mut shared).expect("the gone middleware let go") = next;
    assert!(cell.slot(&Worker::new(shared)).is_none());
}

#[actix_web::test]
async fn a_sized_body_is_recorded_when_ready_and_a_stream_at_its_end() {
    let metrics = PrometheusRecorder::new();
    let svc = test::init_service(
        App::new()
            .wrap(RequestMetrics::builder(&metrics).build().unwrap())
            .service(timed_resource("/stream").route(web::get().to(|| async {
                let chunks = futures_util::stream::unfold(0, |n| async move {
                    if n == 3 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from("chunk")), n + 1))
                });
                HttpResponse::Ok().streaming(chunks)
            })))
            .service(timed_resource("/sized").route(web::get().to(|| async { "sized" }))),
    )
    .await;
    // Not yet read: a stream is not recorded before its end, a sized body already is.
    let stream =
        test::call_service(&svc, test::TestRequest::get().uri("/stream").to_request()).await;
    let sized = test::call_service(&svc, test::TestRequest::get().uri("/sized").to_request()).await;
    assert_eq!(count(&metrics, "GET", "/stream", "200"), Some(0.0));
    assert_eq!(count(&metrics, "GET", "/sized", "200"), Some(1.0));
    test::read_body(sized).await;
    test::read_body(stream).await;
    assert_eq!(count(&metrics, "GET", "/stream", "200"), Some(1.0));
    let sum = histogram_sum(metrics.registry(), DUR, &[("route", "/stream")]).unwrap();
    assert!(
        sum >= 0.3,
        "duration {sum} should include 3 × 100 ms of streaming"
    );
}
