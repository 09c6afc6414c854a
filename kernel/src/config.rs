use crate::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use vitals_http::DetailPolicy;
use vitals_module_database::{AggregateMode, AggregatesConfig, DatabaseConfig};

/// Log output format (`VITALS_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Configuration read from the environment; every variable is optional.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `VITALS_BIND` | `127.0.0.1:8080` | listen address |
/// | `DATABASE_URL` | `sqlite://vitals.db?mode=rwc` | database (SQLite file or PostgreSQL) |
/// | `VITALS_CHECK_TIMEOUT` | `1s` | default per-check timeout |
/// | `VITALS_DETAILS` | `never` | show check reasons: `never`, `always`, `authorized` |
/// | `VITALS_TOKEN` | unset | bearer token that grants details when `authorized` |
/// | `VITALS_BACKGROUND_INTERVAL` | unset (off) | run checks on this interval, probes read snapshots |
/// | `VITALS_MAX_STALENESS` | 3 × interval | oldest snapshot trusted in background mode |
/// | `VITALS_READY_FAILURES` / `VITALS_READY_SUCCESSES` | unset (off) | readiness flap damping |
/// | `VITALS_SHUTDOWN_DELAY` | `0s` | readiness fails this long before the listener closes |
/// | `VITALS_SHUTDOWN_GRACE` | `30s` | time in-flight requests get to finish |
/// | `VITALS_LOG_FORMAT` | `text` | `text` or `json` |
/// | `VITALS_HTTP_BUCKETS` | 1 ms … 10 s | request-duration buckets in seconds, comma-separated, increasing |
/// | `VITALS_METRICS_PREFIX` | unset | prefix for the request families |
/// | `VITALS_SERIES_BUDGET` | `2000` | label sets per family before the overflow series |
/// | `VITALS_MAX_SCRAPES` | `10` | concurrent `/metrics` scrapes before 503 |
/// | `VITALS_AGGREGATES` | `on` | serve DB aggregate gauges here (`off` when a collector does) |
/// | `VITALS_AGGREGATES_FILE` | unset | TOML file of `[[aggregate]]` entries |
/// | `VITALS_AGGREGATE_POOL_SIZE` | `2` | connections of the dedicated aggregate pool |
/// | `VITALS_AGGREGATE_MODE` | `cluster` | `cluster` (once per window across replicas, PostgreSQL) or `local` |
/// | `VITALS_AGGREGATE_STORE_TIMEOUT` | `1s` | deadline of each results-table call and aggregate-pool wait |
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `VITALS_BIND`.
    pub bind: SocketAddr,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `VITALS_CHECK_TIMEOUT`.
    pub check_timeout: Duration,
    /// `VITALS_DETAILS`.
    pub details: DetailPolicy,
    /// `VITALS_TOKEN`.
    pub token: Option<String>,
    /// `VITALS_BACKGROUND_INTERVAL`.
    pub background_interval: Option<Duration>,
    /// `VITALS_MAX_STALENESS`.
    pub max_staleness: Option<Duration>,
    /// `VITALS_READY_FAILURES`, `VITALS_READY_SUCCESSES`.
    pub damping: Option<(u32, u32)>,
    /// `VITALS_SHUTDOWN_DELAY`.
    pub shutdown_delay: Duration,
    /// `VITALS_SHUTDOWN_GRACE`.
    pub shutdown_grace: Duration,
    /// `VITALS_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `VITALS_HTTP_BUCKETS`.
    pub http_buckets: Option<Vec<f64>>,
    /// `VITALS_METRICS_PREFIX`.
    pub metrics_prefix: Option<String>,
    /// `VITALS_SERIES_BUDGET`.
    pub series_budget: usize,
    /// `VITALS_MAX_SCRAPES`.
    pub max_scrapes: u32,
    /// `VITALS_AGGREGATES`.
    pub aggregates_enabled: bool,
    /// `VITALS_AGGREGATES_FILE`.
    pub aggregates_file: Option<PathBuf>,
    /// `VITALS_AGGREGATE_POOL_SIZE`.
    pub aggregate_pool_size: u32,
    /// `VITALS_AGGREGATE_MODE`.
    pub aggregate_mode: AggregateMode,
    /// `VITALS_AGGREGATE_STORE_TIMEOUT`.
    pub aggregate_store_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://vitals.db?mode=rwc".to_owned(),
            check_timeout: Duration::from_secs(1),
            details: DetailPolicy::Never,
            token: None,
            background_interval: None,
            max_staleness: None,
            damping: None,
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(30),
            log_format: LogFormat::Text,
            http_buckets: None,
            metrics_prefix: None,
            series_budget: vitals::metrics::DEFAULT_SERIES_BUDGET,
            max_scrapes: 10,
            aggregates_enabled: true,
            aggregates_file: None,
            aggregate_pool_size: 2,
            aggregate_mode: AggregateMode::Cluster,
            aggregate_store_timeout: AggregatesConfig::default().store_timeout,
        }
    }
}

