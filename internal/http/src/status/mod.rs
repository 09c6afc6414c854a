//! The status page of a service: `GET {path}` (HTML, default `/status`) and `GET {path}/history`
//! (the JSON [`StatusDocument`](vitals_status::StatusDocument)), from the check history the
//! registry feeds; or, when a module provides them ([`ProvidedPages`](vitals::pages::ProvidedPages),
//! the collector's fleet view), that module's pages under `{path}`. Reasons and details follow
//! the detail policy; every page is sent with a strict `Content-Security-Policy`.
mod handler;

pub(crate) use handler::serve_status;
use std::sync::Arc;
use vitals::pages::StatusPages;
use vitals_status::{CheckHistory, ServiceInfo};

/// What the status endpoints need besides the registry and the access policy.
#[derive(Clone)]
pub struct StatusState {
    path: &'static str,
    history_path: &'static str,
    pages_template: &'static str,
    tail_template: &'static str,
    /// The history the registry feeds (one of its run observers).
    pub history: CheckHistory,
    /// The service's name and version, shown on the page.
    pub service: Option<ServiceInfo>,
    /// Seconds between the page's automatic reloads (0: none).
    pub refresh_seconds: u32,
    /// A module's pages, served under the path in place of the service's own page.
    pub pages: Option<Arc<dyn StatusPages>>,
}

impl StatusState {
    /// The status endpoints at `path` (e.g. `/status`: validated by the kernel's settings).
    pub fn new(path: &str, history: CheckHistory) -> Self {
        // Route templates are `&'static str` (what request metrics label with): one small
        // string per kernel built.
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        Self {
            path: leak(path.to_owned()),
            history_path: leak(format!("{path}/history")),
            pages_template: leak(format!("{path}/{{page}}")),
            tail_template: leak(format!("{path}/{{tail:.*}}")),
            history,
            service: None,
            refresh_seconds: 10,
            pages: None,
        }
    }

    /// The page's path.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// What `path` is below the status path: `Some("")` for the page, `Some("history")`, `Some("fleet")`…
    pub(crate) fn below<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.path)?;
        if rest.is_empty() {
            return Some("");
        }
        rest.strip_prefix('/').filter(|r| !r.is_empty())
    }

    /// The route template a request below the path counts under in request metrics.
    pub(crate) fn template(&self, below: &str) -> &'static str {
        match below {
            "" => self.path,
            "history" => self.history_path,
            _ => self.pages_template,
        }
    }

    /// The resources to mount when an app places the endpoints itself: the page and
    /// everything below it.
    pub(crate) fn resources(&self) -> [&'static str; 2] {
        [self.path, self.tail_template]
    }
}

#[cfg(test)]
mod tests;
