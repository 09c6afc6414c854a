//! The signals settings, read from the environment in one place and validated once.
use crate::connection::{Target, shown};
use crate::export::{CloudWatchConfig, Mapping};
use std::time::Duration;
use vitals::settings::{Environment, SettingError};

/// Where the cluster-wide figures come from.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Samples published to Redis by every process: one node or a primary with its replicas
    /// (`VITALS_SIGNALS_REDIS_URL`), or a Redis Cluster (`VITALS_SIGNALS_REDIS_CLUSTER_URLS`).
    Redis(Target),
    /// Proxy mode: no Redis; each export fetches a JSON status document from every service.
    Proxy(ProxyConfig),
}

/// Proxy mode's services and credentials.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Status document URLs (`VITALS_SIGNALS_PROXY_URLS`, comma-separated `http(s)://`).
    pub urls: Vec<String>,
    /// Header sent with every fetch (`VITALS_SIGNALS_PROXY_HEADER`, `Name: value`).
    pub header: Option<(String, String)>,
}

/// Where and how signals are published and aggregated.
#[derive(Debug, Clone)]
pub struct SignalsConfig {
    /// Where the cluster-wide figures come from.
    pub backend: Backend,
    /// Tenant of the keys (`VITALS_TENANT`, default `default`).
    pub tenant: String,
    /// Project of the keys (`VITALS_PROJECT`, default `default`).
    pub project: String,
    /// This publisher's instance name (`VITALS_SIGNALS_INSTANCE`, default
    /// `<hostname>-<pid>-<6 random hex digits>`, unique even where every container is pid 1).
    pub instance: String,
    /// How often batched samples are flushed (`VITALS_SIGNALS_FLUSH_INTERVAL`, default 1 s).
    pub flush_interval: Duration,
    /// A publisher that has not flushed for this long is dead: its gauges leave the sums
    /// (`VITALS_SIGNALS_MAX_AGE`, default 15 s; more than two flush intervals).
    pub max_age: Duration,
    /// Most distinct signal names one process publishes (`VITALS_SIGNALS_MAX_NAMES`, default
    /// 100); samples of further names are dropped and counted.
    pub max_names: usize,
    /// Timeouts in a row after which the Redis connection is replaced
    /// (`VITALS_SIGNALS_RECONNECT_AFTER`, default 3).
    pub reconnect_after: u32,
    /// How long the cluster-wide figures are reused across scrapes (`VITALS_SIGNALS_SCRAPE_TTL`, default 10 s).
    pub scrape_ttl: Duration,
    /// Deadline of every Redis call (`VITALS_SIGNALS_TIMEOUT`, default 1 s).
    pub timeout: Duration,
    /// Whether this process reads the cluster-wide figures and exports them
    /// (`VITALS_SIGNALS_AGGREGATE`; off for app replicas, which only publish; on in `vitals-collector` and in proxy mode).
    pub exporter: bool,
    /// Pushgateway base URL (`VITALS_SIGNALS_PUSHGATEWAY_URL`, `http(s)://`); unset: no push.
    pub pushgateway_url: Option<String>,
    /// Pushgateway job name (`VITALS_SIGNALS_PUSH_JOB`, default `vitals_signals`).
    pub push_job: String,
    /// How often pushes happen (`VITALS_SIGNALS_EXPORT_INTERVAL`, default 30 s).
    pub export_interval: Duration,
    /// Push once at start instead of after the first interval (`VITALS_SIGNALS_EXPORT_AT_START`,
    /// default off).
    pub export_at_start: bool,
    /// CloudWatch export (`VITALS_SIGNALS_CLOUDWATCH_*`); unset namespace: no CloudWatch.
    pub cloudwatch: Option<CloudWatchConfig>,
    /// Exported names and units (`VITALS_SIGNALS_MAPPING_FILE`); empty: every signal under its
    /// own key and base unit.
    pub mapping: Mapping,
}

const NAME_CHARS: &str = "lowercase letters, digits, '_', '-' and '.'";

impl SignalsConfig {
    /// Defaults for one Redis node at `redis_url` (publishing only).
    pub fn new(redis_url: &str) -> Self {
        Self::with_backend(Backend::Redis(Target::Nodes(vec![redis_url.to_owned()])))
    }

    /// Defaults for `target` (publishing only).
    pub fn redis(target: Target) -> Self {
        Self::with_backend(Backend::Redis(target))
    }

