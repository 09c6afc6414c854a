use shaku::{Component, Interface};
use std::sync::Arc;
use vitals::{Metrics, Module, ModuleContext, ServiceDirectory};
use vitals_health::HealthRegistry;
use vitals_prometheus::PrometheusRecorder;

/// The kernel's health registry, as a container service.
pub trait HealthService: Interface {
    /// The registry.
    fn registry(&self) -> &HealthRegistry;
}

/// The kernel's metrics, as a container service: the facade modules register through, and the
/// recorder behind it.
pub trait MetricsService: Interface {
    /// The facade.
    fn metrics(&self) -> &Metrics;
    /// The recorder (registry, samplers, collectors).
    fn recorder(&self) -> &PrometheusRecorder;
}

/// The services modules provide to each other and to the app (a database connection, a
/// client, a module's instruments), as a container service: modules reach it through
/// `ModuleContext::provide` / `ModuleContext::service`, the app through `Kernel::service`.
pub trait DirectoryService: Interface {
    /// The directory.
    fn directory(&self) -> &Arc<ServiceDirectory>;
}

#[derive(Component)]
#[shaku(interface = DirectoryService)]
pub(crate) struct DirectoryServiceImpl {
    #[shaku(default)]
    services: Arc<ServiceDirectory>,
}

impl DirectoryService for DirectoryServiceImpl {
    fn directory(&self) -> &Arc<ServiceDirectory> {
        &self.services
    }
}

/// The modules plugged into the kernel; registers them against the other services.
pub trait ModuleSet: Interface {
    /// The modules, in the order they were added.
    fn modules(&self) -> &[Arc<dyn Module>];

    /// The context modules register into.
    fn context(&self) -> ModuleContext;

    /// Calls each module's `register` with a context over the kernel's registries.
    ///
    /// # Errors
    /// The first module error, wrapped with the module's name.
    fn register_all(&self) -> Result<(), vitals::Error>;
}

#[derive(Component)]
#[shaku(interface = HealthService)]
pub(crate) struct HealthServiceImpl {
    registry: HealthRegistry,
}

impl HealthService for HealthServiceImpl {
    fn registry(&self) -> &HealthRegistry {
        &self.registry
    }
}

#[derive(Component)]
#[shaku(interface = MetricsService)]
pub(crate) struct MetricsServiceImpl {
    recorder: PrometheusRecorder,
    metrics: Metrics,
}

impl MetricsService for MetricsServiceImpl {
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn recorder(&self) -> &PrometheusRecorder {
        &self.recorder
    }
}

#[derive(Component)]
#[shaku(interface = ModuleSet)]
pub(crate) struct ModuleSetImpl {
    #[shaku(inject)]
    health: Arc<dyn HealthService>,
    #[shaku(inject)]
    metrics: Arc<dyn MetricsService>,
    #[shaku(inject)]
    services: Arc<dyn DirectoryService>,
    modules: Vec<Arc<dyn Module>>,
}

impl ModuleSet for ModuleSetImpl {
    fn modules(&self) -> &[Arc<dyn Module>] {
        &self.modules
    }

    fn context(&self) -> ModuleContext {
        ModuleContext::new(
            Arc::new(self.health.registry().clone()),
            self.metrics.metrics().clone(),
        )
        .with_services(self.services.directory().clone())
    }

    fn register_all(&self) -> Result<(), vitals::Error> {
        let ctx = self.context();
        for module in &self.modules {
            module.register(&ctx).map_err(|e| vitals::Error::Module {
                module: module.name().to_owned(),
                reason: e.to_string(),
            })?;
            tracing::debug!(module = module.name(), "module registered");
        }
        // The signals handle is always there: one that goes nowhere when no module publishes.
        if ctx.service::<vitals::signals::Signals>().is_none() {
            ctx.provide(vitals::signals::Signals::disabled())?;
        }
        Ok(())
    }
}

// The kernel's dependency container: health registry, metrics, the services modules provide,
// and the modules. The macro's items carry no docs of their own.
mod assembled {
    #![allow(missing_docs)]
    use super::{DirectoryServiceImpl, HealthServiceImpl, MetricsServiceImpl, ModuleSetImpl};
    use shaku::module;

    module! {
        pub KernelContainer {
            components = [HealthServiceImpl, MetricsServiceImpl, DirectoryServiceImpl, ModuleSetImpl],
            providers = []
        }
    }
}
pub use assembled::KernelContainer;

impl KernelContainer {
    /// A container over the given registries and modules.
    pub(crate) fn assemble(
        registry: HealthRegistry,
        recorder: PrometheusRecorder,
        modules: Vec<Arc<dyn Module>>,
    ) -> Self {
        Self::builder()
            .with_component_parameters::<HealthServiceImpl>(HealthServiceImplParameters {
                registry,
            })
            .with_component_parameters::<MetricsServiceImpl>(MetricsServiceImplParameters {
                metrics: recorder.metrics(),
                recorder,
            })
            .with_component_parameters::<ModuleSetImpl>(ModuleSetImplParameters { modules })
            .build()
    }
}
