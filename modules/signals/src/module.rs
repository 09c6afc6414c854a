//! The module: provides the [`Signals`] publishing handle to the container and flushes it on an
//! interval; on aggregating processes registers the aggregation's health (its own group), the
//! `/metrics` export and the export schedule (Pushgateway, CloudWatch). Off when nothing is
//! configured: the handle then goes nowhere.
use crate::cluster::{ClusterFigures, ClusterReader, Origin, Proxy, Source, aggregation_check};
use crate::config::{Backend, SignalsConfig};
use crate::connection::Redis;
use crate::export::{Claims, CloudWatch, Exports, Pushgateway, Schedule, SignalsFamilies};
use crate::keys::Keys;
use crate::publish::Publisher;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::task::JoinHandle;
use vitals::settings::SettingError;
use vitals::signals::Signals;
use vitals::{Error, Module, ModuleContext};

/// The signals module.
///
/// Embedded in an app, one line reads the same variables as the reference binaries
/// (`VITALS_SIGNALS_REDIS_URL`, …; off, said once in the log, when none is set):
///
/// ```text
/// let kernel = Kernel::from_env()?.module(SignalsModule::from_env()?).build()?;
/// let signals = kernel.service::<vitals::signals::Signals>().expect("always provided");
/// ```
pub struct SignalsModule {
    on: Option<On>,
}

struct On {
    config: SignalsConfig,
    redis: Option<Arc<Redis>>,
    source: Arc<Source>,
    exports: Arc<Exports>,
    schedule: Schedule,
    publisher: OnceLock<Publisher>,
    flushing: Mutex<Option<JoinHandle<()>>>,
}

impl SignalsModule {
    /// A module for `config`. Nothing connects until the first flush, scrape or export.
    ///
    /// # Errors
    /// A Redis URL the client cannot parse, naming the variable (credentials withheld).
    pub fn new(config: SignalsConfig) -> Result<Self, SettingError> {
        let keys = Keys::new(&config.tenant, &config.project);
        let deadline = config.timeout * 4;
        let (redis, origin) = match &config.backend {
            Backend::Redis(target) => {
                let redis = Arc::new(
                    Redis::new(target, config.timeout, config.reconnect_after).map_err(|e| {
                        let var = match target {
                            crate::connection::Target::Nodes(_) => "VITALS_SIGNALS_REDIS_URL",
                            crate::connection::Target::Cluster(_) => {
                                "VITALS_SIGNALS_REDIS_CLUSTER_URLS"
                            }
                        };
                        let shown: Vec<String> = target
                            .urls()
                            .iter()
                            .map(|u| crate::connection::shown(u))
                            .collect();
                        SettingError::new(var, &shown.join(","), e)
                    })?,
                );
                let aggregator = ClusterReader::new(redis.clone(), keys.clone(), config.max_age);
                (Some(redis), Origin::Redis(aggregator))
            }
            Backend::Proxy(p) => (None, Origin::Proxy(Arc::new(Proxy::new(p, config.timeout)))),
        };
        let source = Arc::new(Source::new(origin, deadline, config.scrape_ttl));
        let pushgateway = config.pushgateway_url.as_ref().map(|url| {
            Pushgateway::new(
                url,
                &config.push_job,
                &config.tenant,
                &config.project,
                config.timeout * 5,
            )
        });
        let cloudwatch = config
            .cloudwatch
            .clone()
            .map(|c| CloudWatch::new(c, config.timeout));
        let exports = Arc::new(Exports::new(
            pushgateway,
            cloudwatch,
            config.mapping.clone(),
        ));
        let claims = redis.clone().map(|redis| Claims {
            redis,
            keys,
            exporter: config.instance.clone(),
        });
        let schedule = Schedule::new(
            source.clone(),
            exports.clone(),
            config.export_interval,
            config.export_at_start,
            claims,
        );
        Ok(Self {
            on: Some(On {
                config,
                redis,
                source,
                exports,
                schedule,
                publisher: OnceLock::new(),
                flushing: Mutex::new(None),
            }),
        })
    }

    /// Off: the [`Signals`] handle it provides goes nowhere.
    pub fn disabled() -> Self {
        Self { on: None }
    }

    /// From the environment, as the reference binaries read it: on when
    /// `VITALS_SIGNALS_REDIS_URL`, `VITALS_SIGNALS_REDIS_CLUSTER_URLS` or
    /// `VITALS_SIGNALS_PROXY_URLS` is set, else off (said once in the log at registration).
    /// App replicas publish only unless `VITALS_SIGNALS_AGGREGATE=on`.
    ///
    /// # Errors
    /// A bad `VITALS_SIGNALS_*`, `VITALS_TENANT` or `VITALS_PROJECT` value, naming it.
    pub fn from_env() -> Result<Self, SettingError> {
        match SignalsConfig::from_env()? {
            Some(c) => Self::new(c),
            None => Ok(Self::disabled()),
        }
    }

