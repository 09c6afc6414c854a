//! The module: provides the [`Signals`] publishing handle to the container and flushes it on an
//! interval; on aggregating processes registers the readiness check, the `/metrics` export and
//! the export scheduler (Pushgateway, CloudWatch).
use crate::aggregate::{Aggregator, Snapshot};
use crate::check::{redis_check, sources_check};
use crate::cloudwatch::CloudWatch;
use crate::collector::SignalsCollector;
use crate::config::{SignalsConfig, Source as SourceConfig};
use crate::connection::Redis;
use crate::export::Exports;
use crate::keys::Keys;
use crate::proxy::Proxy;
use crate::publisher::Publisher;
use crate::pushgateway::Pushgateway;
use crate::source::Source;
use std::sync::{Arc, OnceLock};
use vitals::settings::SettingError;
use vitals::signals::Signals;
use vitals::{Error, Module, ModuleContext};

/// The signals module.
pub struct SignalsModule {
    config: SignalsConfig,
    redis: Option<Arc<Redis>>,
    source: Arc<Source>,
    exports: Arc<Exports>,
    publisher: OnceLock<Publisher>,
}

impl SignalsModule {
    /// A module for `config`. Nothing connects until the first flush, scrape or export.
    ///
    /// # Errors
    /// A Redis URL the client cannot parse, naming the variable (credentials withheld).
    pub fn new(config: SignalsConfig) -> Result<Self, SettingError> {
        let keys = Keys::new(&config.tenant, &config.project);
        let (redis, source) = match &config.source {
            SourceConfig::Redis(url) => {
                let redis = Arc::new(Redis::new(url, config.timeout).map_err(|e| {
                    let shown = url.split('@').next_back().unwrap_or_default();
                    SettingError::new("VITALS_SIGNALS_REDIS_URL", shown, e)
                })?);
                let aggregator = Aggregator::new(redis.clone(), keys, config.max_age);
                (Some(redis), Source::Redis(aggregator))
            }
            SourceConfig::Proxy(p) => {
                (None, Source::Proxy(Arc::new(Proxy::new(p, config.timeout))))
            }
        };
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
        let exports = Exports::new(pushgateway, cloudwatch, config.mapping.clone());
        Ok(Self {
            config,
            redis,
            source: Arc::new(source),
            exports: Arc::new(exports),
            publisher: OnceLock::new(),
        })
    }

    /// The aggregate now, from Redis or the proxied services (what every export sends).
    ///
    /// # Errors
    /// Redis unreachable, or the services that could not be read, each named with why.
    pub async fn read(&self) -> Result<Snapshot, String> {
        self.source.read().await
    }

    /// Aggregates now and sends the result to every configured export: the scheduler's step,
    /// and the whole of run-once mode.
    ///
    /// # Errors
    /// No export configured, the aggregate unreadable, or an export refused or unreachable.
    pub async fn export_once(&self) -> Result<(), String> {
        if self.exports.is_empty() {
            return Err(
                "no export configured: set VITALS_SIGNALS_PUSHGATEWAY_URL or VITALS_SIGNALS_CLOUDWATCH_NAMESPACE"
                    .into(),
            );
        }
        export(&self.source, &self.exports).await
    }

    /// The publisher (Redis mode, once registered): services use [`Signals`] instead.
    pub fn publisher(&self) -> Option<Publisher> {
        self.publisher.get().cloned()
    }
}

async fn export(source: &Source, exports: &Exports) -> Result<(), String> {
    match source.read().await {
        Ok(snap) => exports.export(&snap).await,
        Err(e) => Err(exports.failed_everywhere(&e)),
    }
}

#[async_trait::async_trait]
impl Module for SignalsModule {
    fn name(&self) -> &str {
        "signals"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        match &self.redis {
            Some(redis) => {
                let publisher = Publisher::new(&self.config, redis.clone(), ctx.metrics())?;
                let _ = self.publisher.set(publisher.clone());
                ctx.provide(Signals::new(publisher))?;
            }
            None => ctx.provide(Signals::disabled())?,
        }
        self.exports.register(ctx.metrics())?;
        if self.config.aggregate {
            match &self.redis {
                Some(redis) => ctx.add_checker(redis_check(redis.clone()))?,
                None => ctx.add_checker(sources_check(self.source.clone()))?,
            }
            ctx.metrics().add_collector(SignalsCollector {
                source: self.source.clone(),
                ttl: self.config.scrape_ttl,
                timeout: self.config.timeout * 4,
            })?;
        }
        Ok(())
    }

    async fn start(&self, _ctx: &ModuleContext) -> Result<(), Error> {
        if self.config.aggregate && !self.exports.is_empty() {
            self.schedule_exports();
        }
        let Some(publisher) = self.publisher() else {
            return Ok(());
        };
        let every = self.config.flush_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Each flush is a task of its own: a panic ends that flush, not the loop.
                let p = publisher.clone();
                match tokio::spawn(async move { p.flush().await }).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "signals flush failed"),
                    Err(e) => tracing::error!(error = %e, "signals flush panicked"),
                }
            }
        });
        Ok(())
    }

    /// Withdraws the pushed group, so a stopped aggregator leaves no stale signals behind.
    async fn stop(&self) {
        self.exports.withdraw().await;
    }
}

impl SignalsModule {
    /// Exports every interval (at once first when asked); each export is a task of its own
    /// under the Redis, HTTP and AWS deadlines, and a failure is counted and logged.
    fn schedule_exports(&self) {
        let (source, exports) = (self.source.clone(), self.exports.clone());
        let (every, at_start) = (self.config.export_interval, self.config.export_at_start);
        tokio::spawn(async move {
            let first = if at_start {
                tokio::time::Instant::now()
            } else {
                tokio::time::Instant::now() + every
            };
            let mut tick = tokio::time::interval_at(first, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (s, e) = (source.clone(), exports.clone());
                let outcome = match tokio::spawn(async move { export(&s, &e).await }).await {
                    Ok(r) => r,
                    Err(p) => Err(exports.failed_everywhere(&format!("export panicked: {p}"))),
                };
                if let Err(e) = outcome {
                    tracing::warn!(error = %e, "signals export failed");
                }
            }
        });
    }
}
