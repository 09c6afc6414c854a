//! `X-Prometheus-Scrape-Timeout-Seconds` and `Accept-Encoding`: never panic; a deadline that
//! is accepted is positive and at most an hour.
#![no_main]
use actix_web::http::header::{ACCEPT_ENCODING, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let (timeout, encoding) = data.split_at(data.len() / 2);
    let mut req = actix_web::test::TestRequest::default();
    if let Ok(v) = HeaderValue::from_bytes(timeout) {
        req = req.insert_header((vitals_http::SCRAPE_TIMEOUT_HEADER, v));
    }
    if let Ok(v) = HeaderValue::from_bytes(encoding) {
        req = req.insert_header((ACCEPT_ENCODING, v));
    }
    let req = req.to_http_request();
    if let Ok(d) = vitals_http::fuzzing::scrape_deadline(&req) {
        assert!(
            d > Duration::ZERO && d <= Duration::from_secs(3600),
            "{d:?}"
        );
    }
    let _ = vitals_http::fuzzing::wants_gzip(&req);
});
