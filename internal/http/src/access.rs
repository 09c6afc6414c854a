use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, FORWARDED, HeaderName};
use ipnet::IpNet;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Who is asking, as far as detail exposure and (later) scrape access are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No valid credentials.
    Anonymous,
    /// Presented the configured bearer token.
    Authorised,
}

/// When check reasons and details are shown in probe bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailPolicy {
    /// Never: failing checks are named, reasons are withheld (and logged).
    #[default]
    Never,
    /// Always.
    Always,
    /// Only to callers presenting the bearer token.
    Authorised,
}

/// The one place a request's caller is classified; every handler that serves details or
/// `/metrics` asks it.
///
/// A caller is authorised when it presents one of the configured bearer tokens
/// (`Authorization: Bearer …`, scheme in any case, compared in constant time) or when its address
/// is in a trusted network. Its address is the direct peer's, unless the peer is a trusted proxy:
/// then the right-most address of `Forwarded` (`for=`) or `X-Forwarded-For` that is not itself a
/// trusted proxy. A forwarded header from an untrusted peer is ignored.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    tokens: Vec<String>,
    trusted: Vec<IpNet>,
    proxies: Vec<IpNet>,
    scrape_protected: bool,
    details: DetailPolicy,
}

/// What [`AccessPolicy::admit_scrape`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No valid token (answer 401 with `WWW-Authenticate: Bearer`).
    Unauthenticated,
    /// Only trusted networks may scrape, and this address is not in one (answer 403).
    Forbidden,
}

impl AccessPolicy {
    /// A policy with an optional bearer token (grants details) and a detail policy.
    pub fn new(token: Option<String>, details: DetailPolicy) -> Self {
        Self {
            tokens: token.into_iter().collect(),
            details,
            ..Self::default()
        }
    }

    /// Protects `/metrics` (and health details) with a bearer token and/or trusted networks; a
    /// caller is allowed when either matches. Without both, `/metrics` is open.
    pub fn protect_scrapes(mut self, token: Option<String>, trusted: Vec<IpNet>) -> Self {
        self.scrape_protected = token.is_some() || !trusted.is_empty();
        self.tokens.extend(token);
        self.trusted = trusted;
        self
    }

    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub fn trust_proxies(mut self, proxies: Vec<IpNet>) -> Self {
        self.proxies = proxies;
        self
    }

    /// Whether `/metrics` needs an authorised caller.
    pub fn scrapes_protected(&self) -> bool {
        self.scrape_protected
    }

    fn token_matches(&self, req: &HttpRequest) -> bool {
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .and_then(|(scheme, token)| {
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim_start())
            });
        let Some(p) = presented else {
            return false;
        };
        // Every token is compared, so the time does not tell which one matched.
        self.tokens.iter().fold(false, |hit, t| {
            hit | bool::from(p.as_bytes().ct_eq(t.as_bytes()))
        })
    }

    fn is_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|n| n.contains(&ip))
    }

    /// The caller's address, after the trusted proxies.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.is_proxy(peer) {
            return Some(peer);
        }
        let hops = forwarded_hops(req);
        let mut client = peer;
        for hop in hops.iter().rev() {
            client = *hop;
            if !self.is_proxy(*hop) {
                break;
            }
        }
        Some(client)
    }

    /// Classifies a request: `Authorised` for a configured token or a trusted address.
    pub fn classify(&self, req: &HttpRequest) -> Caller {
        let trusted_address = !self.trusted.is_empty()
            && self
                .client_ip(req)
                .is_some_and(|ip| self.trusted.iter().any(|n| n.contains(&ip)));
        if self.token_matches(req) || trusted_address {
            Caller::Authorised
        } else {
            Caller::Anonymous
        }
    }

    /// Whether this request may scrape `/metrics`.
    ///
    /// # Errors
    /// [`Refusal::Unauthenticated`] when a token is configured and neither it nor a trusted
    /// address matched; [`Refusal::Forbidden`] when only trusted networks are configured.
    pub fn admit_scrape(&self, req: &HttpRequest) -> Result<(), Refusal> {
        if !self.scrape_protected || self.classify(req) == Caller::Authorised {
            return Ok(());
        }
        if self.tokens.is_empty() {
            Err(Refusal::Forbidden)
        } else {
            Err(Refusal::Unauthenticated)
        }
    }

    /// Whether an anonymous caller sees only the overall status of a probe (scrapes are
    /// protected and the caller is not authorised).
    pub fn status_only(&self, caller: Caller) -> bool {
        self.scrape_protected && caller == Caller::Anonymous
    }

    /// Whether `caller` may see reasons and details.
    pub fn shows_details(&self, caller: Caller) -> bool {
        match self.details {
            DetailPolicy::Never => false,
            DetailPolicy::Always => true,
            DetailPolicy::Authorised => caller == Caller::Authorised,
        }
    }
}

/// The addresses of `Forwarded` (`for=`) or, without it, `X-Forwarded-For`, left to right;
/// unparseable entries end the list there (nothing to their left is believed).
fn forwarded_hops(req: &HttpRequest) -> Vec<IpAddr> {
    let headers = req.headers();
    let forwarded: Vec<String> = headers
        .get_all(FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.eq_ignore_ascii_case("for")
                    .then(|| v.trim().trim_matches('"').to_owned())
            })
        })
        .collect();
    let raw: Vec<String> = if forwarded.is_empty() {
        headers
            .get_all(X_FORWARDED_FOR)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect()
    } else {
        forwarded
    };
    let mut hops = Vec::new();
    for entry in raw.iter().rev() {
        match parse_hop(entry) {
            Some(ip) => hops.push(ip),
            None => break,
        }
    }
    hops.reverse();
    hops
}

/// `203.0.113.7`, `203.0.113.7:41234`, `[2001:db8::1]:443`, `2001:db8::1`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// Parses a comma-separated list of networks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses.
///
/// # Errors
/// The first entry that is neither, quoted.
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a network (e.g. 10.0.0.0/8) or an address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

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
            req = req.insert_header((*k, *v));
        }
        req.to_http_request()
    }

    #[test]
    fn scrape_access_matrix() {
        let none = AccessPolicy::default();
        let token = AccessPolicy::default().protect_scrapes(Some("t0ken".into()), vec![]);
        let cidr = AccessPolicy::default().protect_scrapes(None, nets("10.0.0.0/8, 2001:db8::/32"));
        let both =
            AccessPolicy::default().protect_scrapes(Some("t0ken".into()), nets("10.0.0.0/8"));
        let proxied = both.clone().trust_proxies(nets("192.168.1.0/24"));
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
                &proxied,
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
    fn network_lists_are_parsed_or_refused_by_entry() {
        assert_eq!(nets("10.0.0.0/8,192.168.1.1").len(), 2);
        assert_eq!(
            parse_networks("10.0.0.0/8, 300.1.1.1/8").unwrap_err(),
            "\"300.1.1.1/8\" is not a network (e.g. 10.0.0.0/8) or an address"
        );
    }
}
