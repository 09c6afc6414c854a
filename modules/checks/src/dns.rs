//! DNS: a name resolved within the timeout (by the system's resolver configuration or a given
//! nameserver), optionally to an expected address.
use hickory_resolver::config::{ConnectionConfig, LookupIpStrategy, ResolverOpts};
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::Name;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;
use vitals::{CheckOutcome, Error, HealthChecker};

/// At most this many addresses in details and reasons.
const SHOWN: usize = 10;

/// A checker of one DNS name (see [`dns()`]).
#[derive(Debug, Clone)]
pub struct DnsCheck {
    name: String,
    target: String,
    server: Option<SocketAddr>,
    expect: Option<IpAddr>,
    timeout: Duration,
}

/// A check named `dns` of the name `target` (`orders.internal`; end it with `.` to skip the
/// search domains): healthy when it resolves (A and AAAA, asked together) within 1 s (see
/// [`timeout`](DnsCheck::timeout)), and, with [`expect`](DnsCheck::expect), when the answer
/// holds that address. By default it asks the nameservers of the system's resolver
/// configuration (`/etc/resolv.conf`, and `/etc/hosts` first), read anew on every run; with
/// [`server`](DnsCheck::server), that nameserver alone (UDP, TCP when the answer is truncated).
/// Every run asks the server: no answer is cached. Details `addresses` (the first 10),
/// `address_count` and `seconds`; the reason names the name and the server (`dns
/// orders.internal @127.0.0.1:5353: no record`, `…: timed out after 1s`, `…: answered 10.0.0.2,
/// expected 10.0.0.1`; `@system` without a server). A server that is gone is a timeout too: a
/// lost UDP query reports nothing sooner.
///
/// ```
/// use vitals::CheckerExt;
/// let orders = vitals_module_checks::dns("orders.internal")?
///     .server("10.0.0.53:53")?
///     .expect("10.0.0.1")?
///     .named("orders-dns")
///     .non_critical();
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidCheck`] when `target` is not a DNS name.
pub fn dns(target: &str) -> Result<DnsCheck, Error> {
    Name::from_str(target).map_err(|e| Error::InvalidCheck {
        name: "dns".into(),
        reason: format!("{target:?} is not a DNS name: {e}"),
    })?;
    Ok(DnsCheck {
        name: "dns".into(),
        target: target.to_owned(),
        server: None,
        expect: None,
        timeout: Duration::from_secs(1),
    })
}

impl DnsCheck {
    /// The check's name. Defaults to `dns`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Asks this nameserver alone: `ip:port`, `[ipv6]:port`, or an address alone (port 53).
    ///
    /// # Errors
    /// [`Error::InvalidCheck`] when `server` is none of these.
    pub fn server(mut self, server: &str) -> Result<Self, Error> {
        let parsed = SocketAddr::from_str(server)
            .or_else(|_| IpAddr::from_str(server).map(|ip| SocketAddr::new(ip, 53)))
            .map_err(|_| self.refused(format!("server {server:?} is not ip:port or an IP")))?;
        self.server = Some(parsed);
        Ok(self)
    }

    /// Healthy only when the answer holds this address (`10.0.0.1`, `fd00::1`).
    ///
    /// # Errors
    /// [`Error::InvalidCheck`] when `address` is not an IP address.
    pub fn expect(mut self, address: &str) -> Result<Self, Error> {
        let parsed = IpAddr::from_str(address)
            .map_err(|_| self.refused(format!("expected address {address:?} is not an IP")))?;
        self.expect = Some(parsed);
        Ok(self)
    }

    /// Longest wait for the answer (reading the system's configuration included). Defaults to
    /// 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn refused(&self, reason: String) -> Error {
        Error::InvalidCheck {
            name: self.name.clone(),
            reason,
        }
    }

    /// A resolver for one run: nothing carried over from the last (no cache, no connection).
    /// Built off the async workers, since the system's files are read.
    async fn resolver(&self) -> Result<TokioResolver, String> {
        let (server, timeout) = (self.server, self.timeout);
        let build = move || {
            let provider = TokioRuntimeProvider::default();
            let mut builder = match server {
                Some(addr) => {
                    let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                        .into_iter()
                        .map(|mut c| {
                            c.port = addr.port();
                            c
                        })
                        .collect();
                    let ns = NameServerConfig::new(addr.ip(), true, connections);
                    let mut b = Resolver::builder_with_config(
                        ResolverConfig::from_name_servers(vec![ns]),
                        provider,
                    );
                    b.options_mut().use_hosts_file = ResolveHosts::Never;
                    b
                }
                None => Resolver::builder(provider).map_err(|e| e.to_string())?,
            };
            let options: &mut ResolverOpts = builder.options_mut();
            options.timeout = timeout;
            options.attempts = 1;
            options.cache_size = 0;
            options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
            builder.build().map_err(|e| e.to_string())
        };
        tokio::task::spawn_blocking(build)
            .await
            .map_err(|e| e.to_string())?
    }

    async fn resolve(&self) -> Result<Vec<IpAddr>, String> {
        let resolver = self.resolver().await?;
        match resolver.lookup_ip(self.target.as_str()).await {
            Ok(found) => Ok(found.iter().collect()),
            Err(e) if e.is_no_records_found() => Err("no record".into()),
            Err(hickory_resolver::net::NetError::Timeout) => Err(self.late()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn late(&self) -> String {
        format!("timed out after {:?}", self.timeout)
    }
}

fn listed(addresses: &[IpAddr]) -> Vec<String> {
    addresses
        .iter()
        .take(SHOWN)
        .map(IpAddr::to_string)
        .collect()
}

#[async_trait::async_trait]
impl HealthChecker for DnsCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let started = tokio::time::Instant::now();
        let server = self
            .server
            .map_or_else(|| "system".to_owned(), |s| s.to_string());
        let named = format!("dns {} @{server}", self.target);
        let addresses = match tokio::time::timeout(self.timeout, self.resolve()).await {
            Err(_) => return CheckOutcome::unhealthy(format!("{named}: {}", self.late())),
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("{named}: {e}")),
            Ok(Ok(a)) => a,
        };
        let seconds = started.elapsed().as_secs_f64();
        if let Some(expected) = self.expect
            && !addresses.contains(&expected)
        {
            let more = match addresses.len().saturating_sub(SHOWN) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            return CheckOutcome::unhealthy(format!(
                "{named}: answered {}{more}, expected {expected}",
                listed(&addresses).join(", ")
            ))
            .with_detail("addresses", listed(&addresses))
            .with_detail("address_count", addresses.len())
            .with_detail("seconds", seconds);
        }
        CheckOutcome::healthy()
            .with_detail("addresses", listed(&addresses))
            .with_detail("address_count", addresses.len())
            .with_detail("seconds", seconds)
    }
}
