//! Routes that name themselves: a resource made by [`timed_resource`] carries a small
//! middleware of its own that, when actix routes a request to it, hands the request-metrics
//! middleware a per-worker cell for the route. The cell keeps the resource's template, read with
//! `match_pattern()` from the first request routed to it, and the request-metrics middleware's
//! slot for it; every later request reads its series from it instead of asking actix for the
//! matched pattern (`match_pattern()` climbs the resource map and builds a new `String` per
//! request: the one allocation the middleware would otherwise add, and about a third of its
//! instructions).
//!
//! The hand-over is a thread-local slot: routing runs synchronously inside the outer
//! middleware's call on the worker's one thread, so the slot is cleared before that call and
//! read right after it. When an inner middleware defers routing to a later poll, the slot stays
//! empty and the route is read the ordinary way. The cell also names the last request routed to
//! it (the address of its head, which stays in place while the request lives), and is used only
//! for the request the outer middleware passed on: a sub-request an inner middleware routes
//! during the call never lends its route to the request it was given. A request is counted under
//! the resource it was routed to, even if an inner middleware answers it with the response of
//! another request.
use super::labels::{Slot, Worker};
use actix_web::Error;
use actix_web::dev::{RequestHead, Service, ServiceRequest, ServiceResponse, Transform};
use std::cell::{Cell, OnceCell};
use std::future::{Ready, ready};
use std::rc::Rc;

thread_local! {
    static ROUTED: Cell<Option<Rc<RouteCell>>> = const { Cell::new(None) };
}

/// A request's identity while it lives: the address of its head, which actix keeps in place
/// from the request's arrival to its response (`ServiceResponse::request`).
pub(crate) fn request_id(head: &RequestHead) -> usize {
    std::ptr::from_ref(head) as usize
}

/// Clears the hand-over slot (before the outer middleware calls the app).
pub(crate) fn clear_routed() {
    ROUTED.with(|r| drop(r.take()));
}

/// The cell of the timed resource that `request` was routed to during the call, if any: a cell
/// last routed another request during the call (a sub-request) is dropped.
#[inline]
pub(crate) fn take_routed(request: usize) -> Option<Rc<RouteCell>> {
    ROUTED
        .with(Cell::take)
        .filter(|cell| cell.routed.get() == request)
}

/// One timed resource's cell on one worker: its template and its slot, with the identity of the
/// middleware that filled it (another `RequestMetrics` handed the cell looks its slot up).
pub(crate) struct RouteCell {
    slot: OnceCell<(u64, Slot)>,
    /// The resource's template (`match_pattern()`), read when it was routed its first request.
    template: OnceCell<Box<str>>,
    /// The last request routed to the resource ([`request_id`]).
    routed: Cell<usize>,
}

impl RouteCell {
    /// The slot filled by `worker`'s middleware, if it filled this cell.
    pub(crate) fn slot(&self, worker: &Worker) -> Option<&Slot> {
        self.slot
            .get()
            .filter(|(id, _)| *id == worker.id())
            .map(|(_, slot)| slot)
    }

    /// The resource's template, once a request was routed to it.
    pub(crate) fn template(&self) -> Option<&str> {
        self.template.get().map(|t| &**t)
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
                template: OnceCell::new(),
                routed: Cell::new(0),
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
        // Routing brought this request here: its pattern is the resource's (once per worker).
        if self.cell.template.get().is_none()
            && let Some(template) = req.match_pattern()
        {
            let _ = self.cell.template.set(template.into_boxed_str());
        }
        self.cell.routed.set(request_id(req.head()));
        ROUTED.with(|r| r.set(Some(self.cell.clone())));
        self.service.call(req)
    }
}

#[cfg(test)]
mod tests;
