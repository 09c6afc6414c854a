//! A built kernel ([`Kernel`]) and serving it: on its own listener ([`Kernel::start`] →
//! [`Running`], or [`Kernel::run`] to the end) or inside an app ([`Kernel::embed`]).
use crate::shutdown::{Closer, OpenConnections, ShutdownTrigger, actix_grace};
use crate::{
    Config, DirectoryService, Embedded, Error, HealthService, KernelBuilder, KernelContainer,
    MetricsService, ModuleSet,
};
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use shaku::HasComponent;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vitals::Metrics;
use vitals::pages::ProvidedPages;
use vitals_health::HealthRegistry;
use vitals_http::configure_endpoints;
use vitals_http::{AccessPolicy, HealthState, MetricsState, RequestMetrics, StatusState};
use vitals_prometheus::{Exposition, start_samplers};
use vitals_status::{CheckHistory, ServiceInfo};

/// A built kernel: container, endpoints and serving settings.
pub struct Kernel {
    container: Arc<KernelContainer>,
    access: AccessPolicy,
    timing: RequestMetrics,
    metrics_state: MetricsState,
    history: Option<CheckHistory>,
    config: Config,
    started: std::sync::atomic::AtomicBool,
}

impl Kernel {
    /// Starts a [`KernelBuilder`] with defaults.
    pub fn builder() -> KernelBuilder {
        KernelBuilder::default()
    }

