//! The signals settings, read from the environment in one place and validated once.
use crate::cloudwatch::CloudWatchConfig;
use crate::mapping::Mapping;
use std::time::Duration;
use vitals::settings::{SettingError, Settings};

/// Where the aggregate comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Samples published to Redis by every process (`VITALS_SIGNALS_REDIS_URL`, `redis://` or
    /// `rediss://`).
    Redis(String),
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
    /// Where the aggregate comes from.
    pub source: Source,
    /// Tenant of the keys (`VITALS_TENANT`, default `default`).
    pub tenant: String,
    /// Project of the keys (`VITALS_PROJECT`, default `default`).
    pub project: String,
    /// This publisher's instance name (`VITALS_SIGNALS_INSTANCE`, default `<hostname>-<pid>`).
    pub instance: String,
    /// How often batched samples are flushed (`VITALS_SIGNALS_FLUSH_INTERVAL`, default 1 s).
    pub flush_interval: Duration,
    /// Expiry of a gauge key no publisher refreshes (`VITALS_SIGNALS_GAUGE_TTL`, default 60 s).
    pub gauge_ttl: Duration,
    /// A publisher's gauge older than this is left out of sums (`VITALS_SIGNALS_MAX_AGE`,
    /// default 120 s).
    pub max_age: Duration,
    /// How long an aggregate is reused across scrapes (`VITALS_SIGNALS_SCRAPE_TTL`, default 10 s).
    pub scrape_ttl: Duration,
    /// Deadline of every Redis call (`VITALS_SIGNALS_TIMEOUT`, default 1 s).
    pub timeout: Duration,
    /// Whether this process aggregates and exports (`VITALS_SIGNALS_AGGREGATE`, default on).
    pub aggregate: bool,
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
    /// Defaults for `redis_url`.
    pub fn new(redis_url: &str) -> Self {
        Self::with_source(Source::Redis(redis_url.to_owned()))
    }

    /// Defaults for proxy mode over `urls`.
    pub fn proxy(urls: &[String], header: Option<(String, String)>) -> Self {
        Self::with_source(Source::Proxy(ProxyConfig {
            urls: urls.to_vec(),
            header,
        }))
    }

    fn with_source(source: Source) -> Self {
        Self {
            source,
            tenant: "default".into(),
            project: "default".into(),
            instance: format!(
                "{}-{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into()),
                std::process::id()
            ),
            flush_interval: Duration::from_secs(1),
            gauge_ttl: Duration::from_secs(60),
            max_age: Duration::from_secs(120),
            scrape_ttl: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            aggregate: true,
            pushgateway_url: None,
            push_job: "vitals_signals".into(),
            export_interval: Duration::from_secs(30),
            export_at_start: false,
            cloudwatch: None,
            mapping: Mapping::default(),
        }
    }

    /// The Redis URL, unless in proxy mode.
    pub fn redis_url(&self) -> Option<&str> {
        match &self.source {
            Source::Redis(url) => Some(url),
            Source::Proxy(_) => None,
        }
    }

    /// From the process environment; `None` when neither `VITALS_SIGNALS_REDIS_URL` nor
    /// `VITALS_SIGNALS_PROXY_URLS` is set.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_env() -> Result<Option<Self>, SettingError> {
        Self::from_settings(&Settings::from_env())
    }

    /// From `env`; `None` when neither `VITALS_SIGNALS_REDIS_URL` nor
    /// `VITALS_SIGNALS_PROXY_URLS` is set.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_settings(env: &Settings) -> Result<Option<Self>, SettingError> {
        let Some(mut c) = source(env)?.map(Self::with_source) else {
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
            ("VITALS_SIGNALS_GAUGE_TTL", &mut c.gauge_ttl),
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
            c.aggregate = on;
        }
        if let Some(on) = env.switch("VITALS_SIGNALS_EXPORT_AT_START")? {
            c.export_at_start = on;
        }
        if let Some(u) = env.string("VITALS_SIGNALS_PUSHGATEWAY_URL") {
            c.pushgateway_url = Some(http_url("VITALS_SIGNALS_PUSHGATEWAY_URL", &u)?);
        }
        if matches!(c.source, Source::Proxy(_)) && !c.aggregate {
            return Err(SettingError::new(
                "VITALS_SIGNALS_AGGREGATE",
                "off",
                "proxy mode only aggregates: leave it on, or publish to VITALS_SIGNALS_REDIS_URL",
            ));
        }
        c.cloudwatch = CloudWatchConfig::from_settings(env)?;
        if let Some(path) = env.string("VITALS_SIGNALS_MAPPING_FILE") {
            c.mapping = Mapping::load(std::path::Path::new(&path))
                .map_err(|e| SettingError::new("VITALS_SIGNALS_MAPPING_FILE", &path, e))?;
        }
        if c.gauge_ttl <= c.flush_interval {
            return Err(SettingError::new(
                "VITALS_SIGNALS_GAUGE_TTL",
                &format!("{:?}", c.gauge_ttl),
                "must be longer than VITALS_SIGNALS_FLUSH_INTERVAL, or live gauges expire between flushes",
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

fn source(env: &Settings) -> Result<Option<Source>, SettingError> {
    let (redis, proxy) = (
        env.string("VITALS_SIGNALS_REDIS_URL"),
        env.string("VITALS_SIGNALS_PROXY_URLS"),
    );
    match (redis, proxy) {
        (None, None) => Ok(None),
        (Some(_), Some(p)) => Err(SettingError::new(
            "VITALS_SIGNALS_PROXY_URLS",
            &p,
            "set either VITALS_SIGNALS_REDIS_URL (publish and aggregate through Redis) or this (proxy mode), not both",
        )),
        (Some(url), None) => {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                let shown = url.split('@').next_back().unwrap_or_default();
                return Err(SettingError::new(
                    "VITALS_SIGNALS_REDIS_URL",
                    shown,
                    "must start with redis:// or rediss://",
                ));
            }
            Ok(Some(Source::Redis(url)))
        }
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
            let header = match env.string("VITALS_SIGNALS_PROXY_HEADER") {
                None => None,
                Some(h) => Some(header(&h).ok_or_else(|| {
                    // The value is a credential: only a name before a colon is shown.
                    let shown = match h.split_once(':') {
                        Some((name, _)) => format!("{}: <withheld>", name.trim()),
                        None => "<withheld>".into(),
                    };
                    SettingError::new(
                        "VITALS_SIGNALS_PROXY_HEADER",
                        &shown,
                        "must be `Name: value` with a token header name and a non-empty value",
                    )
                })?),
            };
            Ok(Some(Source::Proxy(ProxyConfig { urls, header })))
        }
    }
}

/// `Name: value`, the name a header token, the value non-empty and visible ASCII.
fn header(h: &str) -> Option<(String, String)> {
    let (name, value) = h.split_once(':')?;
    let (name, value) = (name.trim(), value.trim());
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let ok = !name.is_empty()
        && name.chars().all(token)
        && !value.is_empty()
        && value
            .chars()
            .all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic());
    ok.then(|| (name.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Option<SignalsConfig>, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let env = Settings::from_lookup(move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        });
        SignalsConfig::from_settings(&env).map_err(|e| e.to_string())
    }

    #[test]
    fn off_without_a_url_and_defaults_with_one() {
        assert!(parse(&[]).unwrap().is_none());
        let c = parse(&[("VITALS_SIGNALS_REDIS_URL", "redis://127.0.0.1:6379")])
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.tenant.as_str(), c.project.as_str()),
            ("default", "default")
        );
        assert_eq!(c.gauge_ttl, Duration::from_secs(60));
        assert_eq!(c.max_age, Duration::from_secs(120));
    }

    #[test]
    fn bad_values_name_the_variable_and_the_value() {
        let url = ("VITALS_SIGNALS_REDIS_URL", "redis://h");
        assert_eq!(
            parse(&[("VITALS_SIGNALS_REDIS_URL", "http://u:secret@h")]).unwrap_err(),
            "invalid VITALS_SIGNALS_REDIS_URL \"h\": must start with redis:// or rediss://"
        );
        assert_eq!(
            parse(&[url, ("VITALS_TENANT", "Acme Corp")]).unwrap_err(),
            format!("invalid VITALS_TENANT \"Acme Corp\": use 1 to 64 of {NAME_CHARS}")
        );
        assert!(
            parse(&[url, ("VITALS_SIGNALS_FLUSH_INTERVAL", "0s")])
                .unwrap_err()
                .starts_with("invalid VITALS_SIGNALS_FLUSH_INTERVAL \"0s\"")
        );
        assert_eq!(
            parse(&[url, ("VITALS_SIGNALS_PUSHGATEWAY_URL", "pushgw:9091")]).unwrap_err(),
            "invalid VITALS_SIGNALS_PUSHGATEWAY_URL \"pushgw:9091\": must be an http:// or https:// URL without credentials"
        );
        assert!(
            parse(&[url, ("VITALS_SIGNALS_EXPORT_INTERVAL", "often")])
                .unwrap_err()
                .starts_with("invalid VITALS_SIGNALS_EXPORT_INTERVAL \"often\"")
        );
        assert!(
            parse(&[url, ("VITALS_SIGNALS_GAUGE_TTL", "1s")])
                .unwrap_err()
                .starts_with("invalid VITALS_SIGNALS_GAUGE_TTL")
        );
    }

    #[test]
    fn proxy_mode_takes_urls_and_one_header_and_refuses_a_redis_url_beside_them() {
        let urls = (
            "VITALS_SIGNALS_PROXY_URLS",
            "http://a:8080/status, http://b/status",
        );
        let auth = (
            "VITALS_SIGNALS_PROXY_HEADER",
            "Authorization: Bearer s3cret",
        );
        let c = parse(&[urls, auth]).unwrap().unwrap();
        let Source::Proxy(p) = &c.source else {
            panic!("proxy mode expected")
        };
        assert_eq!(p.urls, ["http://a:8080/status", "http://b/status"]);
        assert_eq!(
            p.header,
            Some(("Authorization".into(), "Bearer s3cret".into()))
        );
        assert!(c.redis_url().is_none());
        assert_eq!(
            parse(&[urls, ("VITALS_SIGNALS_REDIS_URL", "redis://h")]).unwrap_err(),
            "invalid VITALS_SIGNALS_PROXY_URLS \"http://a:8080/status, http://b/status\": set either VITALS_SIGNALS_REDIS_URL (publish and aggregate through Redis) or this (proxy mode), not both"
        );
        assert_eq!(
            parse(&[urls, ("VITALS_SIGNALS_PROXY_HEADER", "Bearer s3cret")]).unwrap_err(),
            "invalid VITALS_SIGNALS_PROXY_HEADER \"<withheld>\": must be `Name: value` with a token header name and a non-empty value"
        );
        assert_eq!(
            parse(&[("VITALS_SIGNALS_PROXY_URLS", "a.internal/status")]).unwrap_err(),
            "invalid VITALS_SIGNALS_PROXY_URLS \"a.internal/status\": must be an http:// or https:// URL without credentials"
        );
        assert_eq!(
            parse(&[("VITALS_SIGNALS_PROXY_URLS", " , ")]).unwrap_err(),
            "invalid VITALS_SIGNALS_PROXY_URLS \" , \": list at least one status URL"
        );
        assert!(
            parse(&[urls, ("VITALS_SIGNALS_AGGREGATE", "off")])
                .unwrap_err()
                .starts_with(
                    "invalid VITALS_SIGNALS_AGGREGATE \"off\": proxy mode only aggregates"
                )
        );
    }
}
