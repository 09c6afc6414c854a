use super::ForwardedHeader;
use super::networks::canonical_network;
use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use ipnet::IpNet;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

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
/// then the right-most address that is not itself a trusted proxy in the one header the proxies
/// are configured to write ([`ForwardedHeader`]), and unknown (never trusted by address) when that
/// header names no such address; the other header is ignored, and so is any forwarded header
/// from an untrusted peer. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, how a
/// listener on `[::]` sees IPv4 peers) are compared as the IPv4 addresses they are.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    tokens: Vec<String>,
    trusted: Vec<IpNet>,
    proxies: Vec<IpNet>,
    forwarded: ForwardedHeader,
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
        self.trusted = trusted.into_iter().map(canonical_network).collect();
        self
    }

    /// Proxies whose `header` is believed; the other forwarded header is ignored.
    pub fn trust_proxies(mut self, proxies: Vec<IpNet>, header: ForwardedHeader) -> Self {
        self.proxies = proxies.into_iter().map(canonical_network).collect();
        self.forwarded = header;
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

    /// The caller's address, after the trusted proxies; IPv4-mapped addresses as IPv4.
    ///
    /// The peer, unless it is a trusted proxy and a forwarded header is configured: then the
    /// right-most address of that header that is not a trusted proxy, or `None` (unknown, never
    /// authorised by address) when the header names none, however it came to name none (no
    /// header, `unknown`, an obfuscated name, bytes that are no address, only proxies). A
    /// trusted proxy never stands for the client it forwards.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip().to_canonical();
        if self.forwarded == ForwardedHeader::Neither || !self.is_proxy(peer) {
            return Some(peer);
        }
        self.forwarded
            .hops(req.headers())
            .into_iter()
            .rev()
            .find(|hop| !self.is_proxy(*hop))
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
