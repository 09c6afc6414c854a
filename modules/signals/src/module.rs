//! The module: provides the [`Publisher`] to the container, flushes it on an interval, and on
//! aggregating processes registers the Redis readiness check and the `/metrics` export.
use crate::aggregate::Aggregator;
use crate::check::redis_check;
use crate::collector::{SignalsCollector, families};
use crate::config::SignalsConfig;
use crate::connection::Redis;
use crate::keys::Keys;
use crate::publisher::Publisher;
use crate::pushgateway::Pushgateway;
use std::sync::{Arc, OnceLock};
use vitals::metrics::Counter;
use vitals::settings::SettingError;
use vitals::{Error, Module, ModuleContext};

/// The signals module.
pub struct SignalsModule {
    config: SignalsConfig,
    redis: Arc<Redis>,
    publisher: OnceLock<Publisher>,
    pushgateway: Option<Arc<Pushgateway>>,
    export_failures: OnceLock<Counter>,
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
        let pushgateway = config.pushgateway_url.as_ref().map(|url| {
            Arc::new(Pushgateway::new(
                url,
                &config.push_job,
                &config.tenant,
                &config.project,
                config.timeout * 5,
            ))
        });
        Ok(Self {
            config,
            redis: Arc::new(redis),
            publisher: OnceLock::new(),
            pushgateway,
            export_failures: OnceLock::new(),
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

    /// Aggregates now and pushes the result to the Pushgateway (replacing the group): the
    /// scheduler's step, and the whole of run-once mode.
    ///
    /// # Errors
    /// No Pushgateway configured, Redis unreachable, or the push refused or unreachable.
    pub async fn export_once(&self) -> Result<(), String> {
        let push = self
            .pushgateway
            .clone()
            .ok_or("VITALS_SIGNALS_PUSHGATEWAY_URL is not set")?;
        let snap = self.aggregator().read().await?;
        let families = families(Some(&snap));
        tokio::task::spawn_blocking(move || push.push(&families))
            .await
            .map_err(|e| e.to_string())?
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
        if self.pushgateway.is_some() {
            let failures = ctx.metrics().counter(
                "vitals_signals_export_failures_total",
                "Signal exports (pushes) that failed.",
            )?;
            let _ = self.export_failures.set(failures);
        }
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
        if self.config.aggregate
            && let Some(push) = self.pushgateway.clone()
        {
            self.schedule_exports(push);
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
        if let Some(push) = self.pushgateway.clone() {
            match tokio::task::spawn_blocking(move || push.delete()).await {
                Ok(Ok(())) => tracing::info!("signals group deleted from the Pushgateway"),
                Ok(Err(e)) => tracing::warn!(error = %e, "signals group not deleted"),
                Err(e) => tracing::warn!(error = %e, "signals group delete panicked"),
            }
        }
    }
}

impl SignalsModule {
    /// Pushes every export interval (at once first when asked); each push is a task of its
    /// own with the Redis and HTTP deadlines, and a failure is counted and logged.
    fn schedule_exports(&self, push: Arc<Pushgateway>) {
        let aggregator = Arc::new(self.aggregator());
        let (every, at_start) = (self.config.export_interval, self.config.export_at_start);
        let failures = self.export_failures.get().cloned();
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
                let (a, p) = (aggregator.clone(), push.clone());
                let run = tokio::spawn(async move {
                    let snap = a.read().await?;
                    let families = families(Some(&snap));
                    tokio::task::spawn_blocking(move || p.push(&families))
                        .await
                        .map_err(|e| e.to_string())?
                });
                let outcome = match run.await {
                    Ok(r) => r,
                    Err(e) => Err(format!("export panicked: {e}")),
                };
                if let Err(e) = outcome {
                    tracing::warn!(error = %e, "signals export failed");
                    if let Some(f) = &failures {
                        f.inc();
                    }
                }
            }
        });
    }
}
