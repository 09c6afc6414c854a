use prometheus::{Gauge, IntCounter};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

type SampleFn = dyn Fn() -> Pin<Box<dyn Future<Output = Result<f64, String>> + Send>> + Send + Sync;

/// A gauge whose value comes from a closure run on an interval (e.g. a queue lag read every
/// 10 s). Declared with [`Metrics::sampled_gauge`](crate::Metrics::sampled_gauge); the kernel runs
/// the loop. A failed sample keeps the previous value and counts in
/// `vitals_collector_errors_total{collector="<gauge name>"}`.
pub struct Sampler {
    name: String,
    interval: Duration,
    gauge: Gauge,
    errors: IntCounter,
    f: Arc<SampleFn>,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("name", &self.name)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Sampler {
    pub(crate) fn new<F, Fut, E>(
        name: &str,
        interval: Duration,
        gauge: Gauge,
        errors: IntCounter,
        f: F,
    ) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<f64, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let f = Arc::new(f);
        Self {
            name: name.to_owned(),
            interval,
            gauge,
            errors,
            f: Arc::new(move || {
                let fut = f();
                Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
            }),
        }
    }

    /// The gauge's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Time between samples.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Takes one sample: sets the gauge, or counts the failure and returns its message.
    ///
    /// # Errors
    /// The closure's error text.
    pub async fn sample_once(&self) -> Result<f64, String> {
        match (self.f)().await {
            Ok(v) => {
                self.gauge.set(v);
                Ok(v)
            }
            Err(e) => {
                self.errors.inc();
                Err(e)
            }
        }
    }
}
