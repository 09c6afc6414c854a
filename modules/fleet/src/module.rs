//! [`FleetModule`]: the fleet view plugged into a kernel — its metrics and pages at
//! registration, its poll loop at start, the lease given up at stop.
use crate::config::FleetConfig;
use crate::metrics::{FleetMetrics, Latest};
use crate::pages::FleetPages;
use crate::runner::FleetRunner;
use crate::store::{FleetStore, StoreError};
use std::sync::{Arc, Mutex, OnceLock};
use vitals::pages::ProvidedPages;
use vitals::{Error, Module, ModuleContext};

/// The fleet view of a collector: polls the configured targets (one collector at a time, by
/// lease), keeps what it finds in the database, serves the fleet pages under the status path
/// and the `vitals_fleet_*` metrics.
pub struct FleetModule {
    config: FleetConfig,
    store: Arc<FleetStore>,
    runner: OnceLock<Arc<FleetRunner>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl FleetModule {
    /// The module over `config`'s database. No I/O: the database is reached by the poll loop,
    /// which creates the tables (and retries each cycle), so a database that is down never
    /// stops the collector from starting.
    ///
    /// # Errors
    /// [`StoreError::Db`] for a database URL no driver takes.
    pub async fn connect(config: FleetConfig) -> Result<Self, StoreError> {
        let store =
            Arc::new(FleetStore::connect(&config.database_url, config.store_timeout).await?);
        Ok(Self {
            config,
            store,
            runner: OnceLock::new(),
            task: Mutex::new(None),
        })
    }

    /// The store the module reads and writes.
    pub fn store(&self) -> &Arc<FleetStore> {
        &self.store
    }
}

#[vitals::async_trait]
impl Module for FleetModule {
    fn name(&self) -> &str {
        "fleet"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        let latest = Arc::new(Latest::new(
            self.config.targets.iter().map(|t| t.name.clone()).collect(),
            self.config.interval,
        ));
        let metrics = FleetMetrics::register(ctx.metrics(), latest.clone())?;
        let pages = FleetPages::new(
            self.config.targets.clone(),
            self.store.clone(),
            self.config.interval,
        )
        .counting_errors(metrics.store_errors.clone());
        ctx.provide(ProvidedPages(Arc::new(pages)))?;
        let runner =
            FleetRunner::new(self.config.clone(), self.store.clone()).with_metrics(metrics, latest);
        let _ = self.runner.set(Arc::new(runner));
        Ok(())
    }

    async fn start(&self, ctx: &ModuleContext) -> Result<(), Error> {
        let Some(runner) = self.runner.get().cloned() else {
            return Ok(());
        };
        if let Some(notifier) = ctx.service::<vitals_notify::Notifier>() {
            runner.notify((*notifier).clone());
        }
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_none() {
            tracing::info!(
                targets = self.config.targets.len(),
                interval = ?self.config.interval,
                "fleet view: polling while this collector holds the lease"
            );
            *task = Some(tokio::spawn(runner.run()));
        }
        Ok(())
    }

    async fn stop(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        if let Some(r) = self.runner.get() {
            // What the aborted cycle may have notified, kept for the next holder.
            r.save_notified().await;
            r.release().await;
        }
    }
}
