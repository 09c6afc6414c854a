//! Each kind's checker, built from the fields of its entry that it reads (`READS`): the target
//! and the kind's own fields checked, a builder's refusal turned into a message naming the
//! field (credentials masked), and the entry's `timeout` made the checker's own bound too, so a
//! file's 5 s is not cut at a checker's 1 s default.
use super::{Bounds, Entry, KINDS};
use crate::masked;
use std::time::Duration;
use vitals::HealthChecker;

/// The checker of entry `e`, of its kind.
pub(super) fn checker(e: &Entry, b: &Bounds) -> Result<Box<dyn HealthChecker>, String> {
    let timeout = b.timeout;
    Ok(match e.kind.as_str() {
        "redis" => {
            let url = needs(e)?;
            if !url.starts_with("redis://") {
                return Err(format!("target {:?}: must be a redis:// URL", masked(url)));
            }
            let mut c = crate::redis(url).map_err(refused("target"))?;
            if let Some(r) = b.degraded_above {
                c = c.degraded_above(r);
            }
            Box::new(bounded(c, timeout, crate::RedisCheck::timeout))
        }
        "tcp" => {
            let target = needs(e)?;
            if port_of(target).is_none() {
                return Err(format!("target {target:?}: must be host:port"));
            }
            Box::new(bounded(
                crate::tcp(target),
                timeout,
                crate::TcpCheck::timeout,
            ))
        }
        "http" => {
            let url = needs(e)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "target {:?}: must be an http:// or https:// URL",
                    masked(url)
                ));
            }
            let mut c = crate::http(url);
            if let Some(s) = e.expect_status {
                if !(100..=599).contains(&s) {
                    return Err(format!("expect_status {s}: an HTTP status from 100 to 599"));
                }
                c = c.expect_status(s);
            }
            if let Some(t) = &e.body_contains {
                c = c.body_contains(t.clone());
            }
            Box::new(bounded(c, timeout, crate::HttpCheck::timeout))
        }
        "disk" => {
            let mut c = crate::disk(needs(e)?);
            if let Some(r) = b.degraded_below {
                c = c.degraded_below(r);
            }
            if let Some(r) = b.unhealthy_below {
                c = c.unhealthy_below(r);
            }
            Box::new(c)
        }
        "memory" => {
            let mut c = crate::memory();
            if let Some(r) = b.degraded_above {
                c = c.degraded_above(r);
            }
            if let Some(r) = b.unhealthy_above {
                c = c.unhealthy_above(r);
            }
            Box::new(c)
        }
        "vitals" => {
            let url = needs(e)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "target {:?}: must be the service's http:// or https:// base URL",
                    masked(url)
                ));
            }
            let mut c = crate::vitals_service(url);
            if let Some(g) = &e.group {
                if g.is_empty()
                    || !g.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b)
                    })
                {
                    return Err(format!(
                        "group {g:?}: a group name (lower-case letters, digits, '_', '-', '.')"
                    ));
                }
                c = c.group(g);
            }
            Box::new(bounded(c, timeout, crate::VitalsServiceCheck::timeout))
        }
        "sql" => {
            let c = crate::sql(needs(e)?).map_err(refused("target"))?;
            Box::new(bounded(c, timeout, crate::SqlCheck::timeout))
        }
        "dns" => {
            let mut c = crate::dns(needs(e)?).map_err(refused("target"))?;
            if let Some(s) = &e.server {
                c = c.server(s).map_err(refused("server"))?;
            }
            if let Some(a) = &e.expect {
                c = c.expect(a).map_err(refused("expect"))?;
            }
            Box::new(bounded(c, timeout, crate::DnsCheck::timeout))
        }
        "tls" => {
            let target = needs(e)?;
            if target.contains('/') || target.contains('@') || !host_and_port(target) {
                return Err(format!(
                    "target {:?}: must be host:port, or a host (port 443)",
                    masked(target)
                ));
            }
            let mut c = crate::tls(target);
            if let Some(path) = &e.ca_file {
                if path.is_empty() {
                    return Err("ca_file \"\": the path of a PEM file".into());
                }
                c = c.ca_file(path);
            }
            if let Some(name) = &e.server_name {
                rustls::pki_types::ServerName::try_from(name.as_str())
                    .map_err(|err| format!("server_name {name:?}: {err}"))?;
                c = c.server_name(name.clone());
            }
            if let Some(d) = within(e)? {
                c = c.degraded_within(d);
            }
            Box::new(bounded(c, timeout, crate::TlsCheck::timeout))
        }
        "tls_file" => {
            let mut c = crate::tls_file(needs(e)?);
            if let Some(d) = within(e)? {
                c = c.degraded_within(d);
            }
            Box::new(bounded(c, timeout, crate::TlsCheck::timeout))
        }
        "nats" => {
            let c = crate::nats(needs(e)?).map_err(refused("target"))?;
            Box::new(bounded(c, timeout, crate::NatsCheck::timeout))
        }
        "rabbitmq" => {
            let mut c = crate::rabbitmq(needs(e)?).map_err(refused("target"))?;
            if let Some(q) = &e.queue {
                if q.is_empty() || q.len() > 255 {
                    return Err(format!("queue {q:?}: a queue name of 1 to 255 bytes"));
                }
                c = c.queue(q.clone());
            }
            Box::new(bounded(c, timeout, crate::RabbitmqCheck::timeout))
        }
        other => {
            return Err(format!("kind {other:?} is not one of {}", KINDS.join(", ")));
        }
    })
}

/// The entry's target, which its kind needs.
fn needs(e: &Entry) -> Result<&str, String> {
    e.target
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("kind {:?} needs a target", e.kind))
}

/// `c` with its own bound set to the entry's timeout, if any.
fn bounded<C>(c: C, timeout: Option<Duration>, set: fn(C, Duration) -> C) -> C {
    match timeout {
        Some(t) => set(c, t),
        None => c,
    }
}

/// A builder's refusal as the message of `field`: its reason (which masks credentials) alone,
/// without the check name it was refused under.
fn refused(field: &'static str) -> impl Fn(vitals::Error) -> String {
    move |err| match err {
        vitals::Error::InvalidCheck { reason, .. } => format!("{field}: {reason}"),
        other => format!("{field}: {other}"),
    }
}

/// The port of `host:port`, if it has one that parses.
fn port_of(target: &str) -> Option<u16> {
    target
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
}

/// Whether `target` is `host:port`, `[v6]:port`, or a host alone (`host`, `[v6]`, a bare IPv6
/// address), the host not empty: what `tls` reads.
fn host_and_port(target: &str) -> bool {
    if let Some(rest) = target.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => {
                !host.is_empty()
                    && (tail.is_empty()
                        || tail
                            .strip_prefix(':')
                            .is_some_and(|p| p.parse::<u16>().is_ok()))
            }
            None => false,
        };
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            !host.is_empty() && port.parse::<u16>().is_ok()
        }
        Some(_) => target.parse::<std::net::Ipv6Addr>().is_ok(),
        None => !target.is_empty(),
    }
}

/// The entry's `degraded_within` (zero: degraded never, unhealthy once expired).
fn within(e: &Entry) -> Result<Option<Duration>, String> {
    e.degraded_within
        .as_deref()
        .map(|v| {
            humantime::parse_duration(v).map_err(|err| format!("degraded_within {v:?}: {err}"))
        })
        .transpose()
}