    pub(crate) fn new(
        container: Arc<KernelContainer>,
        access: AccessPolicy,
        timing: RequestMetrics,
        history: Option<CheckHistory>,
        config: Config,
    ) -> Result<Self, Error> {
        let recorder = HasComponent::<dyn MetricsService>::resolve_ref(&*container)
            .recorder()
            .clone();
        let metrics_state = MetricsState::new(
            Arc::new(Exposition::new(recorder)),
            &config.scrapes,
            access.clone(),
        )?;
        Ok(Self {
            container,
            access,
            timing,
            metrics_state,
            history,
            config,
            started: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The dependency container.
    pub fn container(&self) -> &Arc<KernelContainer> {
        &self.container
    }

    /// The health registry (to add checks at run time).
    pub fn health(&self) -> HealthRegistry {
        HasComponent::<dyn HealthService>::resolve_ref(&*self.container)
            .registry()
            .clone()
    }

    /// The kernel's metrics (what modules register through).
    pub fn metrics(&self) -> Metrics {
        HasComponent::<dyn MetricsService>::resolve_ref(&*self.container)
            .metrics()
            .clone()
    }

    /// The recorder behind [`metrics`](Self::metrics): its registry, samplers and collectors.
    pub fn recorder(&self) -> vitals_prometheus::PrometheusRecorder {
        HasComponent::<dyn MetricsService>::resolve_ref(&*self.container)
            .recorder()
            .clone()
    }

    /// A service a module provided (`ModuleContext::provide`): a connection, a client, or the
    /// instruments a module declared.
    pub fn service<S: std::any::Any + Send + Sync>(&self) -> Option<Arc<S>> {
        HasComponent::<dyn DirectoryService>::resolve_ref(&*self.container)
            .directory()
            .get::<S>()
    }

    /// A builder over the settings of the environment ([`Config::from_env`]), with logging
    /// started ([`init_logging`](crate::init_logging)): the first step of embedding.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that cannot be used.
    pub fn from_env() -> Result<KernelBuilder, Error> {
        let config = Config::from_env()?;
        crate::init_logging(config.log_format)?;
        Ok(KernelBuilder::default().config(config))
    }

    /// Embeds the kernel in an application's own actix-web server: starts the background work
    /// (module start hooks, background checks, samplers) and returns what the app mounts and
    /// serves with. See [`Embedded`].
    ///
    /// # Errors
    /// [`Error::Registration`] when a module's `start` fails.
    pub async fn embed(self) -> Result<Embedded, Error> {
        // The only kernel setting an embedded kernel has no use for: the app binds its server.
        if std::env::var_os("VITALS_BIND").is_some() {
            tracing::info!(
                "VITALS_BIND is set but not used: an embedded kernel serves on the app's own listener"
            );
        }
        let samplers = self.start_background().await?;
        let routes = self.routes();
        #[cfg(feature = "grpc")]
        let grpc = crate::grpc::GrpcParts::new(self.health(), self.metrics());
        #[cfg(feature = "grpc")]
        let closers: Vec<Closer> = vec![{
            let health = grpc.health.clone();
            Arc::new(move || health.close())
        }];
        #[cfg(not(feature = "grpc"))]
        let closers: Vec<Closer> = Vec::new();
        Ok(Embedded {
            #[cfg(feature = "grpc")]
            grpc,
            closers,
            routes: Arc::new(routes),
            health: web::Data::new(self.health_state()),
            scrapes: web::Data::new(self.metrics_state.clone()),
            timing: self.request_metrics(),
            registry: self.health(),
            samplers: Arc::new(samplers),
            shutdown: self.config.shutdown,
            handle_signals: self.config.handle_signals,
            services: HasComponent::<dyn DirectoryService>::resolve_ref(&*self.container)
                .directory()
                .clone(),
            modules: Arc::new(
                HasComponent::<dyn ModuleSet>::resolve_ref(&*self.container)
                    .modules()
                    .to_vec(),
            ),
        })
    }

    /// The kernel's endpoints (probes and `/metrics`), to mount in an application's own `App`
    /// with `.configure(..)`.
    fn health_state(&self) -> HealthState {
        HealthState {
            registry: self.health(),
            access: self.access.clone(),
            status: self.status_state(),
        }
    }

    /// The status page over the history, with a module's pages when one provides them.
    fn status_state(&self) -> Option<StatusState> {
        let (path, history) = (self.config.status.path.as_ref()?, self.history.clone()?);
        let mut state = StatusState::new(path, history);
        state.refresh_seconds = self.config.status.refresh.as_secs() as u32;
        state.service = self
            .config
            .service
            .as_ref()
            .map(|(name, version)| ServiceInfo {
                name: name.clone(),
                version: version.clone(),
            });
        state.pages = self.service::<ProvidedPages>().map(|p| p.0.clone());
        Some(state)
    }

    pub(crate) fn routes(
        &self,
    ) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + Sync + 'static {
        let state = self.health_state();
        let metrics = self.metrics_state.clone();
        move |cfg: &mut web::ServiceConfig| {
            configure_endpoints(cfg, state.clone(), metrics.clone());
        }
    }

    /// The request-timing middleware feeding this kernel's `/metrics`, for `App::wrap`.
    pub(crate) fn request_metrics(&self) -> RequestMetrics {
        self.timing.clone()
    }

    /// Starts what runs beside the endpoints: each module's `start` hook (in order), health
    /// checks in background mode, and sampled gauges. [`start`](Self::start) and
    /// [`embed`](Self::embed) do it (the endpoints are only reachable through them, so it cannot
    /// be forgotten); call it yourself only to run background work without serving. Abort the
    /// returned handles to stop the samplers.
    ///
    /// # Errors
    /// [`Error::Registration`] when a module's `start` fails; [`Error::AlreadyStarted`] on a
    /// second call (module hooks and samplers run once per kernel).
    pub async fn start_background(&self) -> Result<Vec<tokio::task::JoinHandle<()>>, Error> {
        if self.started.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::AlreadyStarted);
        }
        let set = HasComponent::<dyn ModuleSet>::resolve_ref(&*self.container);
        let ctx = set.context();
        for module in set.modules() {
            module
                .start(&ctx)
                .await
                .map_err(|e| vitals::Error::Module {
                    module: module.name().to_owned(),
                    reason: e.to_string(),
                })?;
        }
        self.health().start_background();
        Ok(start_samplers(&self.recorder()))
    }

    /// Serves the kernel's endpoints until SIGTERM/SIGINT, then drains and returns.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address is taken, [`Error::Serve`] on a server failure.
    pub async fn run(self) -> Result<(), Error> {
        self.start().await?.wait().await
    }

