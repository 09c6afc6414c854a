//! Pages a module serves under the kernel's status path: the collector's fleet view is one. The
//! kernel classifies the caller (details or not) and answers `GET`; the module renders.
//!
//! ```
//! use std::sync::Arc;
//! use vitals::pages::{PageRequest, PageResponse, StatusPages, ProvidedPages};
//! struct Hello;
//! #[vitals::async_trait]
//! impl StatusPages for Hello {
//!     async fn get(&self, request: PageRequest) -> PageResponse {
//!         match request.path.as_str() {
//!             "" => PageResponse::html(200, "<!doctype html><title>hello</title>".into()),
//!             _ => PageResponse::not_found(),
//!         }
//!     }
//! }
//! // In `Module::register`: ctx.provide(ProvidedPages(Arc::new(Hello)))?;
//! let _pages = ProvidedPages(Arc::new(Hello));
//! ```
use std::sync::Arc;

/// A `GET` under the status path, as the kernel hands it to the module's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The path below the status path, without its leading `/`: `""` for the status path itself,
    /// `"fleet"` for `/status/fleet`. Never `"history"` (the kernel's own document).
    pub path: String,
    /// The status path the pages are mounted at (`/status` by default), for links.
    pub base: String,
    /// The query string, undecoded.
    pub query: String,
    /// Whether the caller may see reasons and details (the kernel's detail policy).
    pub details: bool,
}

/// What the pages answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl PageResponse {
    /// An HTML page (`text/html; charset=utf-8`); the kernel adds the status page's
    /// `Content-Security-Policy`.
    pub fn html(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            body,
        }
    }

    /// A JSON document.
    pub fn json(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "application/json",
            body,
        }
    }

    /// `404` with a plain-text reason.
    pub fn not_found() -> Self {
        Self {
            status: 404,
            content_type: "text/plain; charset=utf-8",
            body: "no such page".into(),
        }
    }
}

/// Serves the pages under the status path in place of the service's own page.
#[crate::async_trait]
pub trait StatusPages: Send + Sync + 'static {
    /// Answers one `GET`; must not block (the kernel serves it on its request workers).
    async fn get(&self, request: PageRequest) -> PageResponse;
}

/// What a module provides (`ModuleContext::provide`) to serve the status path's pages; at most
/// one module does.
#[derive(Clone)]
pub struct ProvidedPages(pub Arc<dyn StatusPages>);
