use crate::{Error, ShutdownSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use std::any::Any;
use std::sync::Arc;
use vitals_health::HealthRegistry;
use vitals_http::RequestMetrics;

type Routes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A kernel embedded in an application's own actix-web server, its background work running:
/// what [`Kernel::embed`](crate::Kernel::embed) returns. [`mount`](Self::mount) puts the probes,
/// `/metrics` and the request-timing middleware on an `App` in one call; [`serve`](Self::serve)
/// runs the app's `HttpServer` with the kernel's graceful shutdown (readiness 503 on SIGTERM,
/// the shutdown delay, then drain). Cheap to clone (one clone per worker).
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), vitals_kernel::Error> {
/// use actix_web::{App, HttpServer, web};
/// let vitals = vitals_kernel::Kernel::from_env()?.build()?.embed().await?;
/// let v = vitals.clone();
/// let server = HttpServer::new(move || {
///     v.mount(App::new()).route("/hello", web::get().to(|| async { "hi" }))
/// })
/// .bind(("127.0.0.1", 8081))
/// .map_err(vitals_kernel::Error::Serve)?;
/// vitals.serve(server).await
/// # }
/// ```
#[derive(Clone)]
pub struct Embedded {
    pub(crate) routes: Routes,
    pub(crate) health: web::Data<vitals_http::HealthState>,
    pub(crate) scrapes: web::Data<vitals_http::MetricsState>,
    pub(crate) timing: RequestMetrics,
    pub(crate) registry: HealthRegistry,
    pub(crate) samplers: Arc<Vec<tokio::task::JoinHandle<()>>>,
    pub(crate) shutdown: ShutdownSettings,
    pub(crate) handle_signals: bool,
    pub(crate) services: Arc<vitals::ServiceDirectory>,
    pub(crate) modules: Arc<Vec<Arc<dyn vitals::Module>>>,
    /// Called as the listener closes (the gRPC `Watch` streams end).
    pub(crate) closers: Vec<crate::shutdown::Closer>,
    /// The gRPC health service over the kernel's registry.
    #[cfg(feature = "grpc")]
    pub(crate) grpc: crate::grpc::GrpcParts,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded").finish_non_exhaustive()
    }
}

impl Embedded {
    /// `app` with the kernel's endpoints mounted and the request-timing middleware wrapped around
    /// everything the app serves (the probes and `/metrics` are not measured).
    ///
    /// The endpoints are served from the app's default service, which actix tries only after
    /// every route of the app failed to match: the app's own routes pay nothing for them,
    /// whatever order the app adds its routes in. An app that sets a default service of its own
    /// replaces them: such an app places the endpoints with [`routes`](Self::routes) instead.
    pub fn mount<T, B>(
        &self,
        app: App<T>,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + use<T, B>,
    >
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        T::Service: 'static,
        <T::Service as Service<ServiceRequest>>::Future: 'static,
        B: MessageBody + 'static,
    {
        // The default service holds the states itself: as app data they would be searched by
        // the app's own extractors on every request (docs/performance.md).
        let (health, scrapes) = (self.health.clone(), self.scrapes.clone());
        app.default_service(web::to(move |req: actix_web::HttpRequest| {
            vitals_http::dispatch_with(req, health.clone(), scrapes.clone())
        }))
        .wrap(self.timing.clone())
    }

    /// The kernel's endpoints alone (probes and `/metrics`), for `App::configure`, when an app
    /// places them itself; [`mount`](Self::mount) is the usual way.
    pub fn routes(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + use<> {
        let routes = self.routes.clone();
        move |cfg| routes(cfg)
    }

    /// The request-timing middleware alone, for `App::wrap`; [`mount`](Self::mount) is the usual
    /// way.
    pub fn middleware(&self) -> RequestMetrics {
        self.timing.clone()
    }

    /// A service a module provided (see [`vitals::ModuleContext::provide`]).
    pub fn service<S: Any + Send + Sync>(&self) -> Option<Arc<S>> {
        self.services.get::<S>()
    }

    /// Runs `server` until SIGTERM/SIGINT (unless signals are off in the settings), then shuts
    /// down as the kernel's own server does: readiness fails at once, the shutdown delay passes,
    /// background work stops, in-flight requests drain within the grace period. The server
    /// starts when this is called; the returned future ends when it has stopped.
    ///
    /// # Errors
    /// [`Error::Serve`] when the server fails.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn serve<F, I, S, B>(
        &self,
        server: HttpServer<F, I, S, B>,
    ) -> impl Future<Output = Result<(), Error>> + Send + use<F, I, S, B>
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: actix_service::IntoServiceFactory<S, actix_http::Request>,
        S: ServiceFactory<actix_http::Request, Config = AppConfig> + 'static,
        S::Error: Into<actix_web::Error> + 'static,
        S::InitError: std::fmt::Debug,
        S::Response: Into<actix_http::Response<B>> + 'static,
        <S::Service as Service<actix_http::Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let server = server
            .disable_signals()
            .shutdown_timeout(crate::shutdown::actix_grace(self.shutdown.grace).as_secs())
            .run();
        let trigger = crate::shutdown::ShutdownTrigger {
            handle: Some(server.handle()),
            registry: self.registry.clone(),
            samplers: self.samplers.clone(),
            delay: self.shutdown.delay,
            grace: self.shutdown.grace,
            closers: self.closers.clone(),
            connections: None,
        };
        let modules = self.modules.clone();
        let on_signal = self.handle_signals.then(|| {
            tokio::spawn(async move {
                crate::shutdown::signal().await;
                trigger.fire().await;
            })
        });
        async move {
            let result = server.await.map_err(Error::Serve);
            if let Some(task) = on_signal {
                task.abort();
            }
            crate::serve::stop_modules(&modules).await;
            result
        }
    }
}
