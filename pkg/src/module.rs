use crate::{Error, HealthChecker, HealthRegistrar, Metrics, ServiceDirectory};
use std::any::{Any, TypeId};
use std::sync::Arc;

/// A plug-in that contributes health checkers and metrics to a kernel.
///
/// The kernel keeps its modules in its dependency container and calls [`Module::register`] once
/// while it is built; the context hands out the kernel's health registry and metrics registry.
///
/// ```
/// use vitals::{check_fn, CheckOutcome, Error, Module, ModuleContext};
///
/// struct Cache;
///
/// impl Module for Cache {
///     fn name(&self) -> &str { "cache" }
///     fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
///         ctx.add_checker(check_fn("cache", || async { CheckOutcome::healthy() }))?;
///         let hits = ctx.metrics().counter("cache_hits_total", "Cache hits.")?;
///         hits.inc();
///         Ok(())
///     }
/// }
/// # let names = std::sync::Arc::new(NoChecks);
/// # struct NoChecks;
/// # impl vitals::HealthRegistrar for NoChecks {
/// #     fn register(&self, _: std::sync::Arc<dyn vitals::HealthChecker>) -> Result<(), Error> { Ok(()) }
/// #     fn check_names(&self) -> Vec<String> { vec![] }
/// # }
/// let ctx = ModuleContext::new(names, vitals::Metrics::noop());
/// Cache.register(&ctx).unwrap();
/// ```
#[async_trait::async_trait]
pub trait Module: Send + Sync + 'static {
    /// The module's name, used in logs and errors.
    fn name(&self) -> &str;

    /// Registers the module's checkers and metrics (synchronously, while the kernel is built).
    ///
    /// # Errors
    /// Any registration error; the kernel refuses to build with it.
    fn register(&self, ctx: &ModuleContext) -> Result<(), Error>;

    /// Runs once when the kernel starts, after every module has registered: async set-up and
    /// checks against what other modules declared. Defaults to nothing.
    ///
    /// # Errors
    /// Any error; the kernel refuses to start with it.
    async fn start(&self, ctx: &ModuleContext) -> Result<(), Error> {
        let _ = ctx;
        Ok(())
    }

    /// Runs once at the end of a graceful shutdown, after in-flight requests have drained (e.g.
    /// withdrawing what the module pushed elsewhere). It must bound its own waits; failures are
    /// the module's to log. Defaults to nothing.
    async fn stop(&self) {}
}

/// What a [`Module`] registers into: the kernel's health registry and metrics.
#[derive(Clone)]
pub struct ModuleContext {
    health: Arc<dyn HealthRegistrar>,
    metrics: Metrics,
    services: Arc<ServiceDirectory>,
}

impl ModuleContext {
    /// A context over the given registrar and metrics, with services of its own (tests); the
    /// kernel builds its contexts with [`with_services`](Self::with_services).
    pub fn new(health: Arc<dyn HealthRegistrar>, metrics: Metrics) -> Self {
        Self {
            health,
            metrics,
            services: Arc::new(ServiceDirectory::default()),
        }
    }

    /// The same context over `services` (the kernel's container).
    pub fn with_services(mut self, services: Arc<ServiceDirectory>) -> Self {
        self.services = services;
        self
    }

    /// Registers a checker.
    ///
    /// # Errors
    /// See [`HealthRegistrar::register`].
    pub fn add_checker(&self, checker: impl HealthChecker) -> Result<(), Error> {
        self.health.register(Arc::new(checker))
    }

    /// The health registry itself, to keep for adding checks later.
    pub fn health(&self) -> &Arc<dyn HealthRegistrar> {
        &self.health
    }

    /// The kernel's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Provides a service to the other modules and to the app (one value per type): a
    /// connection, a client, or the instruments a module declared in `register`, which the app
    /// then gets with `Kernel::service`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # struct NoChecks;
    /// # impl vitals::HealthRegistrar for NoChecks {
    /// #     fn register(&self, _: Arc<dyn vitals::HealthChecker>) -> Result<(), vitals::Error> { Ok(()) }
    /// #     fn check_names(&self) -> Vec<String> { vec![] }
    /// # }
    /// let ctx = vitals::ModuleContext::new(Arc::new(NoChecks), vitals::Metrics::noop());
    /// struct JobsMetrics { done: vitals::metrics::Counter }
    /// let done = ctx.metrics().counter("jobs_done_total", "Jobs finished.").unwrap();
    /// ctx.provide(JobsMetrics { done }).unwrap();
    /// ctx.service::<JobsMetrics>().unwrap().done.inc();
    /// assert!(ctx.provide(JobsMetrics { done: ctx.metrics().counter("other_total", "O.").unwrap() }).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::DuplicateService`] when a service of that type is provided already.
    pub fn provide<S: Any + Send + Sync>(&self, service: S) -> Result<(), Error> {
        self.services
            .insert(std::any::type_name::<S>(), Arc::new(service))
    }

    /// A service another module provided (resolve it in [`Module::start`], when every module has
    /// registered, or in `register` from a module added after its provider).
    pub fn service<S: Any + Send + Sync>(&self) -> Option<Arc<S>> {
        self.services
            .lookup(TypeId::of::<S>())
            .and_then(|v| v.downcast::<S>().ok())
    }
}
