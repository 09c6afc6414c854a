//! Routes that name themselves: a resource made by [`timed_resource`] carries a small
//! middleware of its own that, when actix routes a request to it, hands the request-metrics
//! middleware a per-worker cell for the route. The cell is filled on the route's first request;
//! every later request reads its series from it instead of asking actix for the matched pattern
//! (`match_pattern()` climbs the resource map and builds a new `String` per request: the one
//! allocation the middleware would otherwise add, and about a third of its instructions).
//!
//! The hand-over is a thread-local slot: routing runs synchronously inside the outer
//! middleware's call on the worker's one thread, so the slot is cleared before that call and
//! read right after it, with no other request in between. When an inner middleware defers
//! routing to a later poll, the slot stays empty and the route is read the ordinary way.
use super::labels::{Slot, Worker};
use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use std::cell::{Cell, OnceCell};
use std::future::{Ready, ready};
use std::rc::Rc;

thread_local! {
    static ROUTED: Cell<Option<Rc<RouteCell>>> = const { Cell::new(None) };
}

/// Clears the hand-over slot (before the outer middleware calls the app).
pub(crate) fn clear_routed() {
    ROUTED.with(|r| drop(r.take()));
}

/// The cell of the timed resource the request was routed to during the call, if any.
pub(crate) fn take_routed() -> Option<Rc<RouteCell>> {
    ROUTED.with(Cell::take)
}

/// One timed resource's cell on one worker: its slot, with the identity of the middleware that
/// filled it (another `RequestMetrics` on the same app reads the template the ordinary way).
pub(crate) struct RouteCell {
    slot: OnceCell<(usize, Slot)>,
}

impl RouteCell {
    /// The slot filled by `worker`'s middleware, if it filled this cell.
    pub(crate) fn slot(&self, worker: &Worker) -> Option<&Slot> {
        self.slot
            .get()
            .filter(|(id, _)| *id == worker.id())
            .map(|(_, slot)| slot)
    }

    /// Keeps `slot` for the route's later requests (the first middleware to fill it wins).
    pub(crate) fn fill(&self, worker: &Worker, slot: &Slot) {
        let _ = self.slot.set((worker.id(), slot.clone()));
    }
}

/// `web::resource(path)` whose requests tell the request metrics which route they took:
/// routes registered this way cost no allocation and no walk of the resource map per request
/// (`docs/performance.md`). Everything else is the ordinary [`actix_web::Resource`]: add
/// routes, guards, data and middleware to it as usual; inside a scope the template is the
/// scope's prefix followed by `path`, as for any resource.
///
/// Routes registered with `App::route` or `web::resource` are timed all the same, through
/// actix's `match_pattern()`.
///
/// ```
/// use actix_web::{App, web};
/// use vitals_http::{RequestMetrics, timed_resource};
///
/// let metrics = vitals_prometheus::PrometheusRecorder::new();
/// let app = App::new()
///     .wrap(RequestMetrics::builder(&metrics).build().unwrap())
///     .service(timed_resource("/users/{id}").route(web::get().to(|| async { "hi" })));
/// # let _ = app;
/// ```
pub fn timed_resource(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    actix_web::web::resource(path).wrap(MarkRoute)
}

/// The resource's own middleware: one cell per worker.
struct MarkRoute;

impl<S> Transform<S, ServiceRequest> for MarkRoute
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error>,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Transform = MarkRouteService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(MarkRouteService {
            service,
            cell: Rc::new(RouteCell {
                slot: OnceCell::new(),
            }),
        }))
    }
}

struct MarkRouteService<S> {
    service: S,
    cell: Rc<RouteCell>,
}

impl<S> Service<ServiceRequest> for MarkRouteService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = Error>,
{
    type Response = ServiceResponse;
    type Error = Error;
    type Future = S::Future;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        ROUTED.with(|r| r.set(Some(self.cell.clone())));
        self.service.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::timed_resource;
    use crate::RequestMetrics;
    use actix_web::dev::{Service, ServiceRequest};
    use actix_web::http::Method;
    use actix_web::{App, HttpResponse, test, web};
    use std::time::Duration;
    use vitals_judges::{histogram_sum, sample, series_count};
    use vitals_prometheus::PrometheusRecorder as Metrics;

    const REQS: &str = "http_server_requests_total";
    const DUR: &str = "http_server_request_duration_seconds";

    fn count(metrics: &Metrics, method: &str, route: &str, status: &str) -> Option<f64> {
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
        let metrics = Metrics::new();
        let svc = test::init_service(
            App::new()
                .wrap(RequestMetrics::builder(&metrics).build().unwrap())
                .service(timed_resource("/users/{id}").route(web::get().to(|| async { "u" })))
                .service(
                    web::scope("/api/{version}")
                        .service(
                            timed_resource("/orders/{id}").route(web::get().to(|| async { "o" })),
                        )
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

    #[actix_web::test]
    async fn an_inner_middleware_that_routes_later_and_a_second_timer_both_see_the_right_route() {
        // An inner middleware calling the app only when polled: routing happens after the outer
        // call returned, so the hand-over is empty and the route is read the ordinary way.
        let (outer, inner) = (Metrics::new(), Metrics::new());
        let svc = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(later))
                .wrap(RequestMetrics::builder(&inner).build().unwrap())
                .wrap(RequestMetrics::builder(&outer).build().unwrap())
                .service(timed_resource("/a/{x}").route(web::get().to(|| async { "a" })))
                .service(timed_resource("/b/{x}").route(web::get().to(|| async { "b" }))),
        )
        .await;
        for i in 0..5 {
            call(&svc, Method::GET, &format!("/a/{i}")).await;
            call(&svc, Method::GET, &format!("/b/{i}")).await;
            call(&svc, Method::GET, &format!("/b/{i}")).await;
        }
        for m in [&outer, &inner] {
            assert_eq!(count(m, "GET", "/a/{x}", "200"), Some(5.0));
            assert_eq!(count(m, "GET", "/b/{x}", "200"), Some(10.0));
            assert_eq!(series_count(m.registry(), REQS), 2);
        }
    }

    #[actix_web::test]
    async fn a_sized_body_is_recorded_when_ready_and_a_stream_at_its_end() {
        let metrics = Metrics::new();
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
        let sized =
            test::call_service(&svc, test::TestRequest::get().uri("/sized").to_request()).await;
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
}
