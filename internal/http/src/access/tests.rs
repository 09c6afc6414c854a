use super::*;
use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use actix_web::test::TestRequest;
use ipnet::IpNet;

#[test]
fn bearer_token_authorises_only_when_it_matches() {
    let policy = AccessPolicy::new(Some("s3cret".into()), DetailPolicy::Authorised);
    let table = [
        (None, Caller::Anonymous),
        (Some("Bearer s3cret"), Caller::Authorised),
        (Some("bearer s3cret"), Caller::Authorised),
        (Some("BEARER  s3cret"), Caller::Authorised),
        (Some("Bearers3cret"), Caller::Anonymous),
        (Some("Bearer s3cre"), Caller::Anonymous),
        (Some("Bearer s3cretX"), Caller::Anonymous),
        (Some("Basic s3cret"), Caller::Anonymous),
    ];
    for (header, want) in table {
        let mut req = TestRequest::default();
        if let Some(h) = header {
            req = req.insert_header((AUTHORIZATION, h));
        }
        assert_eq!(policy.classify(&req.to_http_request()), want, "{header:?}");
    }
}

#[test]
fn details_follow_the_policy() {
    let cases = [
        (DetailPolicy::Never, Caller::Authorised, false),
        (DetailPolicy::Always, Caller::Anonymous, true),
        (DetailPolicy::Authorised, Caller::Anonymous, false),
        (DetailPolicy::Authorised, Caller::Authorised, true),
    ];
    for (details, caller, want) in cases {
        assert_eq!(AccessPolicy::new(None, details).shows_details(caller), want);
    }
}

fn nets(list: &str) -> Vec<IpNet> {
    parse_networks(list).unwrap()
}

/// A case: name, policy, direct peer, headers, expected decision.
type Case<'a> = (
    &'a str,
    &'a AccessPolicy,
    &'a str,
    &'a [(&'a str, &'a str)],
    Result<(), Refusal>,
);

/// One request: direct peer, headers.
fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
    let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
    for (k, v) in headers {
        req = req.append_header((*k, *v));
    }
    req.to_http_request()
}

#[test]
fn scrape_access_matrix() {
    let none = AccessPolicy::default();
    let token = AccessPolicy::default().protect_scrapes(Some("t0ken".into()), vec![]);
    let cidr = AccessPolicy::default().protect_scrapes(None, nets("10.0.0.0/8, 2001:db8::/32"));
    let both = AccessPolicy::default().protect_scrapes(Some("t0ken".into()), nets("10.0.0.0/8"));
    let proxied = both
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::XForwardedFor);
    let proxied_rfc = both
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::Forwarded);
    use Refusal::*;
    let ok = Ok(());
    let table: [Case; 17] = [
        ("no auth configured", &none, "203.0.113.9:1", &[], ok),
        (
            "token: right",
            &token,
            "203.0.113.9:1",
            &[("authorization", "Bearer t0ken")],
            ok,
        ),
        (
            "token: lower-case scheme",
            &token,
            "203.0.113.9:1",
            &[("authorization", "bearer t0ken")],
            ok,
        ),
        (
            "token: wrong",
            &token,
            "203.0.113.9:1",
            &[("authorization", "Bearer nope")],
            Err(Unauthenticated),
        ),
        (
            "token: missing",
            &token,
            "203.0.113.9:1",
            &[],
            Err(Unauthenticated),
        ),
        ("cidr: inside", &cidr, "10.1.2.3:1", &[], ok),
        ("cidr: outside", &cidr, "203.0.113.9:1", &[], Err(Forbidden)),
        ("cidr: IPv6 inside", &cidr, "[2001:db8::7]:1", &[], ok),
        (
            "cidr: IPv6 outside",
            &cidr,
            "[2001:db9::7]:1",
            &[],
            Err(Forbidden),
        ),
        (
            "both: token from outside",
            &both,
            "203.0.113.9:1",
            &[("authorization", "Bearer t0ken")],
            ok,
        ),
        ("both: inside without token", &both, "10.9.9.9:1", &[], ok),
        (
            "both: neither",
            &both,
            "203.0.113.9:1",
            &[],
            Err(Unauthenticated),
        ),
        (
            "spoofed X-Forwarded-For from an untrusted peer",
            &both,
            "203.0.113.9:1",
            &[("x-forwarded-for", "10.0.0.1")],
            Err(Unauthenticated),
        ),
        (
            "via a trusted proxy: client inside",
            &proxied,
            "192.168.1.5:1",
            &[("x-forwarded-for", "10.0.0.1")],
            ok,
        ),
        (
            "via a trusted proxy: client outside",
            &proxied,
            "192.168.1.5:1",
            &[("x-forwarded-for", "203.0.113.9")],
            Err(Unauthenticated),
        ),
        (
            "chain: only the right-most untrusted hop counts",
            &proxied,
            "192.168.1.5:1",
            &[("x-forwarded-for", "10.0.0.1, 203.0.113.9, 192.168.1.7")],
            Err(Unauthenticated),
        ),
        (
            "Forwarded header through two trusted proxies",
            &proxied_rfc,
            "192.168.1.5:1",
            &[(
                "forwarded",
                "for=203.0.113.1, for=\"10.2.3.4:5555\";proto=https, for=192.168.1.9",
            )],
            ok,
        ),
    ];
    for (case, policy, peer, headers, want) in table {
        assert_eq!(policy.admit_scrape(&request(peer, headers)), want, "{case}");
    }
}

