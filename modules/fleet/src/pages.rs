//! The pages the fleet view serves under the status path, all read from the database: `""` the
//! fleet page, `"fleet"` its JSON document, `"service/{name}"` one target's page.
use crate::config::Target;
use crate::store::FleetStore;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use vitals::metrics::Counter;
use vitals::pages::{PageRequest, PageResponse, StatusPages};
use vitals_status::page::{self, PageOptions};
use vitals_status::{FleetDocument, TargetDocument, Uptime, unix_ms};

/// The fleet view's [`StatusPages`].
pub struct FleetPages {
    targets: Vec<Target>,
    store: Arc<FleetStore>,
    refresh: Duration,
    store_errors: Option<Counter>,
}

impl FleetPages {
    /// Pages of `targets` read from `store`, reloading every `refresh` (at least 1 s).
    pub fn new(targets: Vec<Target>, store: Arc<FleetStore>, refresh: Duration) -> Self {
        Self {
            targets,
            store,
            refresh,
            store_errors: None,
        }
    }

    pub(crate) fn counting_errors(mut self, c: Counter) -> Self {
        self.store_errors = Some(c);
        self
    }

    /// The document, or — when the database fails — the targets with nothing known (status,
    /// uptime and history absent) and `503`.
    async fn document(&self, details: bool) -> (u16, FleetDocument) {
        let now = unix_ms(SystemTime::now());
        let read = async {
            // Before the poll loop's first cycle, the tables may not exist yet.
            self.store.migrate().await?;
            self.store.fleet_document(&self.targets, now, details).await
        };
        match read.await {
            Ok(doc) => (200, doc),
            Err(e) => {
                tracing::warn!(error = %e, "fleet view: reading the page's document failed");
                if let Some(c) = &self.store_errors {
                    c.inc();
                }
                let targets = self
                    .targets
                    .iter()
                    .map(|t| TargetDocument {
                        name: t.name.clone(),
                        url: t.url.clone(),
                        service: None,
                        status: None,
                        polled_at_ms: None,
                        poll_error: None,
                        uptime: Uptime::default(),
                        checks: Vec::new(),
                        incidents: Vec::new(),
                    })
                    .collect();
                let doc = FleetDocument {
                    generated_at_ms: now,
                    details,
                    targets,
                };
                (503, doc)
            }
        }
    }
}

#[vitals::async_trait]
impl StatusPages for FleetPages {
    async fn get(&self, request: PageRequest) -> PageResponse {
        let opts = PageOptions {
            base: &request.base,
            refresh_seconds: self.refresh.as_secs().clamp(1, 3600) as u32,
        };
        let path = request.path.as_str();
        if path.is_empty() {
            let (status, doc) = self.document(request.details).await;
            return PageResponse::html(status, page::fleet(&doc, &opts));
        }
        if path == "fleet" {
            let (status, doc) = self.document(request.details).await;
            return match serde_json::to_string(&doc) {
                Ok(body) => PageResponse::json(status, body),
                Err(e) => PageResponse::json(500, format!("{{\"error\":\"{e}\"}}")),
            };
        }
        if let Some(name) = path.strip_prefix("service/")
            && self.targets.iter().any(|t| t.name == name)
        {
            let (status, doc) = self.document(request.details).await;
            if let Some(html) = page::target(&doc, name, &opts) {
                return PageResponse::html(status, html);
            }
        }
        PageResponse::not_found()
    }
}
