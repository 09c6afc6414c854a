use crate::{Config, Error, Kernel, KernelContainer, ModuleSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vitals::{HealthChecker, Module};
use vitals_health::{BackgroundConfig, CheckMetrics, Damping, HealthRegistry, RegistryConfig};
use vitals_http::{DetailPolicy, ForwardedHeader, IpNet, RequestMetrics};
use vitals_prometheus::{PrometheusRecorder, register_builtins, register_service_info};
use vitals_status::{CheckHistory, HistoryConfig};

/// Builds a [`Kernel`] over one [`Config`]: each setter changes one setting (its default is the
/// [`Config`]'s), [`build`](Self::build) validates them all once.
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
#[derive(Default)]
pub struct KernelBuilder {
    pub(crate) config: Config,
    modules: Vec<Arc<dyn Module>>,
    checkers: Vec<Arc<dyn HealthChecker>>,
}

impl KernelBuilder {
    /// Replaces every setting with `config` (e.g. [`Config::from_env`]); modules and checkers
    /// added so far stay.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Listen address (`VITALS_BIND`). Defaults to `127.0.0.1:8080`; port 0 picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }

    /// Listen address of the gRPC health service (`VITALS_GRPC_BIND`; feature `grpc`, else
    /// [`build`](Self::build) refuses it). Defaults to none: not served.
    pub fn grpc_bind(mut self, addr: SocketAddr) -> Self {
        self.config.grpc_bind = Some(addr);
        self
    }

    /// Timeout for checks that set none (`VITALS_CHECK_TIMEOUT`). Defaults to 1 s.
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        self.config.health.check_timeout = timeout;
        self
    }

    /// Background mode (`VITALS_BACKGROUND_INTERVAL`, `VITALS_MAX_STALENESS`): run checks every
    /// `interval`, probes read the latest reading; a reading older than `max_staleness`
    /// (defaults to 3 × interval) is unhealthy. Defaults to off.
    pub fn background(mut self, interval: Duration, max_staleness: Option<Duration>) -> Self {
        self.config.health.background_interval = Some(interval);
        self.config.health.max_staleness = max_staleness;
        self
    }

    /// Readiness flap damping (`VITALS_READY_FAILURES`, `VITALS_READY_SUCCESSES`). Defaults to
    /// off.
    pub fn damping(mut self, failures: u32, successes: u32) -> Self {
        self.config.health.damping = Some((failures, successes));
        self
    }

    /// Who sees check reasons and details (`VITALS_DETAILS`). Defaults to
    /// [`DetailPolicy::Never`].
    pub fn details(mut self, policy: DetailPolicy) -> Self {
        self.config.access.details = policy;
        self
    }

    /// Bearer token that authorises a caller (`VITALS_TOKEN`). Defaults to none.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.access.token = Some(token.into());
        self
    }

    /// How long readiness fails before the listener closes on SIGTERM
    /// (`VITALS_SHUTDOWN_DELAY`). Defaults to 0.
    pub fn shutdown_delay(mut self, delay: Duration) -> Self {
        self.config.shutdown.delay = delay;
        self
    }

    /// How long in-flight requests may run after the listener closes (`VITALS_SHUTDOWN_GRACE`).
    /// Defaults to 30 s.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown.grace = grace;
        self
    }

    /// Whether SIGTERM/SIGINT trigger graceful shutdown. Defaults to `true`.
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.config.handle_signals = on;
        self
    }

    /// Number of actix worker threads. Defaults to the number of CPUs.
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = Some(n);
        self
    }

    /// Request-duration histogram buckets, in seconds (`VITALS_HTTP_BUCKETS`). Defaults to
    /// 1 ms … 10 s (13 buckets).
    pub fn request_buckets(mut self, buckets: Vec<f64>) -> Self {
        self.config.requests.buckets = buckets;
        self
    }

    /// Prefix for the request families (`VITALS_METRICS_PREFIX`). Defaults to none.
    pub fn metrics_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.requests.prefix = Some(prefix.into());
        self
    }

    /// A constant label on the request families. Defaults to none.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config
            .requests
            .const_labels
            .insert(name.into(), value.into());
        self
    }

    /// Route templates left out of request metrics, besides the probes and `/metrics`.
    pub fn exclude_routes(mut self, routes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.config
            .requests
            .excluded
            .extend(routes.into_iter().map(Into::into));
        self
    }

    /// Most label sets per family before the overflow series (`VITALS_SERIES_BUDGET`).
    /// Defaults to 2,000.
    pub fn series_budget(mut self, budget: usize) -> Self {
        self.config.series_budget = budget;
        self
    }

    /// Most concurrent `/metrics` scrapes; more get 503 (`VITALS_MAX_SCRAPES`). Defaults to 10.
    pub fn max_concurrent_scrapes(mut self, n: usize) -> Self {
        self.config.scrapes.max_concurrent = n;
        self
    }

    /// Scrape deadline when the scraper sends no `X-Prometheus-Scrape-Timeout-Seconds`.
    /// Defaults to 10 s.
    pub fn scrape_deadline(mut self, deadline: Duration) -> Self {
        self.config.scrapes.default_deadline = deadline;
        self
    }

    /// Proxies whose `header` names the client (`VITALS_TRUSTED_PROXIES`,
    /// `VITALS_FORWARDED_HEADER`): behind one of them, the caller is the right-most address of
    /// `header` that is not itself a trusted proxy; the other forwarded header is ignored.
    /// Defaults to no proxy (the peer is the caller) and `X-Forwarded-For`.
    pub fn trusted_proxies(mut self, proxies: Vec<IpNet>, header: ForwardedHeader) -> Self {
        self.config.access.trusted_proxies = proxies;
        self.config.access.forwarded_header = header;
        self
    }

    /// The service's own name and version, exported as `service_info{service,version} 1`
    /// (`VITALS_SERVICE_NAME`, `VITALS_SERVICE_VERSION`). Defaults to none.
    pub fn service(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.config.service = Some((name.into(), version.into()));
        self
    }

    /// The status page and check history (`VITALS_STATUS_PATH`, `VITALS_STATUS_HISTORY`,
    /// `VITALS_STATUS_REFRESH`). Defaults to `/status`, 120 readings per check, 10 s reloads.
    pub fn status(mut self, settings: crate::StatusSettings) -> Self {
        self.config.status = settings;
        self
    }

    /// Webhooks told of status changes of every check and group (`VITALS_NOTIFY_*`, feature
    /// `notify`). Reasons are sent only when details are always shown (`VITALS_DETAILS=always`),
    /// and the service's name (`VITALS_SERVICE_NAME`) is named in messages. Defaults to none.
    #[cfg(feature = "notify")]
    pub fn notify(mut self, config: vitals_notify::NotifyConfig) -> Self {
        self.config.notify = Some(config);
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

    fn registry_config(
        &self,
        check_metrics: &CheckMetrics,
        history: Option<&CheckHistory>,
        extra: Option<Arc<dyn vitals_health::RunObserver>>,
    ) -> RegistryConfig {
        let h = &self.config.health;
        RegistryConfig {
            default_timeout: h.check_timeout,
            background: h.background_interval.map(|interval| BackgroundConfig {
                interval,
                max_staleness: h.max_staleness.unwrap_or(interval.saturating_mul(3)),
            }),
            damping: h.damping.map(|(failures, successes)| Damping {
                failures,
                successes,
            }),
            observers: std::iter::once(check_metrics.observer())
                .chain(history.map(CheckHistory::observer))
                .chain(extra)
                .collect(),
            ..RegistryConfig::default()
        }
    }

    /// The notifier of `VITALS_NOTIFY_*`, reasons included only when details are always shown.
    #[cfg(feature = "notify")]
    fn notifier(
        &self,
        metrics: &PrometheusRecorder,
    ) -> Result<Option<(vitals_notify::Notifier, Arc<crate::notify::NotifyObserver>)>, Error> {
        let Some(config) = &self.config.notify else {
            return Ok(None);
        };
        let config = vitals_notify::NotifyConfig {
            details: self.config.access.details == DetailPolicy::Always,
            service: self.config.service.as_ref().map(|(name, _)| name.clone()),
            ..config.clone()
        };
        let notifier = vitals_notify::Notifier::new(config, &metrics.metrics())?;
        let observer = crate::notify::NotifyObserver::new(notifier.clone());
        Ok(Some((notifier, observer)))
    }

    /// Validates the settings ([`Config::validate`]), registers the built-in `ping` check, every
    /// module and checker.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable setting, [`Error::Registration`] for a refused
    /// module, checker or metric.
    pub fn build(self) -> Result<Kernel, Error> {
        self.config.validate()?;
        let metrics = PrometheusRecorder::with_series_budget(self.config.series_budget);
        register_builtins(&metrics)?;
        if let Some((name, version)) = &self.config.service {
            register_service_info(&metrics, name, version)?;
        }
        let check_metrics = CheckMetrics::new(&metrics.metrics())?;
        let history = self.config.status.path.as_ref().map(|_| {
            CheckHistory::new(HistoryConfig {
                readings: self.config.status.history,
                ..HistoryConfig::default()
            })
        });
        #[cfg(feature = "notify")]
        let notify = self.notifier(&metrics)?;
        #[cfg(feature = "notify")]
        let notify_observer = notify.as_ref().map(|(_, o)| o.clone() as _);
        #[cfg(not(feature = "notify"))]
        let notify_observer = None;
        let registry = HealthRegistry::new(self.registry_config(
            &check_metrics,
            history.as_ref(),
            notify_observer,
        ));
        #[allow(unused_mut)]
        let mut modules = self.modules.clone();
        #[cfg(feature = "notify")]
        if let Some((notifier, observer)) = notify {
            observer.watch(registry.clone());
            modules.insert(0, Arc::new(crate::notify::NotifyModule(notifier)));
        }
        check_metrics.watch(registry.clone())?;
        // Without request metrics the middleware records into a registry nobody serves.
        let timing_registry = match self.config.request_metrics {
            true => metrics.clone(),
            false => PrometheusRecorder::new(),
        };
        let timing = RequestMetrics::new(&timing_registry, &self.config.requests)?;
        if self.config.ping {
            registry.add(Arc::new(crate::ping::ping()))?;
        }
        let container = Arc::new(KernelContainer::assemble(
            registry.clone(),
            metrics,
            modules,
        ));
        shaku::HasComponent::<dyn ModuleSet>::resolve_ref(&*container).register_all()?;
        for checker in &self.checkers {
            registry.add(checker.clone())?;
        }
        let access = self.config.access.policy();
        Kernel::new(container, access, timing, history, self.config)
    }
}
