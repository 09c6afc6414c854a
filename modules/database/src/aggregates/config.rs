use crate::Error;
use crate::SqlAggregate;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where aggregates run and how they are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AggregateMode {
    /// On PostgreSQL, one replica computes each aggregate per window (a lease in the results
    /// table) and the others read its result; elsewhere the same as `Local`. The default.
    #[default]
    Cluster,
    /// Each process computes and caches its own results.
    Local,
}

/// Settings of the aggregate engine.
#[derive(Debug, Clone)]
pub struct AggregatesConfig {
    /// Whether this process serves aggregates at all. Defaults to `true`; app replicas turn it
    /// off when a `vitals-collector` serves them.
    pub enabled: bool,
    /// A TOML file of `[[aggregate]]` entries, read and checked when it is set
    /// ([`AggregatesFile::load`]). Defaults to none.
    pub file: Option<AggregatesFile>,
    /// Connections of the dedicated pool. Defaults to 2.
    pub pool_size: u32,
    /// Sharing mode. Defaults to [`AggregateMode::Cluster`].
    pub mode: AggregateMode,
    /// A URL of its own for running the declared SQL (`VITALS_AGGREGATE_DATABASE_URL`): a
    /// read-only role on PostgreSQL (see `docs/database.md`), or a read replica. The results
    /// table stays on the service's URL. Defaults to none: the service's URL.
    pub url: Option<String>,
    /// Results table used in cluster mode, one row per aggregate and declaration fingerprint.
    /// Defaults to `vitals_aggregate_results_v2`.
    pub table: String,
    /// Longest a scrape waits for a running refresh before serving the previous value.
    /// Defaults to 1 s.
    pub wait: Duration,
    /// Deadline of each results-table statement and of each wait for a connection of the
    /// aggregate pool (`lock_timeout` and `statement_timeout` of its sessions on PostgreSQL).
    /// Defaults to 1 s.
    pub store_timeout: Duration,
}

impl Default for AggregatesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            file: None,
            pool_size: 2,
            mode: AggregateMode::Cluster,
            url: None,
            table: "vitals_aggregate_results_v2".to_owned(),
            wait: Duration::from_secs(1),
            store_timeout: Duration::from_secs(1),
        }
    }
}

/// An aggregates file, read and every entry validated: a configuration holds the file only once
/// it is known to be good, so a bad entry stops the process where its settings are read.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatesFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its entries, in file order.
    pub aggregates: Vec<SqlAggregate>,
}

impl AggregatesFile {
    /// Reads and validates the file at `path` ([`load_file`]).
    ///
    /// # Errors
    /// As [`load_file`].
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        let aggregates = load_file(&path)?;
        Ok(Self { path, aggregates })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    aggregate: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    help: String,
    sql: String,
    #[serde(default)]
    labels: Vec<String>,
    values: Option<Vec<String>>,
    ttl: Option<String>,
    timeout: Option<String>,
    max_staleness: Option<String>,
    max_rows: Option<usize>,
}

fn duration(path: &Path, name: &str, field: &str, v: &str) -> Result<Duration, Error> {
    humantime::parse_duration(v).map_err(|e| Error::AggregatesFile {
        path: path.display().to_string(),
        reason: format!("aggregate {name:?}: {field} {v:?}: {e}"),
    })
}

