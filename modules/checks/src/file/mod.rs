//! Checks from a file (`VITALS_CHECKS_FILE`): `[[check]]` entries an operator writes instead of
//! code, each validated at start — unknown kind, unknown key, bad target, bad threshold — with
//! a message naming the entry and the field (credentials masked).
//!
//! This file reads and validates the fields every entry shares; `kinds.rs` builds each kind's
//! checker from the fields it reads.
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use vitals::{CheckerExt, HealthChecker, HealthGroup};

mod kinds;
#[cfg(test)]
mod tests;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    check: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    kind: String,
    name: Option<String>,
    target: Option<String>,
    groups: Option<Vec<String>>,
    group: Option<String>,
    critical: Option<bool>,
    timeout: Option<String>,
    cache_ttl: Option<String>,
    degraded_above: Option<f64>,
    unhealthy_above: Option<f64>,
    degraded_below: Option<f64>,
    unhealthy_below: Option<f64>,
    expect_status: Option<u16>,
    body_contains: Option<String>,
    server: Option<String>,
    expect: Option<String>,
    ca_file: Option<String>,
    server_name: Option<String>,
    degraded_within: Option<String>,
    queue: Option<String>,
}

/// The kinds a file may declare (the checks compiled in with their features).
pub const KINDS: &[&str] = &[
    "redis", "tcp", "http", "disk", "memory", "vitals", "sql", "dns", "tls", "tls_file", "nats",
    "rabbitmq",
];

/// The optional fields each kind reads; any other one set in its entry is refused.
const READS: &[(&str, &[&str])] = &[
    ("redis", &["target", "degraded_above"]),
    ("tcp", &["target"]),
    ("http", &["target", "expect_status", "body_contains"]),
    ("disk", &["target", "degraded_below", "unhealthy_below"]),
    ("memory", &["degraded_above", "unhealthy_above"]),
    ("vitals", &["target", "group"]),
    ("sql", &["target"]),
    ("dns", &["target", "server", "expect"]),
    (
        "tls",
        &["target", "ca_file", "server_name", "degraded_within"],
    ),
    ("tls_file", &["target", "degraded_within"]),
    ("nats", &["target"]),
    ("rabbitmq", &["target", "queue"]),
];

/// Reads and validates a checks file; the checkers, configured.
///
/// # Errors
/// The file unreadable or not TOML of this shape, or an entry that cannot be used; the message
/// names the entry (`check 2 ("cache")`) and the field.
pub fn load(path: &std::path::Path) -> Result<Vec<Arc<dyn HealthChecker>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    parse(&text)
}

/// Parses and validates checks-file TOML (see [`load`]).
///
/// ```
/// let checks = vitals_module_checks::parse_checks(r#"
/// [[check]]
/// kind = "tcp"
/// name = "smtp"
/// target = "127.0.0.1:25"
/// critical = false
/// "#).unwrap();
/// assert_eq!(checks[0].name(), "smtp");
/// assert!(!checks[0].critical());
/// let e = vitals_module_checks::parse_checks("[[check]]\nkind = \"ftp\"").err().unwrap();
/// assert!(e.starts_with("check 1: kind \"ftp\" is not one of"), "{e}");
/// ```
///
/// # Errors
/// As [`load`].
pub fn parse(text: &str) -> Result<Vec<Arc<dyn HealthChecker>>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    file.check
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let at = match &e.name {
                Some(n) => format!("check {} ({n:?})", i + 1),
                None => format!("check {}", i + 1),
            };
            entry(e).map_err(|why| format!("{at}: {why}"))
        })
        .collect()
}

fn duration(field: &str, v: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(v).map_err(|e| format!("{field} {v:?}: {e}"))?;
    if d.is_zero() {
        return Err(format!("{field} {v:?}: must be longer than zero"));
    }
    Ok(d)
}

fn ratio(field: &str, v: Option<f64>) -> Result<Option<f64>, String> {
    match v {
        Some(r) if !(0.0..=1.0).contains(&r) => Err(format!("{field} {r}: a share from 0 to 1")),
        other => Ok(other),
    }
}

/// The shares and the timeout of an entry, validated before its kind is built.
struct Bounds {
    degraded_above: Option<f64>,
    unhealthy_above: Option<f64>,
    degraded_below: Option<f64>,
    unhealthy_below: Option<f64>,
    /// The entry's `timeout`: the registry's bound of the check and the checker's own.
    timeout: Option<Duration>,
}

fn entry(e: Entry) -> Result<Arc<dyn HealthChecker>, String> {
    let bounds = Bounds {
        degraded_above: ratio("degraded_above", e.degraded_above)?,
        unhealthy_above: ratio("unhealthy_above", e.unhealthy_above)?,
        degraded_below: ratio("degraded_below", e.degraded_below)?,
        unhealthy_below: ratio("unhealthy_below", e.unhealthy_below)?,
        timeout: e
            .timeout
            .as_deref()
            .map(|t| duration("timeout", t))
            .transpose()?,
    };
    let set = [
        ("target", e.target.is_some()),
        ("group", e.group.is_some()),
        ("degraded_above", bounds.degraded_above.is_some()),
        ("unhealthy_above", bounds.unhealthy_above.is_some()),
        ("degraded_below", bounds.degraded_below.is_some()),
        ("unhealthy_below", bounds.unhealthy_below.is_some()),
        ("expect_status", e.expect_status.is_some()),
        ("body_contains", e.body_contains.is_some()),
        ("server", e.server.is_some()),
        ("expect", e.expect.is_some()),
        ("ca_file", e.ca_file.is_some()),
        ("server_name", e.server_name.is_some()),
        ("degraded_within", e.degraded_within.is_some()),
        ("queue", e.queue.is_some()),
    ];
    if let Some((_, reads)) = READS.iter().find(|(k, _)| *k == e.kind)
        && let Some((field, _)) = set.iter().find(|(f, on)| *on && !reads.contains(f))
    {
        return Err(format!("{field} does not apply to kind {:?}", e.kind));
    }
    let checker = kinds::checker(&e, &bounds)?;
    let mut c = Named {
        name: e.name.unwrap_or_else(|| e.kind.clone()),
        inner: checker,
    }
    .with_groups(
        e.groups
            .unwrap_or_else(|| vec!["readiness".into()])
            .iter()
            .map(|g| HealthGroup::parse(g)),
    );
    if e.critical == Some(false) {
        c = c.non_critical();
    }
    if let Some(t) = bounds.timeout {
        c = c.with_timeout(t);
    }
    if let Some(t) = e.cache_ttl {
        c = c.with_cache_ttl(duration("cache_ttl", &t)?);
    }
    Ok(Arc::new(c))
}

/// A checker under the name the file gives it.
struct Named {
    name: String,
    inner: Box<dyn HealthChecker>,
}

#[async_trait::async_trait]
impl HealthChecker for Named {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> vitals::CheckOutcome {
        self.inner.check().await
    }
}