    /// Defaults for proxy mode over `urls`.
    pub fn proxy(urls: &[String], header: Option<(String, String)>) -> Self {
        Self::with_backend(Backend::Proxy(ProxyConfig {
            urls: urls.to_vec(),
            header,
        }))
    }

    fn with_backend(backend: Backend) -> Self {
        let exporter = matches!(backend, Backend::Proxy(_));
        Self {
            backend,
            tenant: "default".into(),
            project: "default".into(),
            instance: default_instance(),
            flush_interval: Duration::from_secs(1),
            max_age: Duration::from_secs(15),
            max_names: 100,
            reconnect_after: 3,
            scrape_ttl: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            exporter,
            pushgateway_url: None,
            push_job: "vitals_signals".into(),
            export_interval: Duration::from_secs(30),
            export_at_start: false,
            cloudwatch: None,
            mapping: Mapping::default(),
        }
    }

    /// The Redis target, unless in proxy mode.
    pub fn redis_target(&self) -> Option<&Target> {
        match &self.backend {
            Backend::Redis(t) => Some(t),
            Backend::Proxy(_) => None,
        }
    }

    /// From the process environment; `None` when none of `VITALS_SIGNALS_REDIS_URL`,
    /// `VITALS_SIGNALS_REDIS_CLUSTER_URLS` and `VITALS_SIGNALS_PROXY_URLS` is set.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_env() -> Result<Option<Self>, SettingError> {
        Self::from_environment(&Environment::from_env())
    }

    /// From `env`; `None` when neither `VITALS_SIGNALS_REDIS_URL` nor
    /// `VITALS_SIGNALS_PROXY_URLS` is set.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, SettingError> {
        let Some(mut c) = backend(env)?.map(Self::with_backend) else {
            return Ok(None);
        };
        for (var, field) in [
            ("VITALS_TENANT", &mut c.tenant),
            ("VITALS_PROJECT", &mut c.project),
            ("VITALS_SIGNALS_INSTANCE", &mut c.instance),
            ("VITALS_SIGNALS_PUSH_JOB", &mut c.push_job),
        ] {
            if let Some(v) = env.string(var) {
                if !crate::keys::valid_name(&v) {
                    return Err(SettingError::new(
                        var,
                        &v,
                        format!("use 1 to 64 of {NAME_CHARS}"),
                    ));
                }
                *field = v;
            }
        }
        for (var, field) in [
            ("VITALS_SIGNALS_FLUSH_INTERVAL", &mut c.flush_interval),
            ("VITALS_SIGNALS_MAX_AGE", &mut c.max_age),
            ("VITALS_SIGNALS_SCRAPE_TTL", &mut c.scrape_ttl),
            ("VITALS_SIGNALS_TIMEOUT", &mut c.timeout),
            ("VITALS_SIGNALS_EXPORT_INTERVAL", &mut c.export_interval),
        ] {
            if let Some(d) = env.positive_duration(var)? {
                *field = d;
            }
        }
        if let Some(on) = env.switch("VITALS_SIGNALS_AGGREGATE")? {
            c.exporter = on;
        }
        if let Some(n) = env.string("VITALS_SIGNALS_MAX_NAMES") {
            c.max_names = n
                .parse()
                .ok()
                .filter(|n| (1..=crate::cluster::MAX_SIGNALS).contains(n))
                .ok_or_else(|| {
                    SettingError::new(
                        "VITALS_SIGNALS_MAX_NAMES",
                        &n,
                        "must be a whole number from 1 to 256",
                    )
                })?;
        }
        if let Some(n) = env.string("VITALS_SIGNALS_RECONNECT_AFTER") {
            c.reconnect_after = n
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    SettingError::new(
                        "VITALS_SIGNALS_RECONNECT_AFTER",
                        &n,
                        "must be a whole number of timeouts from 1 to 1000",
                    )
                })?;
        }
        if let Some(on) = env.switch("VITALS_SIGNALS_EXPORT_AT_START")? {
            c.export_at_start = on;
        }
        if let Some(u) = env.string("VITALS_SIGNALS_PUSHGATEWAY_URL") {
            c.pushgateway_url = Some(http_url("VITALS_SIGNALS_PUSHGATEWAY_URL", &u)?);
        }
        if matches!(c.backend, Backend::Proxy(_)) && !c.exporter {
            return Err(SettingError::new(
                "VITALS_SIGNALS_AGGREGATE",
                "off",
                "proxy mode only aggregates: leave it on, or publish to VITALS_SIGNALS_REDIS_URL",
            ));
        }
        c.cloudwatch = CloudWatchConfig::from_environment(env)?;
        if let Some(path) = env.string("VITALS_SIGNALS_MAPPING_FILE") {
            c.mapping = Mapping::load(std::path::Path::new(&path))
                .map_err(|e| SettingError::new("VITALS_SIGNALS_MAPPING_FILE", &path, e))?;
        }
        if c.max_age <= c.flush_interval * 2 {
            return Err(SettingError::new(
                "VITALS_SIGNALS_MAX_AGE",
                &humantime::format_duration(c.max_age).to_string(),
                "must be longer than two VITALS_SIGNALS_FLUSH_INTERVALs, or live publishers drop out between flushes",
            ));
        }
        Ok(Some(c))
    }
}

