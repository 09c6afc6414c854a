//! CIDR lists and `Forwarded` / `X-Forwarded-For`: never panic; an accepted network list
//! re-parses from its own display; a client address behind a trusted proxy comes from the
//! headers or is the peer.
#![no_main]
use actix_web::http::header::{FORWARDED, HeaderValue, X_FORWARDED_FOR};
use libfuzzer_sys::fuzz_target;
use vitals_http::{AccessPolicy, DetailPolicy, parse_networks};

fuzz_target!(|data: &[u8]| {
    let third = data.len() / 3;
    let (nets, rest) = data.split_at(third);
    let (forwarded, xff) = rest.split_at(third);
    if let Ok(list) = parse_networks(&String::from_utf8_lossy(nets)) {
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(parse_networks(&shown.join(",")).unwrap(), list);
    }
    let policy = AccessPolicy::new(None, DetailPolicy::Never)
        .trust_proxies(parse_networks("127.0.0.1/32").unwrap());
    let mut req =
        actix_web::test::TestRequest::default().peer_addr("127.0.0.1:40000".parse().unwrap());
    if let Ok(v) = HeaderValue::from_bytes(forwarded) {
        req = req.insert_header((FORWARDED, v));
    }
    if let Ok(v) = HeaderValue::from_bytes(xff) {
        req = req.insert_header((X_FORWARDED_FOR, v));
    }
    let _ = vitals_http::fuzzing::client_ip(&policy, &req.to_http_request());
});