    /// Binds and serves the kernel's endpoints in the background.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address is taken.
    pub async fn start(self) -> Result<Running, Error> {
        self.start_with(|_: &mut web::ServiceConfig| {}).await
    }

    /// Like [`start`](Self::start), with the application's own routes mounted beside the kernel's.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address is taken.
    pub async fn start_with<F>(self, app_routes: F) -> Result<Running, Error>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let config = self.config.clone();
        let embedded = self.embed().await?;
        let e = embedded.clone();
        let connections = OpenConnections::default();
        let mut server = HttpServer::new(move || e.mount(App::new()).configure(app_routes.clone()))
            .disable_signals()
            .on_connect(connections.hook())
            .shutdown_timeout(actix_grace(config.shutdown.grace).as_secs());
        if let Some(n) = config.workers {
            server = server.workers(n);
        }
        let bind = config.bind;
        let server = server
            .bind(bind)
            .map_err(|source| Error::Bind { addr: bind, source })?;
        let addrs = server.addrs();
        let grpc = match config.grpc_bind {
            Some(addr) => Some(crate::grpc::start(addr, &embedded)?),
            None => None,
        };
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        tracing::info!(addr = ?addrs, grpc = ?grpc.as_ref().map(|g| g.addr), "serving");
        let running = Running {
            addr: addrs[0],
            handle,
            task,
            registry: embedded.registry.clone(),
            samplers: embedded.samplers.clone(),
            shutdown_delay: config.shutdown.delay,
            shutdown_grace: config.shutdown.grace,
            modules: embedded.modules.clone(),
            closers: embedded.closers.clone(),
            grpc,
            connections,
        };
        if config.handle_signals {
            let on_signal = running.shutdown_trigger();
            tokio::spawn(async move {
                crate::shutdown::signal().await;
                on_signal.fire().await;
            });
        }
        Ok(running)
    }
}

/// A serving kernel.
pub struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    registry: HealthRegistry,
    samplers: Arc<Vec<tokio::task::JoinHandle<()>>>,
    shutdown_delay: Duration,
    shutdown_grace: Duration,
    modules: Arc<Vec<Arc<dyn vitals::Module>>>,
    closers: Vec<Closer>,
    grpc: Option<crate::grpc::GrpcServing>,
    connections: OpenConnections,
}

/// Each module's `stop` hook, in order, once the server has stopped.
pub(crate) async fn stop_modules(modules: &[Arc<dyn vitals::Module>]) {
    for module in modules {
        module.stop().await;
    }
}

impl Running {
    /// The bound address (the real port when bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The gRPC health service's bound address, when `VITALS_GRPC_BIND` is set.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().map(|g| g.addr)
    }

    fn shutdown_trigger(&self) -> ShutdownTrigger {
        let mut closers = self.closers.clone();
        closers.extend(self.grpc.as_ref().map(|g| g.stop.clone()));
        ShutdownTrigger {
            handle: Some(self.handle.clone()),
            registry: self.registry.clone(),
            samplers: self.samplers.clone(),
            delay: self.shutdown_delay,
            grace: self.shutdown_grace,
            closers,
            connections: Some(self.connections.clone()),
        }
    }

    /// Graceful shutdown, as on SIGTERM: readiness fails at once, then after the shutdown delay
    /// the listener closes and in-flight requests drain within the grace period.
    pub async fn shutdown(self) -> Result<(), Error> {
        self.shutdown_trigger().fire().await;
        self.wait().await
    }

    /// Waits until the server stops, then runs the modules' `stop` hooks.
    ///
    /// # Errors
    /// [`Error::Serve`] when the server failed.
    pub async fn wait(self) -> Result<(), Error> {
        let mut result = match self.task.await {
            Ok(result) => result.map_err(Error::Serve),
            Err(join) => Err(Error::Serve(std::io::Error::other(join))),
        };
        if let Some(grpc) = self.grpc {
            let stopped = grpc.wait(self.shutdown_grace).await;
            result = result.and(stopped);
        }
        stop_modules(&self.modules).await;
        result
    }
}