fn bad(var: &'static str, value: &str, reason: impl Into<String>) -> Error {
    Error::Config {
        var,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Longest duration any setting accepts (one year): longer values are refused rather than
/// overflowing the clock arithmetic they feed.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

fn duration(var: &'static str, value: &str) -> Result<Duration, Error> {
    match humantime::parse_duration(value) {
        Ok(d) if d > MAX_DURATION => Err(bad(var, value, "must be at most 365 days")),
        Ok(d) => Ok(d),
        Err(e) => Err(bad(var, value, format!("{e} (use e.g. 500ms, 2s, 1m)"))),
    }
}

fn positive(var: &'static str, value: &str) -> Result<Duration, Error> {
    match duration(var, value)? {
        d if d.is_zero() => Err(bad(var, value, "must be greater than zero")),
        d => Ok(d),
    }
}

fn count(var: &'static str, value: &str) -> Result<u32, Error> {
    match value.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(var, value, "must be a whole number of at least 1")),
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable whose value cannot be used.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable whose value cannot be used.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut c = Self::default();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("VITALS_BIND") {
            c.bind = v.parse().map_err(|e| {
                bad(
                    "VITALS_BIND",
                    &v,
                    format!("{e} (use host:port, e.g. 127.0.0.1:8080)"),
                )
            })?;
        }
        if let Some(v) = get("DATABASE_URL") {
            if let Err(e) = vitals_module_database::check_url(&v) {
                let reason = match e {
                    vitals_module_database::Error::InvalidUrl { reason, .. } => reason,
                    other => other.to_string(),
                };
                return Err(bad(
                    "DATABASE_URL",
                    &vitals_module_database::masked_url(&v),
                    reason,
                ));
            }
            c.database_url = v;
        }
        if let Some(v) = get("VITALS_CHECK_TIMEOUT") {
            c.check_timeout = positive("VITALS_CHECK_TIMEOUT", &v)?;
        }
        if let Some(v) = get("VITALS_DETAILS") {
            c.details = match v.as_str() {
                "never" => DetailPolicy::Never,
                "always" => DetailPolicy::Always,
                "authorized" | "authorised" => DetailPolicy::Authorised,
                _ => return Err(bad("VITALS_DETAILS", &v, "use never, always or authorized")),
            };
        }
        c.token = get("VITALS_TOKEN");
        if let Some(t) = &c.token
            && t.trim() != t
        {
            return Err(bad(
                "VITALS_TOKEN",
                "<withheld>",
                "has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
            ));
        }
        if c.details == DetailPolicy::Authorised && c.token.is_none() {
            return Err(bad(
                "VITALS_DETAILS",
                "authorized",
                "needs VITALS_TOKEN to be set",
            ));
        }
        if let Some(v) = get("VITALS_BACKGROUND_INTERVAL") {
            c.background_interval = Some(positive("VITALS_BACKGROUND_INTERVAL", &v)?);
        }
        if let Some(v) = get("VITALS_MAX_STALENESS") {
            let staleness = positive("VITALS_MAX_STALENESS", &v)?;
            match c.background_interval {
                None => {
                    return Err(bad(
                        "VITALS_MAX_STALENESS",
                        &v,
                        "only applies with VITALS_BACKGROUND_INTERVAL set",
                    ));
                }
                Some(i) if staleness <= i => {
                    return Err(bad(
                        "VITALS_MAX_STALENESS",
                        &v,
                        "must be longer than VITALS_BACKGROUND_INTERVAL",
                    ));
                }
                Some(_) => c.max_staleness = Some(staleness),
            }
        }
        if let Some(interval) = c.background_interval {
            let staleness = c.max_staleness.unwrap_or(interval.saturating_mul(3));
            if staleness <= interval.saturating_add(c.check_timeout) {
                let (var, value) = match get("VITALS_MAX_STALENESS") {
                    Some(v) => ("VITALS_MAX_STALENESS", v),
                    None => (
                        "VITALS_BACKGROUND_INTERVAL",
                        get("VITALS_BACKGROUND_INTERVAL").unwrap_or_default(),
                    ),
                };
                return Err(bad(
                    var,
                    &value,
                    "max staleness must be longer than the background interval plus VITALS_CHECK_TIMEOUT, or readings go stale between runs",
                ));
            }
        }
        match (get("VITALS_READY_FAILURES"), get("VITALS_READY_SUCCESSES")) {
            (None, None) => {}
            (f, s) => {
                let f = f.map_or(Ok(1), |v| count("VITALS_READY_FAILURES", &v))?;
                let s = s.map_or(Ok(1), |v| count("VITALS_READY_SUCCESSES", &v))?;
                c.damping = Some((f, s));
            }
        }
        if let Some(v) = get("VITALS_SHUTDOWN_DELAY") {
            c.shutdown_delay = duration("VITALS_SHUTDOWN_DELAY", &v)?;
        }
        if let Some(v) = get("VITALS_SHUTDOWN_GRACE") {
            c.shutdown_grace = duration("VITALS_SHUTDOWN_GRACE", &v)?;
        }
        if let Some(v) = get("VITALS_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(bad("VITALS_LOG_FORMAT", &v, "use text or json")),
            };
        }
        if let Some(v) = get("VITALS_HTTP_BUCKETS") {
            c.http_buckets = Some(buckets(&v)?);
        }
        if let Some(v) = get("VITALS_METRICS_PREFIX") {
            vitals::metrics::validate_metric_name(&format!("{v}_x"), false).map_err(|_| {
                bad(
                    "VITALS_METRICS_PREFIX",
                    &v,
                    "use lower snake case: [a-z_][a-z0-9_]*",
                )
            })?;
            c.metrics_prefix = Some(v);
        }
        if let Some(v) = get("VITALS_SERIES_BUDGET") {
            c.series_budget = count("VITALS_SERIES_BUDGET", &v)? as usize;
        }
        if let Some(v) = get("VITALS_MAX_SCRAPES") {
            c.max_scrapes = count("VITALS_MAX_SCRAPES", &v)?;
        }
        if let Some(v) = get("VITALS_AGGREGATES") {
            c.aggregates_enabled = match v.as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => return Err(bad("VITALS_AGGREGATES", &v, "use on or off")),
            };
        }
        if let Some(v) = get("VITALS_AGGREGATES_FILE") {
            let path = PathBuf::from(&v);
            if !path.is_file() {
                return Err(bad("VITALS_AGGREGATES_FILE", &v, "no such file"));
            }
            c.aggregates_file = Some(path);
        }
        if let Some(v) = get("VITALS_AGGREGATE_POOL_SIZE") {
            c.aggregate_pool_size = count("VITALS_AGGREGATE_POOL_SIZE", &v)?;
        }
        if let Some(v) = get("VITALS_AGGREGATE_MODE") {
            c.aggregate_mode = match v.as_str() {
                "cluster" => AggregateMode::Cluster,
                "local" => AggregateMode::Local,
                _ => return Err(bad("VITALS_AGGREGATE_MODE", &v, "use cluster or local")),
            };
        }
        if let Some(v) = get("VITALS_AGGREGATE_STORE_TIMEOUT") {
            c.aggregate_store_timeout = positive("VITALS_AGGREGATE_STORE_TIMEOUT", &v)?;
        }
        Ok(c)
    }

    /// The database module's configuration from these settings.
    pub fn database(&self) -> DatabaseConfig {
        let mut db = DatabaseConfig::new(self.database_url.clone());
        db.check_timeout = self.check_timeout;
        db.aggregates = AggregatesConfig {
            enabled: self.aggregates_enabled,
            file: self.aggregates_file.clone(),
            pool_size: self.aggregate_pool_size,
            mode: self.aggregate_mode,
            store_timeout: self.aggregate_store_timeout,
            ..AggregatesConfig::default()
        };
        db
    }
}

