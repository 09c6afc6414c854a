//! Cluster-wide signals for autoscalers: what a service publishes (per-process gauges, latency
//! observations, queue and pool levels). The signals module carries them to Redis.
use std::sync::Arc;

/// Where published samples go; the signals module implements it. Both calls only touch
/// memory: they never block on, or fail because of, the network.
pub trait SignalSink: Send + Sync + 'static {
    /// This process's current value of a gauge.
    fn gauge(&self, name: &str, value: f64);
    /// One observation (a latency in seconds, or any positive quantity in base units).
    fn observe(&self, name: &str, value: f64);
    /// Stops publishing `name`: this process's value leaves the cluster's sum. A sink that
    /// keeps no state has nothing to do (the default).
    fn remove(&self, name: &str) {
        let _ = name;
    }
}

/// The publishing handle a service gets from the container (`Kernel::service::<Signals>()`,
/// or [`ModuleContext::service`](crate::ModuleContext::service) in a module). Cheap to clone.
///
/// Names are 1 to 64 of lowercase letters, digits, `_`, `-` and `.`; the module drops and
/// counts (`vitals_signals_dropped_total`) a sample with any other name.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// #[derive(Clone, Default)]
/// struct Recorded(Arc<Mutex<Vec<(String, f64)>>>);
/// impl vitals::signals::SignalSink for Recorded {
///     fn gauge(&self, name: &str, value: f64) { self.0.lock().unwrap().push((name.into(), value)) }
///     fn observe(&self, _: &str, _: f64) {}
/// }
/// let seen = Recorded::default();
/// let signals = vitals::signals::Signals::new(seen.clone());
/// signals.queue("jobs", 40.0, 100.0);
/// assert_eq!(*seen.0.lock().unwrap(), [("jobs.depth".into(), 40.0), ("jobs.capacity".into(), 100.0)]);
/// vitals::signals::Signals::disabled().gauge("sse.connections", 3.0); // goes nowhere
/// ```
#[derive(Clone)]
pub struct Signals {
    sink: Option<Arc<dyn SignalSink>>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl Signals {
    /// Samples go to `sink`.
    pub fn new(sink: impl SignalSink) -> Self {
        Self {
            sink: Some(Arc::new(sink)),
        }
    }

    /// Samples go nowhere: for a process where the signals module is not configured.
    pub fn disabled() -> Self {
        Self { sink: None }
    }

    /// Whether samples go anywhere.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// This process's current value of a gauge (e.g. open SSE connections); summed across
    /// live publishers by the aggregator. Set it when it changes: the value is kept, and
    /// republished, until it is set again, [`remove`](Self::remove)d, or the process stops.
    pub fn gauge(&self, name: &str, value: f64) {
        if let Some(s) = &self.sink {
            s.gauge(name, value);
        }
    }

    /// Stops publishing gauge (or latency) `name`. A gauge otherwise keeps its last value, in
    /// every flush, until the process sets it again or stops; remove a queue's or pool's with
    /// the names [`queue`](Self::queue) and [`pool`](Self::pool) document.
    pub fn remove(&self, name: &str) {
        if let Some(s) = &self.sink {
            s.remove(name);
        }
    }

    /// One latency observation in seconds (or any positive quantity in base units); the
    /// aggregator reports its percentiles per window.
    pub fn observe(&self, name: &str, value: f64) {
        if let Some(s) = &self.sink {
            s.observe(name, value);
        }
    }

    /// Queue depth and capacity: `<name>.depth`, `<name>.capacity` and the cluster-wide
    /// pressure (depth / capacity).
    pub fn queue(&self, name: &str, depth: f64, capacity: f64) {
        if let Some(s) = &self.sink {
            s.gauge(&format!("{name}.depth"), depth);
            s.gauge(&format!("{name}.capacity"), capacity);
        }
    }

    /// Pool in use and size: `<name>.in_use`, `<name>.size` and the cluster-wide utilisation
    /// (in use / size).
    pub fn pool(&self, name: &str, in_use: f64, size: f64) {
        if let Some(s) = &self.sink {
            s.gauge(&format!("{name}.in_use"), in_use);
            s.gauge(&format!("{name}.size"), size);
        }
    }
}
