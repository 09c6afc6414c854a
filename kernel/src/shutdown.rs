//! Graceful shutdown: the signal that starts it ([`signal`]) and what it does
//! ([`ShutdownTrigger`]).
use actix_web::dev::ServerHandle;
use std::sync::Arc;
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
            handle.stop(true).await;
            drained(closed.elapsed(), self.grace);
        }
    }
}

/// Logs how the drain ended. actix stops its workers when the grace period ends, cutting off
/// what still runs; it reports no count, so the log says that it happened.
fn drained(took: Duration, grace: Duration) {
    let took_text = humantime::format_duration(Duration::from_millis(took.as_millis() as u64));
    if took + Duration::from_millis(50) >= grace && !grace.is_zero() {
        tracing::warn!(
            took = %took_text,
            grace = %humantime::format_duration(grace),
            "shutdown: the grace period ended with requests still running; they were cut off (raise VITALS_SHUTDOWN_GRACE)"
        );
    } else {
        tracing::info!(took = %took_text, "shutdown: in-flight requests drained");
    }
}