#[test]
fn probes_show_only_the_status_to_anonymous_callers_when_scrapes_are_protected() {
    let open = AccessPolicy::default();
    let protected = AccessPolicy::default().protect_scrapes(Some("t".into()), vec![]);
    assert!(!open.status_only(Caller::Anonymous));
    assert!(protected.status_only(Caller::Anonymous));
    assert!(!protected.status_only(Caller::Authorised));
}

#[test]
fn only_the_configured_header_is_believed_and_ipv4_mapped_addresses_are_ipv4() {
    let both = AccessPolicy::default().protect_scrapes(Some("t0ken".into()), nets("10.0.0.0/8"));
    let xff = both
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::XForwardedFor);
    let rfc = both
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::Forwarded);
    let neither = both
        .clone()
        .trust_proxies(nets("192.168.1.0/24, 10.0.0.5"), ForwardedHeader::Neither);
    let cidr = AccessPolicy::default().protect_scrapes(None, nets("10.0.0.0/8"));
    let mapped = AccessPolicy::default().protect_scrapes(None, nets("::ffff:10.0.0.0/104"));
    let all_v6 = AccessPolicy::default().protect_scrapes(None, nets("::/0"));
    use Refusal::*;
    let ok = Ok(());
    let spoof = [
        ("forwarded", "for=10.0.0.1"),
        ("x-forwarded-for", "203.0.113.9"),
    ];
    let table: [Case; 16] = [
        (
            "x-forwarded-for: a client's Forwarded is ignored",
            &xff,
            "192.168.1.5:1",
            &spoof,
            Err(Unauthenticated),
        ),
        (
            "x-forwarded-for: a lone Forwarded is ignored",
            &xff,
            "192.168.1.5:1",
            &spoof[..1],
            Err(Unauthenticated),
        ),
        (
            "x-forwarded-for: the last line is the proxy's",
            &xff,
            "192.168.1.5:1",
            &[
                ("x-forwarded-for", "10.0.0.1"),
                ("x-forwarded-for", "203.0.113.9"),
            ],
            Err(Unauthenticated),
        ),
        (
            "forwarded: a client's X-Forwarded-For is ignored",
            &rfc,
            "192.168.1.5:1",
            &[
                ("x-forwarded-for", "10.0.0.1"),
                ("forwarded", "for=203.0.113.9"),
            ],
            Err(Unauthenticated),
        ),
        (
            "forwarded: the proxy's Forwarded is believed",
            &rfc,
            "192.168.1.5:1",
            &spoof,
            ok,
        ),
        (
            "forwarded: a mapped address from the proxy",
            &rfc,
            "192.168.1.5:1",
            &[("forwarded", "for=\"[::ffff:10.0.0.1]:443\"")],
            ok,
        ),
        (
            "neither: headers from a proxy are ignored",
            &neither,
            "192.168.1.5:1",
            &spoof,
            Err(Unauthenticated),
        ),
        (
            "neither: the proxy is the caller",
            &neither,
            "10.0.0.5:1",
            &spoof,
            ok,
        ),
        (
            "mapped peer in an IPv4 network",
            &cidr,
            "[::ffff:10.1.2.3]:1",
            &[],
            ok,
        ),
        (
            "mapped peer outside",
            &cidr,
            "[::ffff:203.0.113.9]:1",
            &[],
            Err(Forbidden),
        ),
        (
            "mapped proxy, mapped hop in the network",
            &xff,
            "[::ffff:192.168.1.5]:1",
            &[("x-forwarded-for", "::ffff:10.0.0.1")],
            ok,
        ),
        (
            "mapped proxy, hop outside",
            &xff,
            "[::ffff:192.168.1.5]:1",
            &[("x-forwarded-for", "10.0.0.1, [::ffff:203.0.113.9]:80")],
            Err(Unauthenticated),
        ),
        ("mapped network, IPv4 peer", &mapped, "10.1.2.3:1", &[], ok),
        (
            "mapped network, mapped peer",
            &mapped,
            "[::ffff:10.1.2.3]:1",
            &[],
            ok,
        ),
        (
            "::/0 holds no IPv4 peer",
            &all_v6,
            "10.1.2.3:1",
            &[],
            Err(Forbidden),
        ),
        ("::/0 holds IPv6 peers", &all_v6, "[2001:db8::1]:1", &[], ok),
    ];
    for (case, policy, peer, headers, want) in table {
        assert_eq!(policy.admit_scrape(&request(peer, headers)), want, "{case}");
    }
}

