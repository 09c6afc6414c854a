//! The gRPC front door beside the HTTP one (feature `grpc`): the health service an embedding
//! app adds to its own tonic server ([`Embedded::grpc`]), and the kernel's own listener for
//! `VITALS_GRPC_BIND`, stopped with the HTTP listener.
use crate::shutdown::Closer;
use crate::{Embedded, Error};
use std::net::SocketAddr;
use std::time::Duration;

/// The kernel's own gRPC listener, serving.
pub(crate) struct GrpcServing {
    /// The bound address.
    pub(crate) addr: SocketAddr,
    /// Ends the `Watch` streams and closes the listener.
    pub(crate) stop: Closer,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl GrpcServing {
    /// Stops the listener (if shutdown has not) and waits for open calls to finish, at most
    /// `grace` (then they are dropped).
    pub(crate) async fn wait(mut self, grace: Duration) -> Result<(), Error> {
        (self.stop)();
        match tokio::time::timeout(grace, &mut self.task).await {
            Ok(Ok(result)) => result.map_err(Error::Serve),
            Ok(Err(join)) => Err(Error::Serve(std::io::Error::other(join))),
            Err(_) => {
                self.task.abort();
                tracing::warn!(
                    grace = %humantime::format_duration(grace),
                    "gRPC calls still open after the shutdown grace: dropped"
                );
                Ok(())
            }
        }
    }
}

/// Binds `addr` and serves the embedded kernel's gRPC health service on it.
#[cfg(feature = "grpc")]
pub(crate) fn start(addr: SocketAddr, embedded: &Embedded) -> Result<GrpcServing, Error> {
    // The OS error alone ("Address already in use") would not say which of the two listeners.
    let listener = vitals_grpc::GrpcListener::bind(addr).map_err(|e| Error::Bind {
        addr,
        source: std::io::Error::new(
            e.kind(),
            format!("{e} (VITALS_GRPC_BIND, the gRPC health service)"),
        ),
    })?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let bound = listener.local_addr();
    let task = tokio::spawn(listener.serve(embedded.grpc.health.clone(), async move {
        // Also resolves when the sender is gone: the kernel was dropped.
        let _ = stopped.wait_for(|s| *s).await;
    }));
    Ok(GrpcServing {
        addr: bound,
        stop: std::sync::Arc::new(move || {
            stop.send_replace(true);
        }),
        task,
    })
}

/// Without the `grpc` feature there is nothing to serve ([`Config::validate`](crate::Config::validate)
/// refuses `VITALS_GRPC_BIND` before this is reached).
#[cfg(not(feature = "grpc"))]
pub(crate) fn start(addr: SocketAddr, _: &Embedded) -> Result<GrpcServing, Error> {
    Err(Error::Config(vitals::settings::SettingError::new(
        "VITALS_GRPC_BIND",
        &addr.to_string(),
        "this build has no gRPC front door: enable the grpc feature of vitals-kernel",
    )))
}

/// What an embedded kernel holds for gRPC: the health service, and the timing layer made on
/// first use (so a kernel whose app serves no gRPC exports no gRPC families).
#[cfg(feature = "grpc")]
#[derive(Clone)]
pub(crate) struct GrpcParts {
    pub(crate) health: vitals_grpc::GrpcHealth,
    metrics: vitals::Metrics,
    timing: std::sync::Arc<std::sync::Mutex<Option<vitals_grpc::GrpcMetrics>>>,
}

#[cfg(feature = "grpc")]
impl GrpcParts {
    pub(crate) fn new(registry: vitals_health::HealthRegistry, metrics: vitals::Metrics) -> Self {
        Self {
            health: vitals_grpc::GrpcHealth::new(registry),
            metrics,
            timing: std::sync::Arc::default(),
        }
    }
}

#[cfg(feature = "grpc")]
impl Embedded {
    /// The standard `grpc.health.v1.Health` service over this kernel's registry, to add to the
    /// app's own tonic `Server` (the gRPC counterpart of [`mount`](Self::mount)): `Check` answers
    /// as the HTTP probe of the same group, `Watch` pushes every change; see `docs/grpc.md` for
    /// the service names. Its `Watch` streams end when [`serve`](Self::serve) closes the HTTP
    /// listener, or, for an app serving gRPC alone, when [`grpc_shutdown`](Self::grpc_shutdown)
    /// resolves.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let vitals = vitals_kernel::Kernel::from_env()?.build()?.embed().await?;
    /// // With services of the app's own: `Server::builder().add_service(vitals.grpc())…`.
    /// tonic::transport::Server::builder()
    ///     .layer(vitals.grpc_metrics()?)
    ///     .serve_with_shutdown(
    ///         "0.0.0.0:9090".parse()?,
    ///         vitals.grpc(),
    ///         vitals.grpc_shutdown(),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn grpc(&self) -> vitals_grpc::HealthServer<vitals_grpc::GrpcHealth> {
        self.grpc.health.server()
    }

    /// The service behind [`grpc`](Self::grpc), to close its streams or wrap it yourself.
    pub fn grpc_health(&self) -> vitals_grpc::GrpcHealth {
        self.grpc.health.clone()
    }

    /// The timing layer of the app's gRPC calls, feeding this kernel's `/metrics`
    /// (`grpc_server_handling_seconds`, `grpc_server_handled_total` by service, method and code;
    /// see [`vitals_grpc::timing`]): `Server::builder().layer(vitals.grpc_metrics()?)`. The
    /// families are registered on the first call; later calls share them.
    ///
    /// # Errors
    /// [`Error::Registration`] when the families' names are already taken on the kernel's
    /// registry (by a module).
    pub fn grpc_metrics(&self) -> Result<vitals_grpc::GrpcMetrics, Error> {
        let mut timing = self.grpc.timing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(layer) = timing.as_ref() {
            return Ok(layer.clone());
        }
        let layer = vitals_grpc::GrpcMetrics::new(&self.grpc.metrics)?;
        *timing = Some(layer.clone());
        Ok(layer)
    }

    /// For an app serving gRPC alone (no [`serve`](Self::serve)): resolves on SIGTERM/SIGINT
    /// (never when signals are off in the settings) once the kernel's graceful shutdown has
    /// run its course: readiness `NOT_SERVING` at once, the shutdown delay, background work
    /// stopped, every `Watch` stream ended. Pass it to tonic's `serve_with_shutdown`.
    ///
    /// # Panics
    /// Outside a tokio runtime, when polled.
    pub fn grpc_shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let trigger = crate::shutdown::ShutdownTrigger {
            handle: None,
            registry: self.registry.clone(),
            samplers: self.samplers.clone(),
            delay: self.shutdown.delay,
            grace: self.shutdown.grace,
            closers: self.closers.clone(),
            connections: None,
        };
        let signals = self.handle_signals;
        async move {
            if !signals {
                return std::future::pending().await;
            }
            crate::shutdown::signal().await;
            trigger.fire().await;
        }
    }
}

#[cfg(all(test, feature = "grpc"))]
mod tests {
    use crate::{Error, Kernel};

    #[tokio::test]
    async fn a_taken_grpc_port_is_an_error_naming_the_setting_not_a_panic() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = Kernel::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .grpc_bind(addr)
            .handle_signals(false)
            .build()
            .unwrap()
            .start()
            .await
            .err()
            .expect("the gRPC port is taken");
        assert!(
            matches!(&err, Error::Bind { addr: a, .. } if *a == addr),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot listen on {addr}: "))
                && text.ends_with("(VITALS_GRPC_BIND, the gRPC health service)"),
            "{text}"
        );
    }
}