    /// Whether anything is configured.
    pub fn is_enabled(&self) -> bool {
        self.on.is_some()
    }

    fn on(&self) -> Result<&On, String> {
        self.on
            .as_ref()
            .ok_or_else(|| "the signals module is off: set VITALS_SIGNALS_REDIS_URL".to_owned())
    }

    /// The cluster-wide figures now, from Redis or the proxied services (what every export sends).
    ///
    /// # Errors
    /// Redis unreachable (the call named), or the services that could not be read, each named
    /// with why; the module off.
    pub async fn read(&self) -> Result<ClusterFigures, String> {
        self.on()?.source.read_fresh().await
    }

    /// Registers the exports alone on `metrics` (their failure counter and last-success gauge,
    /// and the recorder whose `/metrics` encoder writes what is pushed): for run-once mode,
    /// which registers no module. [`Module::register`] does it for an exporter.
    ///
    /// # Errors
    /// The module off, or a metric refused.
    pub fn register_exports(&self, metrics: &vitals::Metrics) -> Result<(), String> {
        self.on()?
            .exports
            .register(metrics)
            .map_err(|e| e.to_string())
    }

    /// Aggregates now and sends the result to every configured export: run-once mode (after
    /// [`register_exports`](Self::register_exports), or once the module is registered; the
    /// export's failure counter and last-success gauge exist only in an exporter).
    ///
    /// # Errors
    /// No export configured, the figures unreadable, or an export refused or unreachable.
    pub async fn export_once(&self) -> Result<(), String> {
        let on = self.on()?;
        if on.exports.is_empty() {
            return Err(
                "no export configured: set VITALS_SIGNALS_PUSHGATEWAY_URL or VITALS_SIGNALS_CLOUDWATCH_NAMESPACE"
                    .into(),
            );
        }
        let deadline = tokio::time::Instant::now() + on.config.timeout * 10;
        on.exports.run(&on.source, deadline).await
    }

    /// The publisher (Redis mode, once registered): services use [`Signals`] instead.
    pub fn publisher(&self) -> Option<Publisher> {
        self.on.as_ref()?.publisher.get().cloned()
    }
}

#[async_trait::async_trait]
impl Module for SignalsModule {
    fn name(&self) -> &str {
        "signals"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        let Some(on) = &self.on else {
            tracing::info!(
                "signals module off: set VITALS_SIGNALS_REDIS_URL to publish; the Signals handle goes nowhere"
            );
            return ctx.provide(Signals::disabled());
        };
        match &on.redis {
            Some(redis) => {
                redis.instrument(ctx.metrics())?;
                let publisher = Publisher::new(&on.config, redis.clone(), ctx.metrics())?;
                let _ = on.publisher.set(publisher.clone());
                ctx.provide(Signals::new(publisher))?;
            }
            None => ctx.provide(Signals::disabled())?,
        }
        on.exports.keep_metrics(ctx.metrics());
        if on.config.exporter {
            on.exports.register(ctx.metrics())?;
            on.source.instrument(ctx.metrics())?;
            ctx.add_checker(aggregation_check(on.source.clone()))?;
            ctx.metrics().add_collector(SignalsFamilies::new(
                on.source.clone(),
                on.config.scrape_ttl,
                on.config.timeout * 4,
            ))?;
        }
        Ok(())
    }

    async fn start(&self, _ctx: &ModuleContext) -> Result<(), Error> {
        let Some(on) = &self.on else { return Ok(()) };
        if on.config.exporter && !on.exports.is_empty() {
            on.schedule.start();
        }
        let Some(publisher) = on.publisher.get().cloned() else {
            return Ok(());
        };
        let mut flushing = on.flushing.lock().unwrap_or_else(|e| e.into_inner());
        if flushing.is_some() {
            return Ok(());
        }
        let every = on.config.flush_interval;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Each flush is a task of its own: a panic ends that flush, not the loop.
                // Failures are logged by the publisher, once per change of state.
                let p = publisher.clone();
                if let Err(e) = tokio::spawn(async move { p.flush().await }).await {
                    tracing::error!(error = %e, "signals flush panicked");
                }
            }
        });
        *flushing = Some(task);
        Ok(())
    }

    /// Ends the flush loop, flushes what is left and takes this process's gauges out of the
    /// sums; ends the export schedule (the last exporter deletes the Pushgateway group).
    async fn stop(&self) {
        let Some(on) = &self.on else { return };
        let task = on.flushing.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        if let Some(p) = on.publisher.get() {
            match p.leave().await {
                Ok(()) => tracing::info!("signals: this process left the sums"),
                Err(e) => {
                    tracing::warn!(error = %e, "signals: leaving the sums failed; they drop this process after VITALS_SIGNALS_MAX_AGE")
                }
            }
        }
        on.schedule.stop().await;
    }
}
