//! The HTML status pages: one self-contained document each (inline CSS allowed by a hash in the
//! `Content-Security-Policy`, no script, SVG drawn inline), every text escaped.
//!
//! [`service`] draws a [`StatusDocument`], [`fleet`] and [`target`] a [`FleetDocument`]; the
//! stylesheet and its hash live in `style.rs`, escaping and layout in `html.rs`, the charts in
//! `svg.rs`, the checks both service and target pages show in `checks.rs`.
//!
//! ```
//! use vitals_status::page::{self, PageOptions};
//! use vitals_status::{FleetDocument, TargetDocument, Uptime};
//! let doc = FleetDocument {
//!     generated_at_ms: 0,
//!     details: false,
//!     unavailable: false,
//!     targets: vec![TargetDocument {
//!         name: "api".into(),
//!         url: "http://api:8080/status/history".into(),
//!         service: None,
//!         status: None,
//!         polled_at_ms: None,
//!         poll_error: None,
//!         uptime: Uptime::default(),
//!         checks: vec![],
//!         incidents: vec![],
//!     }],
//! };
//! let opts = PageOptions { base: "/status", refresh_seconds: 10 };
//! let html = page::fleet(&doc, &opts);
//! assert!(html.contains("<a href=\"/status/service/api\">api</a>"));
//! assert!(page::target(&doc, "api", &opts).is_some());
//! assert!(page::content_security_policy().contains("style-src 'sha256-"));
//! ```
use crate::{FleetDocument, StatusDocument};

mod checks;
mod fleet;
mod format;
mod html;
mod service;
mod style;
mod svg;
mod target;

/// The `Content-Type` of the pages.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// How a page is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageOptions<'a> {
    /// The status path (`/status` by default), for links.
    pub base: &'a str,
    /// Seconds between automatic reloads (`<meta http-equiv="refresh">`); 0 for none.
    pub refresh_seconds: u32,
}

/// The policy itself: nothing but the one stylesheet (by its hash) and `data:` images (the
/// favicon); no script, no base, no form, no framing.
const CSP: &str = concat!(
    "default-src 'none'; style-src 'sha256-",
    style::css_sha256!(),
    "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
);

/// The `Content-Security-Policy` every page is served with: `default-src 'none'`, the inline
/// stylesheet allowed by its SHA-256, `data:` images, no base, form or framing.
pub fn content_security_policy() -> &'static str {
    CSP
}

/// A service's page: its status, groups, checks (status strip and latency sparkline each) and
/// last transitions, with a link to `{base}/history`.
pub fn service(doc: &StatusDocument, opts: &PageOptions<'_>) -> String {
    service::page(doc, opts)
}

/// The fleet page: one row per target (status, uptime, last poll, incidents), each linking to
/// `{base}/service/{name}`, with a link to `{base}/fleet`.
pub fn fleet(doc: &FleetDocument, opts: &PageOptions<'_>) -> String {
    fleet::page(doc, opts)
}

/// One target's page (the fleet page's drill-down); `None` when no target has that name.
pub fn target(doc: &FleetDocument, name: &str, opts: &PageOptions<'_>) -> Option<String> {
    doc.targets
        .iter()
        .find(|t| t.name == name)
        .map(|t| target::page(t, doc, opts))
}

#[cfg(test)]
mod tests;