#[test]
fn behind_a_trusted_proxy_a_header_naming_no_client_leaves_the_caller_unknown() {
    // The proxies' own network is trusted too, as when one network holds proxies and scrapers.
    let inside = AccessPolicy::default().protect_scrapes(None, nets("10.0.0.0/8, 192.168.1.0/24"));
    let xff = inside
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::XForwardedFor);
    let rfc = inside
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::Forwarded);
    let neither = inside
        .clone()
        .trust_proxies(nets("192.168.1.0/24"), ForwardedHeader::Neither);
    let proxy = "192.168.1.5:1";
    let refused = Err(Refusal::Forbidden);
    let ok = Ok(());
    // Name, policy, peer, header lines, the caller's address (`None`: unknown), decision.
    type Row<'a> = (
        &'a str,
        &'a AccessPolicy,
        &'a str,
        &'a [(&'a str, &'a [u8])],
        Option<&'a str>,
        Result<(), Refusal>,
    );
    let table: [Row; 16] = [
        ("xff: no header", &xff, proxy, &[], None, refused),
        (
            "xff: byte 0xff",
            &xff,
            proxy,
            &[("x-forwarded-for", b"\xff")],
            None,
            refused,
        ),
        (
            "xff: byte 0xff, then the client nginx appended",
            &xff,
            proxy,
            &[("x-forwarded-for", b"\xff, 203.0.113.9")],
            Some("203.0.113.9"),
            refused,
        ),
        (
            "xff: byte 0xff, then a trusted client",
            &xff,
            proxy,
            &[("x-forwarded-for", b"\xff, 10.0.0.1")],
            Some("10.0.0.1"),
            ok,
        ),
        (
            "xff: unknown",
            &xff,
            proxy,
            &[("x-forwarded-for", b"unknown")],
            None,
            refused,
        ),
        (
            "xff: empty",
            &xff,
            proxy,
            &[("x-forwarded-for", b"")],
            None,
            refused,
        ),
        (
            "xff: only proxies",
            &xff,
            proxy,
            &[("x-forwarded-for", b"192.168.1.7, 192.168.1.8")],
            None,
            refused,
        ),
        ("forwarded: no header", &rfc, proxy, &[], None, refused),
        (
            "forwarded: for=unknown",
            &rfc,
            proxy,
            &[("forwarded", b"for=unknown")],
            None,
            refused,
        ),
        (
            "forwarded: for=_hidden",
            &rfc,
            proxy,
            &[("forwarded", b"for=_hidden")],
            None,
            refused,
        ),
        (
            "forwarded: empty",
            &rfc,
            proxy,
            &[("forwarded", b"")],
            None,
            refused,
        ),
        (
            "forwarded: for=\"\"",
            &rfc,
            proxy,
            &[("forwarded", b"for=\"\"")],
            None,
            refused,
        ),
        (
            "forwarded: a , inside quotes splits nothing",
            &rfc,
            proxy,
            &[("forwarded", b"for=203.0.113.9;by=\"a, for=10.0.0.2\"")],
            Some("203.0.113.9"),
            refused,
        ),
        (
            "none: the proxy is the caller",
            &neither,
            proxy,
            &[],
            Some("192.168.1.5"),
            ok,
        ),
        (
            "a peer that is no proxy is the caller",
            &xff,
            "10.0.0.7:1",
            &[("x-forwarded-for", b"\xff")],
            Some("10.0.0.7"),
            ok,
        ),
        (
            "a peer that is no proxy, outside",
            &xff,
            "203.0.113.9:1",
            &[("x-forwarded-for", b"10.0.0.1")],
            Some("203.0.113.9"),
            refused,
        ),
    ];
    for (case, policy, peer, headers, client, want) in table {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        for (name, value) in headers {
            req = req.append_header((*name, HeaderValue::from_bytes(value).unwrap()));
        }
        let req = req.to_http_request();
        let got = policy.client_ip(&req).map(|ip| ip.to_string());
        assert_eq!(got.as_deref(), client, "{case}");
        assert_eq!(policy.admit_scrape(&req), want, "{case}");
    }
}
