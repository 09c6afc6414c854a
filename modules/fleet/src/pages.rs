//! The pages the fleet view serves under the status path, all read from the database: `""` the
//! fleet page (every target's row: a fixed number of queries, without the checks' readings),
//! `"fleet"` the JSON document of every target with its readings, `"service/{name}"` one
//! target's page (its own reads only).
use crate::config::Target;
use crate::metrics::recent;
use crate::store::{FleetStore, StoreError, nothing_known, without_details};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use vitals::Coalesced;
use vitals::metrics::Counter;
use vitals::pages::{PageRequest, PageResponse, StatusPages};
use vitals_status::page::{self, PageOptions};
use vitals_status::{FleetDocument, unix_ms};

/// The fleet view's [`StatusPages`]. Concurrent requests for one page share one read of the
/// database, reused for the poll interval (at most 1 s), and its two forms (with details, and
/// without for callers who may not see them), made once per read and shared, never copied per
/// request.
pub struct FleetPages {
    inner: Arc<Inner>,
    /// The fleet page's read.
    summary: Coalesced<Arc<Read>>,
    /// The JSON document's.
    whole: Coalesced<Arc<Read>>,
    /// Each target's page's, in the order of the targets.
    each: Vec<Coalesced<Arc<Read>>>,
}

/// What a read holds.
#[derive(Clone, Copy)]
enum Scope {
    /// Every target without its checks' readings.
    Summary,
    /// Every target with them.
    Whole,
    /// The target at this index, with them.
    One(usize),
}

/// One read of the database: its status code and the document in both forms.
struct Read {
    status: u16,
    full: FleetDocument,
    withheld: FleetDocument,
}

impl Read {
    fn new(status: u16, full: FleetDocument) -> Self {
        let mut withheld = full.clone();
        without_details(&mut withheld);
        Self {
            status,
            full,
            withheld,
        }
    }

    fn doc(&self, details: bool) -> &FleetDocument {
        if details { &self.full } else { &self.withheld }
    }
}

/// Page reads under way at once, whatever the pages asked for: the pool's other connections stay
/// the poll loop's (its lease and its writes), however many pages are requested together.
const READS_AT_ONCE: usize = 2;

struct Inner {
    targets: Vec<Target>,
    store: Arc<FleetStore>,
    refresh: Duration,
    store_errors: Option<Counter>,
    reads: tokio::sync::Semaphore,
}

impl FleetPages {
    /// Pages of `targets` read from `store`, reloading every `refresh` (at least 1 s).
    pub fn new(targets: Vec<Target>, store: Arc<FleetStore>, refresh: Duration) -> Self {
        Self {
            each: targets.iter().map(|_| Coalesced::new()).collect(),
            inner: Arc::new(Inner {
                targets,
                store,
                refresh,
                store_errors: None,
                reads: tokio::sync::Semaphore::new(READS_AT_ONCE),
            }),
            summary: Coalesced::new(),
            whole: Coalesced::new(),
        }
    }

    pub(crate) fn counting_errors(mut self, c: Counter) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.store_errors = Some(c);
        }
        self
    }

    /// The read a caller is answered from (choose its form with [`Read::doc`]).
    async fn document(&self, scope: Scope) -> Arc<Read> {
        let inner = self.inner.clone();
        let reuse = self.inner.refresh.min(Duration::from_secs(1));
        let cell = match scope {
            Scope::Summary => &self.summary,
            Scope::Whole => &self.whole,
            Scope::One(i) => &self.each[i],
        };
        let shared = cell.get(move || async move {
            let (status, doc) = inner.read(scope).await;
            let until = (status == 200).then(|| tokio::time::Instant::now() + reuse);
            (Arc::new(Read::new(status, doc)), until)
        });
        match shared.await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("fleet view: reading the page's document {e}");
                Arc::new(Read::new(
                    503,
                    self.inner.unknown(scope, unix_ms(SystemTime::now())),
                ))
            }
        }
    }
}

impl Inner {
    /// The document with details, a target's status absent once its last poll is older than
    /// three intervals (as its metric); or — when the database fails — the targets with nothing
    /// known (status, uptime and history absent) and `503`.
    async fn read(&self, scope: Scope) -> (u16, FleetDocument) {
        let now = unix_ms(SystemTime::now());
        let read = async {
            // A read waiting for its turn longer than a whole read may take is as late as one.
            let wait = self.store.deadline() * 2;
            let Ok(Ok(_turn)) = tokio::time::timeout(wait, self.reads.acquire()).await else {
                return Err(StoreError::Deadline(wait));
            };
            // Before the poll loop's first cycle, the tables may not exist yet.
            self.store.migrate().await?;
            let (targets, store) = (&self.targets, &self.store);
            match scope {
                Scope::Summary => store.fleet_summary(targets, now, true).await,
                Scope::Whole => store.fleet_document(targets, now, true).await,
                Scope::One(i) => store.target_document(&targets[i], now, true).await,
            }
        };
        match read.await {
            Ok(mut doc) => {
                // Polls stopped (no collector can poll or write): the last status is no more.
                for t in &mut doc.targets {
                    if t.polled_at_ms
                        .is_some_and(|at| !recent(at, now, self.refresh * 3))
                    {
                        t.status = None;
                    }
                }
                (200, doc)
            }
            Err(e) => {
                tracing::warn!(error = %e, "fleet view: reading the page's document failed");
                if let Some(c) = &self.store_errors {
                    c.inc();
                }
                (503, self.unknown(scope, now))
            }
        }
    }

    fn unknown(&self, scope: Scope, now: u64) -> FleetDocument {
        let targets = match scope {
            Scope::One(i) => &self.targets[i..=i],
            _ => &self.targets[..],
        };
        let targets = targets.iter().map(nothing_known).collect();
        FleetDocument {
            generated_at_ms: now,
            details: true,
            unavailable: true,
            targets,
        }
    }
}

#[vitals::async_trait]
impl StatusPages for FleetPages {
    async fn get(&self, request: PageRequest) -> PageResponse {
        let opts = PageOptions {
            base: &request.base,
            refresh_seconds: self.inner.refresh.as_secs().clamp(1, 3600) as u32,
        };
        let path = request.path.as_str();
        if path.is_empty() {
            let read = self.document(Scope::Summary).await;
            return PageResponse::html(read.status, page::fleet(read.doc(request.details), &opts));
        }
        if path == "fleet" {
            let read = self.document(Scope::Whole).await;
            return match serde_json::to_string(read.doc(request.details)) {
                Ok(body) => PageResponse::json(read.status, body),
                Err(e) => PageResponse::json(500, format!("{{\"error\":\"{e}\"}}")),
            };
        }
        if let Some(name) = path.strip_prefix("service/")
            && let Some(i) = self.inner.targets.iter().position(|t| t.name == name)
        {
            let read = self.document(Scope::One(i)).await;
            if let Some(html) = page::target(read.doc(request.details), name, &opts) {
                return PageResponse::html(read.status, html);
            }
        }
        PageResponse::not_found()
    }
}