fn buckets(v: &str) -> Result<Vec<f64>, Error> {
    let parsed: Result<Vec<f64>, _> = v.split(',').map(|b| b.trim().parse::<f64>()).collect();
    match parsed {
        Ok(b)
            if !b.is_empty()
                && b.iter().all(|x| x.is_finite() && *x > 0.0)
                && b.windows(2).all(|w| w[0] < w[1]) =>
        {
            Ok(b)
        }
        _ => Err(bad(
            "VITALS_HTTP_BUCKETS",
            v,
            "use increasing positive seconds separated by commas, e.g. 0.01,0.1,1",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned()).map_err(|e| e.to_string())
    }

    #[test]
    fn background_staleness_must_outlast_an_interval_plus_a_check_timeout() {
        let err = load(&[
            ("VITALS_BACKGROUND_INTERVAL", "5s"),
            ("VITALS_MAX_STALENESS", "6s"),
            ("VITALS_CHECK_TIMEOUT", "1s"),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            "invalid VITALS_MAX_STALENESS \"6s\": max staleness must be longer than the background interval plus VITALS_CHECK_TIMEOUT, or readings go stale between runs"
        );
        let err = load(&[
            ("VITALS_BACKGROUND_INTERVAL", "1s"),
            ("VITALS_CHECK_TIMEOUT", "2s"),
        ])
        .unwrap_err();
        assert!(
            err.starts_with("invalid VITALS_BACKGROUND_INTERVAL \"1s\": max staleness"),
            "{err}"
        );
        assert!(
            load(&[
                ("VITALS_BACKGROUND_INTERVAL", "5s"),
                ("VITALS_MAX_STALENESS", "7s"),
                ("VITALS_CHECK_TIMEOUT", "1s"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn empty_environment_gives_defaults() {
        assert_eq!(load(&[]).unwrap(), Config::default());
    }

    #[test]
    fn good_values_are_read() {
        let c = load(&[
            ("VITALS_BIND", "0.0.0.0:9000"),
            ("VITALS_CHECK_TIMEOUT", "250ms"),
            ("VITALS_BACKGROUND_INTERVAL", "5s"),
            ("VITALS_MAX_STALENESS", "20s"),
            ("VITALS_READY_FAILURES", "3"),
            ("VITALS_DETAILS", "authorized"),
            ("VITALS_TOKEN", "t"),
            ("VITALS_LOG_FORMAT", "json"),
        ])
        .unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.check_timeout, Duration::from_millis(250));
        assert_eq!(c.max_staleness, Some(Duration::from_secs(20)));
        assert_eq!(c.damping, Some((3, 1)));
        assert_eq!(c.details, DetailPolicy::Authorised);
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_value() {
        let table = [
            (
                ("VITALS_BIND", "localhost"),
                "invalid VITALS_BIND \"localhost\": invalid socket address syntax (use host:port, e.g. 127.0.0.1:8080)",
            ),
            (
                ("DATABASE_URL", "oracle://u:s3cret@x/db"),
                "invalid DATABASE_URL \"oracle://u:***@x/db\": unsupported scheme \"oracle\": use sqlite:, postgres:, postgresql:",
            ),
            (
                ("VITALS_CHECK_TIMEOUT", "0s"),
                "invalid VITALS_CHECK_TIMEOUT \"0s\": must be greater than zero",
            ),
            (
                ("VITALS_CHECK_TIMEOUT", "soon"),
                "invalid VITALS_CHECK_TIMEOUT \"soon\": expected number at 0 (use e.g. 500ms, 2s, 1m)",
            ),
            (
                ("VITALS_DETAILS", "sometimes"),
                "invalid VITALS_DETAILS \"sometimes\": use never, always or authorized",
            ),
            (
                ("VITALS_DETAILS", "authorized"),
                "invalid VITALS_DETAILS \"authorized\": needs VITALS_TOKEN to be set",
            ),
            (
                ("VITALS_READY_FAILURES", "-1"),
                "invalid VITALS_READY_FAILURES \"-1\": must be a whole number of at least 1",
            ),
            (
                ("VITALS_MAX_STALENESS", "5s"),
                "invalid VITALS_MAX_STALENESS \"5s\": only applies with VITALS_BACKGROUND_INTERVAL set",
            ),
            (
                ("VITALS_CHECK_TIMEOUT", "500000000000y"),
                "invalid VITALS_CHECK_TIMEOUT \"500000000000y\": must be at most 365 days",
            ),
            (
                ("VITALS_SHUTDOWN_GRACE", "600000000000y"),
                "invalid VITALS_SHUTDOWN_GRACE \"600000000000y\": number is too large or cannot be represented without a lack of precision (values below 1ns are not supported) (use e.g. 500ms, 2s, 1m)",
            ),
            (
                ("VITALS_TOKEN", "s3cret\n"),
                "invalid VITALS_TOKEN \"<withheld>\": has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
            ),
            (
                ("VITALS_LOG_FORMAT", "xml"),
                "invalid VITALS_LOG_FORMAT \"xml\": use text or json",
            ),
        ];
        for ((var, value), want) in table {
            assert_eq!(load(&[(var, value)]).unwrap_err(), want);
        }
    }
}
