//! Entry points of the request parsers for the fuzz targets (`fuzz/`): the probe query,
//! the scrape-timeout and `Accept-Encoding` headers, and the forwarded-address headers. Not API.
use actix_web::HttpRequest;
use std::net::IpAddr;
use std::time::Duration;

/// `?verbose` / `?exclude=`: the excluded names, or the 400 reason.
pub fn probe_query(query: &str) -> Result<Vec<String>, String> {
    crate::health::query::ProbeQuery::parse(query).map(|q| q.exclude)
}

/// The scrape deadline for `req`, or the 400 reason.
pub fn scrape_deadline(req: &HttpRequest) -> Result<Duration, String> {
    crate::metrics_endpoint::deadline(req, Duration::from_secs(10))
}

/// Whether `req` gets a gzip body.
pub fn wants_gzip(req: &HttpRequest) -> bool {
    crate::metrics_endpoint::wants_gzip(req)
}

/// The client address `policy` believes for `req`.
pub fn client_ip(policy: &crate::AccessPolicy, req: &HttpRequest) -> Option<IpAddr> {
    policy.client_ip(req)
}
