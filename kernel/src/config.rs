use crate::Error;
pub use access::AccessSettings;
pub use status::StatusSettings;
use std::net::SocketAddr;
use std::time::Duration;
use vitals::settings::{Environment, SettingError};
use vitals_http::{RequestMetricsSettings, ScrapeSettings};

/// Log output format (`VITALS_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How checks run (who sees their reasons is [`AccessSettings`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// `VITALS_CHECK_TIMEOUT`: timeout of checks that set none. Defaults to 1 s.
    pub check_timeout: Duration,
    /// `VITALS_BACKGROUND_INTERVAL`: run checks on this interval. Defaults to off.
    pub background_interval: Option<Duration>,
    /// `VITALS_MAX_STALENESS`: oldest reading trusted in background mode. Defaults to
    /// 3 × interval.
    pub max_staleness: Option<Duration>,
    /// `VITALS_READY_FAILURES`, `VITALS_READY_SUCCESSES`: readiness flap damping. Defaults to off.
    pub damping: Option<(u32, u32)>,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            check_timeout: Duration::from_secs(1),
            background_interval: None,
            max_staleness: None,
            damping: None,
        }
    }
}

/// Graceful shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// `VITALS_SHUTDOWN_DELAY`: readiness fails this long before the listener closes. Defaults
    /// to 0.
    pub delay: Duration,
    /// `VITALS_SHUTDOWN_GRACE`: time in-flight requests get to finish. Defaults to 30 s.
    pub grace: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        Self {
            delay: Duration::ZERO,
            grace: Duration::from_secs(30),
        }
    }
}

