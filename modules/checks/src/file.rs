//! Checks from a file (`VITALS_CHECKS_FILE`): `[[check]]` entries an operator writes instead of
//! code, each validated at start — unknown kind, unknown key, bad target, bad threshold — with
//! a message naming the entry and the field (credentials masked).
use crate::masked;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use vitals::{CheckerExt, HealthChecker, HealthGroup};

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
}

/// The kinds a file may declare (the checks compiled in with their features).
pub const KINDS: &[&str] = &["redis", "tcp", "http", "disk", "memory", "vitals"];

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

fn needs<'a>(kind: &str, target: &'a Option<String>) -> Result<&'a str, String> {
    target
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("kind {kind:?} needs a target"))
}

/// The optional fields each kind reads; any other one set in its entry is refused.
const READS: &[(&str, &[&str])] = &[
    ("redis", &["target", "degraded_above"]),
    ("tcp", &["target"]),
    ("http", &["target", "expect_status", "body_contains"]),
    ("disk", &["target", "degraded_below", "unhealthy_below"]),
    ("memory", &["degraded_above", "unhealthy_above"]),
    ("vitals", &["target", "group"]),
];

fn entry(e: Entry) -> Result<Arc<dyn HealthChecker>, String> {
    let (da, ua) = (
        ratio("degraded_above", e.degraded_above)?,
        ratio("unhealthy_above", e.unhealthy_above)?,
    );
    let (db, ub) = (
        ratio("degraded_below", e.degraded_below)?,
        ratio("unhealthy_below", e.unhealthy_below)?,
    );
    let set = [
        ("target", e.target.is_some()),
        ("group", e.group.is_some()),
        ("degraded_above", da.is_some()),
        ("unhealthy_above", ua.is_some()),
        ("degraded_below", db.is_some()),
        ("unhealthy_below", ub.is_some()),
        ("expect_status", e.expect_status.is_some()),
        ("body_contains", e.body_contains.is_some()),
    ];
    if let Some((_, reads)) = READS.iter().find(|(k, _)| *k == e.kind)
        && let Some((field, _)) = set.iter().find(|(f, on)| *on && !reads.contains(f))
    {
        return Err(format!("{field} does not apply to kind {:?}", e.kind));
    }
    let checker: Box<dyn HealthChecker> = match e.kind.as_str() {
        "redis" => {
            let url = needs("redis", &e.target)?;
            if !url.starts_with("redis://") {
                return Err(format!("target {:?}: must be a redis:// URL", masked(url)));
            }
            let mut c = crate::redis(url).map_err(|err| format!("target: {err}"))?;
            if let Some(r) = da {
                c = c.degraded_above(r);
            }
            Box::new(c)
        }
        "tcp" => {
            let target = needs("tcp", &e.target)?;
            if target
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
            {
                return Err(format!("target {target:?}: must be host:port"));
            }
            Box::new(crate::tcp(target))
        }
        "http" => {
            let url = needs("http", &e.target)?;
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
            if let Some(t) = e.body_contains {
                c = c.body_contains(t);
            }
            Box::new(c)
        }
        "disk" => {
            let path = needs("disk", &e.target)?;
            let mut c = crate::disk(path);
            if let Some(r) = db {
                c = c.degraded_below(r);
            }
            if let Some(r) = ub {
                c = c.unhealthy_below(r);
            }
            Box::new(c)
        }
        "memory" => {
            let mut c = crate::memory();
            if let Some(r) = da {
                c = c.degraded_above(r);
            }
            if let Some(r) = ua {
                c = c.unhealthy_above(r);
            }
            Box::new(c)
        }
        "vitals" => {
            let url = needs("vitals", &e.target)?;
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
            Box::new(c)
        }
        other => {
            return Err(format!("kind {other:?} is not one of {}", KINDS.join(", ")));
        }
    };
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
    if let Some(t) = e.timeout {
        c = c.with_timeout(duration("timeout", &t)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_entry_is_refused_naming_the_entry_and_the_field() {
        let table = [
            (
                "kind = \"ftp\"",
                "check 1: kind \"ftp\" is not one of redis, tcp, http, disk, memory, vitals",
            ),
            (
                "kind = \"vitals\"\ntarget = \"orders:8080\"",
                "check 1: target \"orders:8080\": must be the service's",
            ),
            (
                "kind = \"tcp\"\ntarget = \"a:1\"\ngroup = \"x\"",
                "check 1: group does not apply to kind \"tcp\"",
            ),
            ("kind = \"tcp\"\ncolour = \"red\"", "unknown field `colour`"),
            ("kind = \"tcp\"", "check 1: kind \"tcp\" needs a target"),
            (
                "kind = \"tcp\"\ntarget = \"db.internal\"",
                "check 1: target \"db.internal\": must be host:port",
            ),
            (
                "kind = \"redis\"\nname = \"cache\"\ntarget = \"http://u:pw@cache:6379\"",
                "check 1 (\"cache\"): target \"http://cache:6379\": must be a redis:// URL",
            ),
            (
                "kind = \"http\"\ntarget = \"ftp://x\"",
                "check 1: target \"ftp://x\": must be an http:// or https:// URL",
            ),
            (
                "kind = \"http\"\ntarget = \"http://x\"\nexpect_status = 999",
                "check 1: expect_status 999: an HTTP status from 100 to 599",
            ),
            (
                "kind = \"disk\"\ntarget = \"/\"\ndegraded_below = 1.5",
                "check 1: degraded_below 1.5: a share from 0 to 1",
            ),
            (
                "kind = \"disk\"\ntarget = \"/\"\nexpect_status = 200",
                "check 1: expect_status does not apply to kind \"disk\"",
            ),
            (
                "kind = \"memory\"\ntarget = \"/\"",
                "check 1: target does not apply to kind \"memory\"",
            ),
            (
                "kind = \"memory\"\ntimeout = \"soon\"",
                "check 1: timeout \"soon\": expected number at 0",
            ),
            (
                "kind = \"memory\"\ncache_ttl = \"0s\"",
                "check 1: cache_ttl \"0s\": must be longer than zero",
            ),
        ];
        for (entry, want) in table {
            let e = parse(&format!("[[check]]\n{entry}\n"))
                .err()
                .unwrap_or_default();
            assert!(e.contains(want), "{entry:?}: {e:?}");
            assert!(!e.contains("pw@"), "{e}");
        }
    }

    #[test]
    fn entries_take_their_name_groups_criticality_timeout_and_cache() {
        let checks = parse(
            r#"
[[check]]
kind = "memory"

[[check]]
kind = "disk"
name = "data"
target = "/"
groups = ["liveness", "storage"]
critical = false
timeout = "250ms"
cache_ttl = "5s"
"#,
        )
        .unwrap();
        assert_eq!(checks[0].name(), "memory");
        assert_eq!(checks[0].groups(), [HealthGroup::Readiness]);
        assert!(checks[0].critical());
        let data = &checks[1];
        assert_eq!(data.name(), "data");
        assert_eq!(
            data.groups(),
            [HealthGroup::Liveness, HealthGroup::custom("storage")]
        );
        assert!(!data.critical());
        assert_eq!(data.timeout(), Some(Duration::from_millis(250)));
        assert_eq!(data.cache_ttl(), Duration::from_secs(5));
    }
}
