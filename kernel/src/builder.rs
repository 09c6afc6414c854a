use crate::{Config, Error, Kernel, KernelContainer, ModuleSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vitals::{HealthChecker, Metrics, Module};
use vitals_health::{BackgroundConfig, Damping, HealthRegistry, RegistryConfig};
use vitals_http::{AccessPolicy, DetailPolicy, RequestMetrics};
use vitals_metrics::{HealthMetrics, register_builtins};

/// Builds a [`Kernel`]; every setter states its default, [`build`](Self::build) validates all.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), vitals_kernel::Error> {
/// use std::time::Duration;
/// let kernel = vitals_kernel::Kernel::builder()
///     .bind("127.0.0.1:8080".parse().unwrap())
///     .check_timeout(Duration::from_secs(1))
///     .build()?;
/// kernel.run().await
/// # }
/// ```
pub struct KernelBuilder {
    pub(crate) bind: SocketAddr,
    check_timeout: Duration,
    background: Option<(Duration, Option<Duration>)>,
    damping: Option<(u32, u32)>,
    details: DetailPolicy,
    token: Option<String>,
    pub(crate) shutdown_delay: Duration,
    pub(crate) shutdown_grace: Duration,
    pub(crate) handle_signals: bool,
    pub(crate) workers: Option<usize>,
    pub(crate) http: HttpMetricsSettings,
    modules: Vec<Arc<dyn Module>>,
    checkers: Vec<Arc<dyn HealthChecker>>,
}

/// Settings of the request metrics and `/metrics`.
#[derive(Debug, Clone)]
pub(crate) struct HttpMetricsSettings {
    pub(crate) buckets: Option<Vec<f64>>,
    pub(crate) prefix: Option<String>,
    pub(crate) const_labels: Vec<(String, String)>,
    pub(crate) excluded: Vec<String>,
    pub(crate) series_budget: usize,
    pub(crate) max_scrapes: usize,
    pub(crate) scrape_deadline: Duration,
}

impl Default for HttpMetricsSettings {
    fn default() -> Self {
        Self {
            buckets: None,
            prefix: None,
            const_labels: Vec::new(),
            excluded: Vec::new(),
            series_budget: vitals::metrics::DEFAULT_SERIES_BUDGET,
            max_scrapes: 10,
            scrape_deadline: Duration::from_secs(10),
        }
    }
}

impl Default for KernelBuilder {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            check_timeout: Duration::from_secs(1),
            background: None,
            damping: None,
            details: DetailPolicy::Never,
            token: None,
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(30),
            handle_signals: true,
            workers: None,
            http: HttpMetricsSettings::default(),
            modules: Vec::new(),
            checkers: Vec::new(),
        }
    }
}

impl KernelBuilder {
    /// Applies an environment [`Config`] (bind, timeouts, background, damping, details, shutdown).
    pub fn config(mut self, c: &Config) -> Self {
        self.bind = c.bind;
        self.check_timeout = c.check_timeout;
        self.background = c.background_interval.map(|i| (i, c.max_staleness));
        self.damping = c.damping;
        self.details = c.details;
        self.token = c.token.clone();
        self.shutdown_delay = c.shutdown_delay;
        self.shutdown_grace = c.shutdown_grace;
        self.http.buckets = c.http_buckets.clone();
        self.http.prefix = c.metrics_prefix.clone();
        self.http.series_budget = c.series_budget;
        self.http.max_scrapes = c.max_scrapes as usize;
        self
    }