/// Reads `[[aggregate]]` entries from a TOML file and validates each.
///
/// ```toml
/// [[aggregate]]
/// name = "jobs_by_status"
/// help = "Jobs per status."
/// sql = "SELECT status, count(*) AS n FROM jobs GROUP BY status"
/// labels = ["status"]
/// values = ["n"]
/// ttl = "30s"
/// timeout = "5s"
/// ```
///
/// # Errors
/// [`Error::AggregatesFile`] naming the file and, for a bad entry, the entry.
pub fn load_file(path: &Path) -> Result<Vec<SqlAggregate>, Error> {
    let file_err = |reason: String| Error::AggregatesFile {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    parse(path, &text)
}

/// Parses and validates aggregates TOML read from `path` (named in errors), as [`load_file`].
///
/// # Errors
/// As [`load_file`].
pub fn parse(path: &Path, text: &str) -> Result<Vec<SqlAggregate>, Error> {
    let file_err = |reason: String| Error::AggregatesFile {
        path: path.display().to_string(),
        reason,
    };
    let file: File = toml::from_str(text).map_err(|e| file_err(e.to_string()))?;
    let mut out: Vec<SqlAggregate> = Vec::new();
    for (i, e) in file.aggregate.into_iter().enumerate() {
        let mut a = SqlAggregate::new(&e.name, &e.help, &e.sql).labels(e.labels);
        if let Some(v) = e.values {
            a = a.values(v);
        }
        if let Some(t) = &e.ttl {
            a = a.ttl(duration(path, &e.name, "ttl", t)?);
        }
        if let Some(t) = &e.timeout {
            a = a.timeout(duration(path, &e.name, "timeout", t)?);
        }
        if let Some(t) = &e.max_staleness {
            a = a.max_staleness(duration(path, &e.name, "max_staleness", t)?);
        }
        if let Some(n) = e.max_rows {
            a = a.max_rows(n);
        }
        a.validate()
            .map_err(|err| file_err(format!("entry #{}: {err}", i + 1)))?;
        if out.iter().any(|o| o.name == a.name) {
            return Err(file_err(format!(
                "entry #{}: aggregate {:?} is declared twice",
                i + 1,
                a.name
            )));
        }
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_file_is_read_with_defaults() {
        let text = r#"
[[aggregate]]
name = "jobs_by_status"
help = "Jobs per status."
sql = "SELECT status, count(*) AS n FROM jobs GROUP BY status"
labels = ["status"]
values = ["n"]
ttl = "30s"

[[aggregate]]
name = "users"
help = "Users."
sql = "SELECT count(*) AS value FROM users"
"#;
        let aggs = parse(Path::new("a.toml"), text).unwrap();
        assert_eq!(aggs.len(), 2);
        assert_eq!(aggs[0].ttl, Duration::from_secs(30));
        assert_eq!(aggs[0].timeout, Duration::from_secs(10));
        assert_eq!(aggs[1].values, ["value"]);
        assert_eq!(aggs[1].ttl, Duration::from_secs(60));
    }

    #[test]
    fn bad_entries_fail_naming_the_file_and_the_entry() {
        let table = [
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\nttl = \"0s\"\n",
                "invalid aggregates file \"a.toml\": entry #1: invalid SQL aggregate \"x\": ttl must be greater than zero",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\nttl = \"soon\"\n",
                "invalid aggregates file \"a.toml\": aggregate \"x\": ttl \"soon\": expected number at 0",
            ),
            (
                "[[aggregate]]\nname = \"Bad-Name\"\nhelp = \"h\"\nsql = \"SELECT 1\"\n",
                "invalid aggregates file \"a.toml\": entry #1: invalid SQL aggregate \"Bad-Name\"",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\nttl = \"500000000000y\"\n",
                "invalid aggregates file \"a.toml\": entry #1: invalid SQL aggregate \"x\": ttl must be at most 365 days",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\nttl = \"600000000000y\"\n",
                "invalid aggregates file \"a.toml\": aggregate \"x\": ttl \"600000000000y\": number is too large",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1; DELETE FROM t\"\n",
                "entry #1: invalid SQL aggregate \"x\": sql must be one statement",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\ncolour = \"red\"\n",
                "unknown field `colour`",
            ),
            (
                "[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 1\"\n[[aggregate]]\nname = \"x\"\nhelp = \"h\"\nsql = \"SELECT 2\"\n",
                "entry #2: aggregate \"x\" is declared twice",
            ),
        ];
        for (text, want) in table {
            let err = parse(Path::new("a.toml"), text).unwrap_err().to_string();
            assert!(err.contains(want), "{err}\nshould contain\n{want}");
        }
    }
}