fn http_url(var: &str, u: &str) -> Result<String, SettingError> {
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.contains('@') {
        return Err(SettingError::new(
            var,
            u.split('@').next_back().unwrap_or_default(),
            "must be an http:// or https:// URL without credentials",
        ));
    }
    Ok(u.to_owned())
}

fn redis_urls(var: &str, list: &str) -> Result<Vec<String>, SettingError> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        return Err(SettingError::new(
            var,
            list,
            "list at least one redis:// URL",
        ));
    }
    for u in &urls {
        if !u.starts_with("redis://") {
            return Err(SettingError::new(
                var,
                &shown(u),
                "must start with redis:// (comma-separated for several nodes)",
            ));
        }
        if let Err(e) = redis::Client::open(u.as_str()) {
            return Err(SettingError::new(var, &shown(u), e.to_string()));
        }
    }
    Ok(urls)
}

fn backend(env: &Environment) -> Result<Option<Backend>, SettingError> {
    let (node, cluster, proxy) = (
        env.string("VITALS_SIGNALS_REDIS_URL"),
        env.string("VITALS_SIGNALS_REDIS_CLUSTER_URLS"),
        env.string("VITALS_SIGNALS_PROXY_URLS"),
    );
    let redis = match (node, cluster) {
        (Some(_), Some(c)) => {
            return Err(SettingError::new(
                "VITALS_SIGNALS_REDIS_CLUSTER_URLS",
                &c.split(',').map(shown).collect::<Vec<_>>().join(","),
                "set either VITALS_SIGNALS_REDIS_URL (one node, or a primary and its replicas) or this (Redis Cluster seeds), not both",
            ));
        }
        (Some(n), None) => Some(Target::Nodes(redis_urls("VITALS_SIGNALS_REDIS_URL", &n)?)),
        (None, Some(c)) => Some(Target::Cluster(redis_urls(
            "VITALS_SIGNALS_REDIS_CLUSTER_URLS",
            &c,
        )?)),
        (None, None) => None,
    };
    match (redis, proxy) {
        (None, None) => Ok(None),
        (Some(_), Some(p)) => Err(SettingError::new(
            "VITALS_SIGNALS_PROXY_URLS",
            &p,
            "set either VITALS_SIGNALS_REDIS_URL (publish and aggregate through Redis) or this (proxy mode), not both",
        )),
        (Some(t), None) => Ok(Some(Backend::Redis(t))),
        (None, Some(list)) => {
            let mut urls = Vec::new();
            for u in list.split(',').map(str::trim).filter(|u| !u.is_empty()) {
                urls.push(http_url("VITALS_SIGNALS_PROXY_URLS", u)?);
            }
            if urls.is_empty() {
                return Err(SettingError::new(
                    "VITALS_SIGNALS_PROXY_URLS",
                    &list,
                    "list at least one status URL",
                ));
            }
            let header = env.header("VITALS_SIGNALS_PROXY_HEADER")?;
            Ok(Some(Backend::Proxy(ProxyConfig { urls, header })))
        }
    }
}

/// `<hostname>-<pid>-<6 random hex digits>`: the pid alone repeats across containers (pid 1).
fn default_instance() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| {
            h.trim()
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .take(40)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let suffix: u32 = rand::random::<u32>() & 0xff_ffff;
    format!("{host}-{}-{suffix:06x}", std::process::id())
}

#[cfg(test)]
mod tests;
