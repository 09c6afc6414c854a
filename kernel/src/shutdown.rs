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

/// How long actix lets connections finish: its shutdown timeout is in whole seconds, and its
/// first check of what is still open comes a second after the stop, whatever the timeout.
pub(crate) fn actix_grace(grace: Duration) -> Duration {
    Duration::from_secs(grace.as_secs_f64().ceil() as u64)
}

/// When actix decides: the check at which it closes whatever is still open.
fn deciding_check(grace: Duration) -> Duration {
    actix_grace(grace).max(Duration::from_secs(1))
}

/// How long before actix's deciding check the connections are counted.
const COUNT_MARGIN: Duration = Duration::from_millis(100);

/// How a drain ended, as far as the kernel can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// Everything finished before actix's deciding check.
    Drained,
    /// `n` connections were still open just before the deciding check; actix closes those
    /// still open at it.
    StillOpen(usize),
    /// The drain reached the deciding check, and the kernel has no count (an app's own server,
    /// or a runtime too busy to read it in time).
    Uncounted,
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
            let deadline = deciding_check(self.grace);
            let stop = handle.stop(true);
            tokio::pin!(stop);
            let outcome = match &self.connections {
                Some(connections) => {
                    // The count is read just before actix's deciding check; a count read after
                    // it (the runtime busy with the very requests draining) could already be
                    // empty, so it is not believed.
                    let count_at = closed + deadline.saturating_sub(COUNT_MARGIN);
                    tokio::select! {
                        biased;
                        () = &mut stop => None,
                        () = tokio::time::sleep_until(count_at.into()) => {
                            let open = connections.count();
                            let in_time = closed.elapsed() < deadline;
                            (&mut stop).await;
                            Some(match (in_time, open) {
                                (true, 0) => Drain::Drained,
                                (true, n) => Drain::StillOpen(n),
                                (false, _) => Drain::Uncounted,
                            })
                        }
                    }
                }
                None => {
                    (&mut stop).await;
                    None
                }
            };
            // Without a count, the time tells: actix ends a drain that finished at a check
            // before the deciding one.
            let took = closed.elapsed();
            let outcome = outcome.unwrap_or(if took < deadline {
                Drain::Drained
            } else {
                Drain::Uncounted
            });
            drained(took, self.grace, outcome);
        }
    }
}

/// Logs how the drain ended.
fn drained(took: Duration, grace: Duration, outcome: Drain) {
    let took_text = humantime::format_duration(Duration::from_millis(took.as_millis() as u64));
    let grace_text = humantime::format_duration(grace);
    match outcome {
        Drain::Drained => tracing::info!(took = %took_text, "shutdown: in-flight requests drained"),
        Drain::StillOpen(connections) => tracing::warn!(
            took = %took_text,
            grace = %grace_text,
            connections,
            "shutdown: {connections} connection(s) still open as the grace period ended (counted 0.1 s before); those still open were closed with any request on them (raise VITALS_SHUTDOWN_GRACE)"
        ),
        Drain::Uncounted => tracing::warn!(
            took = %took_text,
            grace = %grace_text,
            "shutdown: the drain lasted the whole grace period; any request still running at its end was cut off (raise VITALS_SHUTDOWN_GRACE)"
        ),
    }
}