    /// Listen address. Defaults to `127.0.0.1:8080`; port 0 picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Timeout for checks that set none. Defaults to 1 s.
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        self.check_timeout = timeout;
        self
    }

    /// Background mode: run checks every `interval`, probes read the latest reading; a reading
    /// older than `max_staleness` (defaults to 3 × interval) is unhealthy. Defaults to off.
    pub fn background(mut self, interval: Duration, max_staleness: Option<Duration>) -> Self {
        self.background = Some((interval, max_staleness));
        self
    }

    /// Readiness flap damping. Defaults to off.
    pub fn damping(mut self, failures: u32, successes: u32) -> Self {
        self.damping = Some((failures, successes));
        self
    }

    /// Who sees check reasons and details. Defaults to [`DetailPolicy::Never`].
    pub fn details(mut self, policy: DetailPolicy) -> Self {
        self.details = policy;
        self
    }

    /// Bearer token that authorises a caller. Defaults to none.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How long readiness fails before the listener closes on SIGTERM. Defaults to 0.
    pub fn shutdown_delay(mut self, delay: Duration) -> Self {
        self.shutdown_delay = delay;
        self
    }

    /// How long in-flight requests may run after the listener closes. Defaults to 30 s.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Whether SIGTERM/SIGINT trigger graceful shutdown. Defaults to `true`.
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.handle_signals = on;
        self
    }

    /// Number of actix worker threads. Defaults to the number of CPUs.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Request-duration histogram buckets, in seconds. Defaults to 1 ms … 10 s (13 buckets).
    pub fn request_buckets(mut self, buckets: Vec<f64>) -> Self {
        self.http.buckets = Some(buckets);
        self
    }

    /// Prefix for the request families (`<prefix>_http_server_requests_total`). Defaults to none.
    pub fn metrics_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.http.prefix = Some(prefix.into());
        self
    }

    /// A constant label on the request families. Defaults to none.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http.const_labels.push((name.into(), value.into()));
        self
    }

    /// Route templates left out of request metrics, besides the probes and `/metrics`.
    pub fn exclude_routes(mut self, routes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.http
            .excluded
            .extend(routes.into_iter().map(Into::into));
        self
    }

    /// Most label sets per family before the overflow series. Defaults to 2,000.
    pub fn series_budget(mut self, budget: usize) -> Self {
        self.http.series_budget = budget;
        self
    }

    /// Most concurrent `/metrics` scrapes; more get 503. Defaults to 10.
    pub fn max_concurrent_scrapes(mut self, n: usize) -> Self {
        self.http.max_scrapes = n;
        self
    }

    /// Scrape deadline when the scraper sends no `X-Prometheus-Scrape-Timeout-Seconds`.
    /// Defaults to 10 s.
    pub fn scrape_deadline(mut self, deadline: Duration) -> Self {
        self.http.scrape_deadline = deadline;
        self
    }

    /// Plugs in a module; it registers its checkers and metrics during [`build`](Self::build).
    pub fn module(mut self, module: impl Module) -> Self {
        self.modules.push(Arc::new(module));
        self
    }

    /// Adds one checker.
    pub fn checker(mut self, checker: impl HealthChecker) -> Self {
        self.checkers.push(Arc::new(checker));
        self
    }

    fn registry_config(&self, health_metrics: &HealthMetrics) -> Result<RegistryConfig, Error> {
        let invalid = |var: &'static str, value: String, reason: &str| Error::Config {
            var,
            value,
            reason: reason.to_owned(),
        };
        if self.check_timeout.is_zero() {
            return Err(invalid(
                "check_timeout",
                "0s".into(),
                "must be greater than zero",
            ));
        }
        let background = match self.background {
            None => None,
            Some((interval, _)) if interval.is_zero() => {
                return Err(invalid(
                    "background interval",
                    "0s".into(),
                    "must be greater than zero",
                ));
            }
            Some((interval, staleness)) => {
                let max_staleness = staleness.unwrap_or(interval.saturating_mul(3));
                if max_staleness <= interval.saturating_add(self.check_timeout) {
                    return Err(invalid(
                        "max_staleness",
                        humantime::format_duration(max_staleness).to_string(),
                        "must be longer than the background interval plus the check timeout",
                    ));
                }
                Some(BackgroundConfig {
                    interval,
                    max_staleness,
                })
            }
        };
        let damping = match self.damping {
            Some((f, s)) if f == 0 || s == 0 => {
                return Err(invalid(
                    "damping",
                    format!("{f}/{s}"),
                    "counts must be at least 1",
                ));
            }
            d => d.map(|(failures, successes)| Damping {
                failures,
                successes,
            }),
        };
        if self.details == DetailPolicy::Authorised && self.token.is_none() {
            return Err(invalid("details", "authorized".into(), "needs a token"));
        }
        if let Some(t) = &self.token
            && (t.is_empty() || t.trim() != t)
        {
            return Err(invalid(
                "token",
                "<withheld>".into(),
                "must be non-empty, without leading or trailing whitespace",
            ));
        }
        Ok(RegistryConfig {
            default_timeout: self.check_timeout,
            background,
            damping,
            observer: Some(health_metrics.observer()),
            ..RegistryConfig::default()
        })
    }

    /// Validates the settings, registers the built-in `ping` check, every module and checker.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable setting, [`Error::Registration`] for a refused
    /// module, checker or metric.
    pub fn build(self) -> Result<Kernel, Error> {
        if self.http.max_scrapes == 0 {
            return Err(Error::Config {
                var: "max_concurrent_scrapes",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        let metrics = Metrics::with_series_budget(self.http.series_budget);
        register_builtins(&metrics)?;
        let health_metrics = HealthMetrics::new(&metrics)?;
        let registry = HealthRegistry::new(self.registry_config(&health_metrics)?);
        HealthMetrics::register_status(&metrics, registry.clone())?;
        let mut timing = RequestMetrics::builder(&metrics)
            .series_budget(self.http.series_budget)
            .exclude(self.http.excluded.clone());
        if let Some(b) = &self.http.buckets {
            timing = timing.buckets(b.clone());
        }
        if let Some(p) = &self.http.prefix {
            timing = timing.prefix(p.clone());
        }
        for (k, v) in &self.http.const_labels {
            timing = timing.const_label(k.clone(), v.clone());
        }
        let timing = timing.build()?;
        registry.add(Arc::new(crate::ping::ping()))?;
        let container = Arc::new(KernelContainer::assemble(
            registry.clone(),
            metrics,
            self.modules.clone(),
        ));
        shaku::HasComponent::<dyn ModuleSet>::resolve_ref(&*container).register_all()?;
        for checker in &self.checkers {
            registry.add(checker.clone())?;
        }
        let access = AccessPolicy::new(self.token.clone(), self.details);
        Kernel::new(container, access, timing, self)
    }
}
