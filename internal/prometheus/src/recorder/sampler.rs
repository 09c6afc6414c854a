use futures_util::FutureExt;
use prometheus::{Gauge, IntCounter};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;
use vitals::metrics::SampleFn;
use vitals::panic_message;

/// A gauge whose value comes from a closure run on an interval (e.g. a queue lag read every
/// 10 s). Declared with `vitals::Metrics::sampled_gauge`; the kernel runs
/// the loop. Each sample is isolated like a health check: one that fails, panics or takes longer
/// than the interval keeps the previous value and counts in
/// `vitals_collector_errors_total{collector="<gauge name>"}` and
/// `vitals_errors_total{type="collector"}`; the loop goes on.
pub struct Sampler {
    name: String,
    interval: Duration,
    gauge: Gauge,
    errors: [IntCounter; 2],
    f: SampleFn,
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
    pub(crate) fn new(
        name: &str,
        interval: Duration,
        gauge: Gauge,
        errors: [IntCounter; 2],
        f: SampleFn,
    ) -> Self {
        Self {
            name: name.to_owned(),
            interval,
            gauge,
            errors,
            f,
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

    /// Takes one sample, bounded by the interval: sets the gauge, or counts the failure and
    /// returns its message.
    ///
    /// # Errors
    /// The closure's error text, `panicked: …`, or `timed out after …`.
    pub async fn sample_once(&self) -> Result<f64, String> {
        let result = match catch_unwind(AssertUnwindSafe(|| (self.f)())) {
            Err(payload) => Err(format!("panicked: {}", panic_message(&*payload))),
            Ok(fut) => {
                match tokio::time::timeout(self.interval, AssertUnwindSafe(fut).catch_unwind())
                    .await
                {
                    Ok(Ok(r)) => r,
                    Ok(Err(payload)) => Err(format!("panicked: {}", panic_message(&*payload))),
                    Err(_) => Err(format!("timed out after {:?}", self.interval)),
                }
            }
        };
        match result {
            Ok(v) => {
                self.gauge.set(v);
                Ok(v)
            }
            Err(e) => {
                for c in &self.errors {
                    c.inc();
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::PrometheusRecorder;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_panicking_or_hanging_sample_is_counted_and_the_next_one_works() {
        let recorder = PrometheusRecorder::new();
        let m = recorder.metrics();
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let gauge = m
            .sampled_gauge(
                "lag_seconds",
                "Lag.",
                Duration::from_millis(50),
                move || {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    async move {
                        match n {
                            0 => panic!("sampler exploded"),
                            1 => {
                                tokio::time::sleep(Duration::from_secs(3600)).await;
                                Ok(0.0)
                            }
                            _ => Ok::<_, String>(2.5),
                        }
                    }
                },
            )
            .unwrap();
        let sampler = recorder.samplers()[0].clone();
        assert_eq!(
            sampler.sample_once().await,
            Err("panicked: sampler exploded".into())
        );
        assert_eq!(
            sampler.sample_once().await,
            Err("timed out after 50ms".into())
        );
        assert_eq!(sampler.sample_once().await, Ok(2.5));
        assert_eq!(gauge.get(), 2.5);
        assert_eq!(recorder.collector_errors("lag_seconds").get(), 2);
        assert_eq!(
            recorder.errors(vitals::metrics::ErrorKind::Collector).get(),
            2
        );
    }
}
