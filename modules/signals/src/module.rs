//! The module: provides the [`Publisher`] to the container, flushes it on an interval, and on
//! aggregating processes registers the Redis readiness check and the `/metrics` export.
use crate::aggregate::Aggregator;
use crate::check::redis_check;
use crate::collector::SignalsCollector;
use crate::config::SignalsConfig;
use crate::connection::Redis;
use crate::keys::Keys;
use crate::publisher::Publisher;
use std::sync::{Arc, OnceLock};
use vitals::settings::SettingError;
use vitals::{Error, Module, ModuleContext};

/// The signals module.
pub struct SignalsModule {
    config: SignalsConfig,
    redis: Arc<Redis>,
    publisher: OnceLock<Publisher>,
}

impl SignalsModule {
    /// A module for `config`. Nothing connects until the first flush or scrape.
    ///
    /// # Errors
    /// A Redis URL the client cannot parse, naming the variable (credentials withheld).
    pub fn new(config: SignalsConfig) -> Result<Self, SettingError> {
        let redis = Redis::new(&config.redis_url, config.timeout).map_err(|e| {
            let shown = config.redis_url.split('@').next_back().unwrap_or_default();
            SettingError::new("VITALS_SIGNALS_REDIS_URL", shown, e)
        })?;
        Ok(Self {
            config,
            redis: Arc::new(redis),
            publisher: OnceLock::new(),
        })
    }

    /// The aggregator of this module's tenant and project (for exports and tests).
    pub fn aggregator(&self) -> Aggregator {
        Aggregator::new(
            self.redis.clone(),
            Keys::new(&self.config.tenant, &self.config.project),
            self.config.max_age,
        )
    }

    /// The publisher, once registered.
    pub fn publisher(&self) -> Option<Publisher> {
        self.publisher.get().cloned()
    }
}

#[async_trait::async_trait]
impl Module for SignalsModule {
    fn name(&self) -> &str {
        "signals"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        let publisher = Publisher::new(&self.config, self.redis.clone(), ctx.metrics())?;
        let _ = self.publisher.set(publisher.clone());
        ctx.provide(publisher)?;
        if self.config.aggregate {
            ctx.add_checker(redis_check(self.redis.clone()))?;
            ctx.metrics().add_collector(SignalsCollector {
                aggregator: Arc::new(self.aggregator()),
                ttl: self.config.scrape_ttl,
                timeout: self.config.timeout * 4,
            })?;
        }
        Ok(())
    }

    async fn start(&self, _ctx: &ModuleContext) -> Result<(), Error> {
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
}