/// The kernel's settings: one value per concern, read from the environment in one place
/// ([`from_env`](Self::from_env)), changed by [`KernelBuilder`](crate::KernelBuilder) setters,
/// and validated once, by [`KernelBuilder::build`](crate::KernelBuilder::build). Defaults are
/// defined once, in each part's `Default`.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `VITALS_BIND` | `127.0.0.1:8080` | listen address (not used by an embedded kernel: the app binds; logged once when set) |
/// | `VITALS_GRPC_BIND` | unset (off) | listen address of the gRPC health service (`grpc.health.v1`), feature `grpc` |
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
/// | `VITALS_METRICS_TOKEN` | unset | bearer token required to scrape `/metrics` (and granting details) |
/// | `VITALS_METRICS_TRUSTED_CIDRS` | unset | networks that may scrape without a token, comma-separated |
/// | `VITALS_TRUSTED_PROXIES` | unset | proxies whose forwarded header names the client |
/// | `VITALS_FORWARDED_HEADER` | `x-forwarded-for` | the header those proxies write: `x-forwarded-for`, `forwarded` (RFC 7239) or `none`; the other is ignored |
/// | `VITALS_SERVICE_NAME`, `VITALS_SERVICE_VERSION` | unset | the service's own name and version in `service_info` |
/// | `VITALS_STATUS_PATH` | `/status` | the status page (`{path}`) and its JSON (`{path}/history`); `off` for neither |
/// | `VITALS_STATUS_HISTORY` | `120` | readings kept per check for the page |
/// | `VITALS_STATUS_REFRESH` | `10s` | the page reloads itself this often; `0s` for never |
/// | `VITALS_NOTIFY_*` | unset (off) | webhooks told of status changes, feature `notify`: see `vitals_notify::NotifyConfig` |
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `VITALS_BIND`. Defaults to `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `VITALS_GRPC_BIND`: where the gRPC health service listens (feature `grpc`). Defaults to
    /// none (not served).
    pub grpc_bind: Option<SocketAddr>,
    /// `VITALS_LOG_FORMAT`. Defaults to text.
    pub log_format: LogFormat,
    /// Health checks.
    pub health: HealthSettings,
    /// Who sees check details, who may scrape, which proxies name the caller.
    pub access: AccessSettings,
    /// The request-timing middleware.
    pub requests: RequestMetricsSettings,
    /// `/metrics`.
    pub scrapes: ScrapeSettings,
    /// `VITALS_SERIES_BUDGET`: label sets per family before the overflow series. Defaults to
    /// [`vitals::metrics::DEFAULT_SERIES_BUDGET`].
    pub series_budget: usize,
    /// Graceful shutdown.
    pub shutdown: ShutdownSettings,
    /// The status page and the check history.
    pub status: StatusSettings,
    /// Notifications of status changes (`VITALS_NOTIFY_*`, feature `notify`). Defaults to none.
    #[cfg(feature = "notify")]
    pub notify: Option<vitals_notify::NotifyConfig>,
    /// `VITALS_SERVICE_NAME` and `VITALS_SERVICE_VERSION`: exported as
    /// `service_info{service,version} 1`. Defaults to none (no family).
    pub service: Option<(String, String)>,
    /// Whether the request families are served (the request-timing middleware feeds this
    /// kernel's `/metrics`). Defaults to `true`; a process that serves no traffic of its own
    /// (`vitals-collector`) turns it off.
    pub request_metrics: bool,
    /// Whether the built-in `ping` check is registered. Defaults to `true`.
    pub ping: bool,
    /// Whether SIGTERM/SIGINT trigger graceful shutdown. Defaults to `true`.
    pub handle_signals: bool,
    /// Actix worker threads. Defaults to the number of CPUs.
    pub workers: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            grpc_bind: None,
            log_format: LogFormat::Text,
            health: HealthSettings::default(),
            access: AccessSettings::default(),
            requests: RequestMetricsSettings::default(),
            scrapes: ScrapeSettings::default(),
            series_budget: vitals::metrics::DEFAULT_SERIES_BUDGET,
            shutdown: ShutdownSettings::default(),
            status: StatusSettings::default(),
            #[cfg(feature = "notify")]
            notify: None,
            service: None,
            request_metrics: true,
            ping: true,
            handle_signals: true,
            workers: None,
        }
    }
}

fn bad(var: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::Config(SettingError::new(var, value, reason))
}

impl Config {
    /// Reads the process environment; see the table above. Only the syntax of each value is
    /// checked here; [`KernelBuilder::build`](crate::KernelBuilder::build) validates the whole.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable whose value cannot be read.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_environment(&Environment::from_env())
    }

    /// Reads the settings through `env` (the environment, or a map in tests).
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable whose value cannot be read.
    pub fn from_environment(env: &Environment) -> Result<Self, Error> {
        let mut c = Self::default();
        if let Some(bind) = env.parsed("VITALS_BIND", |v| {
            v.parse::<SocketAddr>()
                .map_err(|e| format!("{e} (use host:port, e.g. 127.0.0.1:8080)"))
        })? {
            c.bind = bind;
        }
        c.grpc_bind = env.parsed("VITALS_GRPC_BIND", |v| {
            v.parse::<SocketAddr>()
                .map_err(|e| format!("{e} (use host:port, e.g. 0.0.0.0:9090)"))
        })?;
        let h = &mut c.health;
        if let Some(t) = env.positive_duration("VITALS_CHECK_TIMEOUT")? {
            h.check_timeout = t;
        }
        h.background_interval = env.positive_duration("VITALS_BACKGROUND_INTERVAL")?;
        h.max_staleness = env.positive_duration("VITALS_MAX_STALENESS")?;
        let failures = env.count("VITALS_READY_FAILURES")?;
        let successes = env.count("VITALS_READY_SUCCESSES")?;
        if failures.is_some() || successes.is_some() {
            h.damping = Some((failures.unwrap_or(1), successes.unwrap_or(1)));
        }
        if let Some(d) = env.duration("VITALS_SHUTDOWN_DELAY")? {
            c.shutdown.delay = d;
        }
        if let Some(d) = env.duration("VITALS_SHUTDOWN_GRACE")? {
            c.shutdown.grace = d;
        }
        if let Some(f) = env.choice(
            "VITALS_LOG_FORMAT",
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        )? {
            c.log_format = f;
        }
        if let Some(b) = env.parsed("VITALS_HTTP_BUCKETS", buckets)? {
            c.requests.buckets = b;
        }
        c.requests.prefix = env.parsed("VITALS_METRICS_PREFIX", |v| {
            vitals::metrics::validate_metric_name(&format!("{v}_x"), false)
                .map(|()| v.to_owned())
                .map_err(|_| "use lower snake case: [a-z_][a-z0-9_]*")
        })?;
        if let Some(n) = env.count("VITALS_SERIES_BUDGET")? {
            c.series_budget = n as usize;
        }
        if let Some(n) = env.count("VITALS_MAX_SCRAPES")? {
            c.scrapes.max_concurrent = n as usize;
        }
        c.access = AccessSettings::read(env)?;
        c.status = StatusSettings::read(env)?;
        #[cfg(feature = "notify")]
        {
            c.notify = vitals_notify::NotifyConfig::from_environment(env)?;
        }
        #[cfg(not(feature = "notify"))]
        if let Some(v) = env.string("VITALS_NOTIFY_WEBHOOKS") {
            return Err(bad(
                "VITALS_NOTIFY_WEBHOOKS",
                &v,
                "this build sends no notifications: enable the notify feature of vitals-kernel",
            ));
        }
        match (
            env.string("VITALS_SERVICE_NAME"),
            env.string("VITALS_SERVICE_VERSION"),
        ) {
            (None, None) => {}
            (Some(name), version) => {
                c.service = Some((name, version.unwrap_or_else(|| "unknown".to_owned())));
            }
            (None, Some(v)) => {
                return Err(bad(
                    "VITALS_SERVICE_VERSION",
                    &v,
                    "needs VITALS_SERVICE_NAME to be set",
                ));
            }
        }
        Ok(c)
    }

    /// Checks the settings as a whole (what no single variable can tell). Called by
    /// [`KernelBuilder::build`](crate::KernelBuilder::build).
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that has to change.
    pub fn validate(&self) -> Result<(), Error> {
        let fmt = |d: Duration| humantime::format_duration(d).to_string();
        let h = &self.health;
        if h.check_timeout.is_zero() {
            return Err(bad(
                "VITALS_CHECK_TIMEOUT",
                "0s",
                "must be greater than zero",
            ));
        }
        match (h.background_interval, h.max_staleness) {
            (None, Some(s)) => {
                return Err(bad(
                    "VITALS_MAX_STALENESS",
                    &fmt(s),
                    "only applies with VITALS_BACKGROUND_INTERVAL set",
                ));
            }
            (Some(i), _) if i.is_zero() => {
                return Err(bad(
                    "VITALS_BACKGROUND_INTERVAL",
                    "0s",
                    "must be greater than zero",
                ));
            }
            (Some(i), staleness) => {
                let s = staleness.unwrap_or(i.saturating_mul(3));
                if s <= i.saturating_add(h.check_timeout) {
                    let (var, value) = match staleness {
                        Some(s) => ("VITALS_MAX_STALENESS", fmt(s)),
                        None => ("VITALS_BACKGROUND_INTERVAL", fmt(i)),
                    };
                    return Err(bad(
                        var,
                        &value,
                        "max staleness must be longer than the background interval plus VITALS_CHECK_TIMEOUT, or readings go stale between runs",
                    ));
                }
            }
            (None, None) => {}
        }
        if let Some((f, s)) = h.damping
            && (f == 0 || s == 0)
        {
            return Err(bad(
                "VITALS_READY_FAILURES",
                &format!("{f}/{s}"),
                "damping counts must be at least 1",
            ));
        }
        self.access.validate()?;
        if self.scrapes.max_concurrent == 0 {
            return Err(bad("VITALS_MAX_SCRAPES", "0", "must be at least 1"));
        }
        if let Some(addr) = self.grpc_bind
            && !cfg!(feature = "grpc")
        {
            return Err(bad(
                "VITALS_GRPC_BIND",
                &addr.to_string(),
                "this build has no gRPC front door: enable the grpc feature of vitals-kernel",
            ));
        }
        if self.series_budget == 0 {
            return Err(bad("VITALS_SERIES_BUDGET", "0", "must be at least 1"));
        }
        self.status.validate().map_err(Error::Config)?;
        Ok(())
    }
}

fn buckets(v: &str) -> Result<Vec<f64>, &'static str> {
    let parsed: Result<Vec<f64>, _> = v.split(',').map(|b| b.trim().parse::<f64>()).collect();
    match parsed {
        Ok(b)
            if !b.is_empty()
                && b.iter().all(|x| x.is_finite() && *x > 0.0)
                && b.windows(2).all(|w| w[0] < w[1]) =>
        {
            Ok(b)
        }
        _ => Err("use increasing positive seconds separated by commas, e.g. 0.01,0.1,1"),
    }
}

mod access;
mod status;
#[cfg(test)]
mod tests;
