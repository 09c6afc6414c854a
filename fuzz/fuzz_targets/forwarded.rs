//! CIDR lists and `Forwarded` / `X-Forwarded-For`: never panic; an accepted network list
//! re-parses from its own display; a client address behind a trusted proxy comes from the
//! configured header (or is unknown, or the peer with `none`), and the other header changes
//! nothing.
#![no_main]
use actix_web::http::header::{FORWARDED, HeaderName, HeaderValue, X_FORWARDED_FOR};
use libfuzzer_sys::fuzz_target;
use vitals_http::{AccessPolicy, DetailPolicy, ForwardedHeader, parse_networks};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let third = data.len() / 3;
    let (nets, rest) = data.split_at(third);
    let (forwarded, xff) = rest.split_at(third);
    if let Ok(list) = parse_networks(&String::from_utf8_lossy(nets)) {
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(parse_networks(&shown.join(",")).unwrap(), list);
    }
    let header = [
        ForwardedHeader::XForwardedFor,
        ForwardedHeader::Forwarded,
        ForwardedHeader::Neither,
    ][usize::from(pick) % 3];
    let policy = AccessPolicy::new(None, DetailPolicy::Never)
        .trust_proxies(parse_networks("127.0.0.1/32").unwrap(), header);
    let request = |with: &[(HeaderName, &[u8])]| {
        let mut req =
            actix_web::test::TestRequest::default().peer_addr("127.0.0.1:40000".parse().unwrap());
        for (name, value) in with {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                req = req.insert_header((name.clone(), v));
            }
        }
        vitals_http::fuzzing::client_ip(&policy, &req.to_http_request())
    };
    let both = request(&[(FORWARDED, forwarded), (X_FORWARDED_FOR, xff)]);
    let own = match header {
        ForwardedHeader::XForwardedFor => request(&[(X_FORWARDED_FOR, xff)]),
        ForwardedHeader::Forwarded => request(&[(FORWARDED, forwarded)]),
        ForwardedHeader::Neither => request(&[]),
    };
    assert_eq!(both, own, "{header:?}: the other header changed the client");
});
