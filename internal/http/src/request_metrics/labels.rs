use actix_web::http::Method;
use prometheus::{Histogram, IntCounter};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use vitals::metrics::OVERFLOW;
use vitals_prometheus::SeriesBudget;

/// The `route` label of requests that matched no route.
pub const UNMATCHED: &str = "<unmatched>";

/// The `route` label of requests whose handler panicked or whose inner middleware failed: the
/// request (and with it the matched route) is gone by then.
pub const UNKNOWN: &str = "<unknown>";

const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "OTHER",
];

/// Index of a method in the bounded method set; anything non-standard is `OTHER`.
pub(crate) fn method_index(m: &Method) -> u8 {
    match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::CONNECT => 5,
        Method::OPTIONS => 6,
        Method::TRACE => 7,
        Method::PATCH => 8,
        _ => 9,
    }
}

/// One label set's instruments.
pub(crate) struct Series {
    pub(crate) duration: Histogram,
    pub(crate) requests: IntCounter,
    overflow: Option<Arc<SeriesBudget>>,
}

impl Series {
    pub(crate) fn record(&self, seconds: f64) {
        self.duration.observe(seconds);
        self.requests.inc();
        if let Some(budget) = &self.overflow {
            budget.count_overflow();
        }
    }
}

/// Process-wide state shared by every worker's middleware.
pub(crate) struct Shared {
    pub(crate) duration: prometheus::HistogramVec,
    pub(crate) requests: prometheus::IntCounterVec,
    pub(crate) budget: Arc<SeriesBudget>,
    pub(crate) excluded: HashSet<String>,
    pub(crate) http_5xx: IntCounter,
    pub(crate) handler_errors: IntCounter,
    pub(crate) client_errors: IntCounter,
    pub(crate) panics: IntCounter,
}

impl Shared {
    /// Counts a 5xx answer, and a handler or middleware error as `handler_error` when the
    /// server failed (5xx) or `client_error` when the request was refused (an extractor
    /// rejecting a bad path or body: 4xx).
    pub(crate) fn count_failure(&self, status: actix_web::http::StatusCode, errored: bool) {
        if status.is_server_error() {
            self.http_5xx.inc();
            if errored {
                self.handler_errors.inc();
            }
        } else if errored {
            self.client_errors.inc();
        }
    }

    fn series(&self, method: u8, route: &str, status: u16) -> Series {
        let status = status.to_string();
        let labels = [METHODS[method as usize], route, status.as_str()];
        if self.budget.admit(&labels) {
            Series {
                duration: self.duration.with_label_values(&labels),
                requests: self.requests.with_label_values(&labels),
                overflow: None,
            }
        } else {
            let o = [OVERFLOW; 3];
            Series {
                duration: self.duration.with_label_values(&o),
                requests: self.requests.with_label_values(&o),
                overflow: Some(self.budget.clone()),
            }
        }
    }
}

/// A route's resolved series on one worker: its template, whether it is excluded, and a series
/// per (method, status) seen so far.
pub(crate) struct RouteSlot {
    route: Box<str>,
    excluded: bool,
    series: Vec<(u8, u16, Rc<Series>)>,
}

impl RouteSlot {
    fn new(route: &str, shared: &Shared) -> Self {
        Self {
            excluded: shared.excluded.contains(route),
            route: route.into(),
            series: Vec::new(),
        }
    }

    /// The series of `method` and `status` on this route (created on first use); `None` when
    /// the route is excluded. A warm pair costs a scan of the route's few pairs.
    pub(crate) fn series(
        &mut self,
        shared: &Shared,
        method: u8,
        status: u16,
    ) -> Option<Rc<Series>> {
        if self.excluded {
            return None;
        }
        if let Some((_, _, s)) = self
            .series
            .iter()
            .find(|(m, st, _)| *m == method && *st == status)
        {
            return Some(s.clone());
        }
        let series = Rc::new(shared.series(method, &self.route, status));
        self.series.push((method, status, series.clone()));
        Some(series)
    }
}

pub(crate) type Slot = Rc<RefCell<RouteSlot>>;

/// One worker's state: the process-wide families and a cache of route template → slot, bounded
/// by the number of route templates, never by paths. Keys are hashed with foldhash: the route
/// strings are the app's own templates, and SipHash was a quarter of the middleware's
/// instructions (docs/performance.md).
pub(crate) struct Worker {
    pub(crate) shared: Arc<Shared>,
    id: u64,
    routes: RefCell<HashMap<Box<str>, Slot, foldhash::fast::RandomState>>,
    unmatched: Slot,
}

impl Worker {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let unmatched = Rc::new(RefCell::new(RouteSlot::new(UNMATCHED, &shared)));
        // Never reused, unlike an address: a cell filled by a worker that is gone matches none.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self {
            shared,
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            routes: RefCell::default(),
            unmatched,
        }
    }

    /// This worker's middleware, told apart from any other middleware instance, live or gone.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The slot of a route template; `None` is the slot of requests that matched no route.
    pub(crate) fn slot(&self, route: Option<&str>) -> Slot {
        let Some(r) = route else {
            return self.unmatched.clone();
        };
        if let Some(slot) = self.routes.borrow().get(r) {
            return slot.clone();
        }
        let slot = Rc::new(RefCell::new(RouteSlot::new(r, &self.shared)));
        self.routes.borrow_mut().insert(r.into(), slot.clone());
        slot
    }

    /// Resolves the series for a finished request; `None` when its route is excluded.
    pub(crate) fn resolve(
        &self,
        route: Option<&str>,
        method: u8,
        status: u16,
    ) -> Option<Rc<Series>> {
        self.slot(route)
            .borrow_mut()
            .series(&self.shared, method, status)
    }
}
