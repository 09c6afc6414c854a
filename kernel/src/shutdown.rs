//! Graceful shutdown: the signal that starts it ([`signal`]), what it does
//! ([`ShutdownTrigger`]) and what it tells of the drain ([`OpenConnections`]).
use actix_web::dev::{Extensions, ServerHandle};
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vitals_health::HealthRegistry;

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C elsewhere).
pub(crate) async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT received: shutting down"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("interrupt received: shutting down");
    }
}

/// Called once the shutdown delay has passed, as the listeners close: ends the gRPC `Watch`
/// streams, stops the kernel's gRPC listener.
pub(crate) type Closer = Arc<dyn Fn() + Send + Sync>;

/// The connections open on the kernel's own listener: counted when accepted and when closed
/// (nothing per request), and read as the grace period ends, to say how many the drain cut off.
#[derive(Clone, Default)]
pub(crate) struct OpenConnections(Arc<AtomicUsize>);

/// Held in a connection's extensions, which actix drops when the connection closes.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl OpenConnections {
    /// The `HttpServer::on_connect` hook that counts.
    pub(crate) fn hook(&self) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
        let open = self.0.clone();
        move |_, extensions| {
            open.fetch_add(1, Ordering::Relaxed);
            extensions.insert(Open(open.clone()));
        }
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long actix lets connections finish: its shutdown timeout is in whole seconds.
pub(crate) fn actix_grace(grace: Duration) -> Duration {
    Duration::from_secs(grace.as_secs_f64().ceil() as u64)
}

/// What a shutdown does, in order: readiness fails, the delay passes, background work stops,
/// the closers run, the listener closes and in-flight requests drain.
#[derive(Clone)]
pub(crate) struct ShutdownTrigger {
    /// The actix server to stop; `None` for an app that serves gRPC alone.
    pub(crate) handle: Option<ServerHandle>,
    pub(crate) registry: HealthRegistry,
    pub(crate) samplers: Arc<Vec<tokio::task::JoinHandle<()>>>,
    pub(crate) delay: Duration,
    /// How long in-flight requests get once the listener closes.
    pub(crate) grace: Duration,
    pub(crate) closers: Vec<Closer>,
    /// The listener's connections, when the kernel made the server (an app's own server is
    /// not counted: its `on_connect` is the app's).
    pub(crate) connections: Option<OpenConnections>,
}

impl ShutdownTrigger {
    pub(crate) async fn fire(self) {
        self.registry.begin_shutdown();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.registry.stop_background();
        for s in self.samplers.iter() {
            s.abort();
        }
        for close in &self.closers {
            close();
        }
        if let Some(handle) = self.handle {
            let closed = Instant::now();
            let stop = handle.stop(true);
            let cut_off = match &self.connections {
                Some(connections) => {
                    // actix closes what is still open at its first once-a-second check after
                    // the grace period: the count is read just before.
                    let last = actix_grace(self.grace).saturating_sub(Duration::from_millis(100));
                    tokio::pin!(stop);
                    tokio::select! {
                        () = &mut stop => Some(0),
                        () = tokio::time::sleep(last) => {
                            let open = connections.count();
                            stop.await;
                            Some(open)
                        }
                    }
                }
                None => {
                    stop.await;
                    None
                }
            };
            drained(closed.elapsed(), self.grace, cut_off);
        }
    }
}

/// Logs how the drain ended: drained, or cut off when the grace period ended (with the number
/// of connections it closed, when the kernel counted them; an app's own server is not counted).
fn drained(took: Duration, grace: Duration, cut_off: Option<usize>) {
    let took_text = humantime::format_duration(Duration::from_millis(took.as_millis() as u64));
    let grace_text = humantime::format_duration(grace);
    match cut_off {
        Some(0) => tracing::info!(took = %took_text, "shutdown: in-flight requests drained"),
        Some(connections) => tracing::warn!(
            took = %took_text,
            grace = %grace_text,
            connections,
            "shutdown: the grace period ended with {connections} connection(s) still open; they were closed, cutting off any request on them (raise VITALS_SHUTDOWN_GRACE)"
        ),
        None if took + Duration::from_millis(50) >= grace && !grace.is_zero() => tracing::warn!(
            took = %took_text,
            grace = %grace_text,
            "shutdown: the grace period ended with requests still running; they were cut off (raise VITALS_SHUTDOWN_GRACE)"
        ),
        None => tracing::info!(took = %took_text, "shutdown: in-flight requests drained"),
    }
}
