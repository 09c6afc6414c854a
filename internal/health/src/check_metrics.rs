//! The health checks' metrics, built on the `vitals::Metrics` facade: an observer of check runs
//! (`vitals_health_check_duration_seconds{check}`, timeouts and panics in `vitals_errors_total`)
//! and a collect-time gauge of the latest status of each check by group.
use crate::{HealthRegistry, Reading, RunKind, RunObserver};
use std::sync::Arc;
use vitals::metrics::{Collect, CollectedFamily, Counter, ErrorKind, HistogramFamily};
use vitals::{Error, Metrics};

const STATUS: &str = "vitals_health_check_status";
const STATUS_HELP: &str =
    "Latest status of each health check by group: 1 healthy, 0.5 degraded, 0 unhealthy.";

/// The check metrics: register once per kernel, put [`observer`](Self::observer) in the
/// registry's configuration and [`watch`](Self::watch) the registry it builds.
#[derive(Clone)]
pub struct CheckMetrics {
    metrics: Metrics,
    duration: HistogramFamily,
    timeouts: Counter,
    panics: Counter,
}

impl CheckMetrics {
    /// Registers the duration histogram.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when registered twice.
    pub fn new(metrics: &Metrics) -> Result<Self, Error> {
        let duration = metrics.histogram_vec(
            "vitals_health_check_duration_seconds",
            "Duration of health check runs.",
            &["check"],
            Some(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )?;
        Ok(Self {
            metrics: metrics.clone(),
            duration,
            timeouts: metrics.error_counter(ErrorKind::Timeout),
            panics: metrics.error_counter(ErrorKind::Panic),
        })
    }

    /// The observer to put in the registry's configuration.
    pub fn observer(&self) -> Arc<dyn RunObserver> {
        Arc::new(self.clone())
    }

    /// Registers the status gauge, read from `registry` at scrape time. It is as fresh as the
    /// registry's readings: the latest probe's, or background mode's.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when registered twice.
    pub fn watch(&self, registry: HealthRegistry) -> Result<(), Error> {
        self.metrics.add_collector(StatusGauge { registry })
    }
}

impl RunObserver for CheckMetrics {
    fn on_run(&self, check: &str, reading: &Reading) {
        self.duration
            .with_label_values(&[check])
            .observe(reading.duration.as_secs_f64());
        match reading.kind {
            RunKind::TimedOut => self.timeouts.inc(),
            RunKind::Panicked => self.panics.inc(),
            RunKind::Completed => {}
        }
    }
}

/// `vitals_health_check_status{check,group}` from the registry's latest readings (staleness
/// applied); a check that has not run yet has no sample.
struct StatusGauge {
    registry: HealthRegistry,
}

impl StatusGauge {
    fn family(&self) -> CollectedFamily {
        let mut f = CollectedFamily::gauge(STATUS, STATUS_HELP, &["check", "group"]);
        for state in self.registry.states() {
            let Some(status) = state.status else {
                continue;
            };
            for group in &state.groups {
                f.push(&[&state.name, group.as_str()], status.gauge_value());
            }
        }
        f
    }
}

#[vitals::async_trait]
impl Collect for StatusGauge {
    fn name(&self) -> &str {
        "health_check_status"
    }

    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        Ok(vec![self.family()])
    }

    // Read from memory: always ready, even when the scrape's deadline is short.
    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        Some(vec![self.family()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegistryConfig;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use vitals::{CheckOutcome, CheckerExt, HealthGroup, check_fn};
    use vitals_testkit::TestRecorder;

    #[derive(Default)]
    struct Runs(AtomicUsize);

    impl RunObserver for Runs {
        fn on_run(&self, _: &str, _: &Reading) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn every_observer_sees_every_run_and_the_check_metrics_count_them() {
        let recorder = TestRecorder::new();
        let metrics = CheckMetrics::new(&recorder.metrics()).unwrap();
        let runs = Arc::new(Runs::default());
        let registry = HealthRegistry::new(RegistryConfig {
            observers: vec![metrics.observer(), runs.clone()],
            ..RegistryConfig::default()
        });
        metrics.watch(registry.clone()).unwrap();
        registry
            .add(Arc::new(check_fn("ok", || async {
                CheckOutcome::healthy()
            })))
            .unwrap();
        let slow = check_fn("slow", || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            CheckOutcome::healthy()
        })
        .with_timeout(Duration::from_millis(20));
        registry.add(Arc::new(slow)).unwrap();
        for _ in 0..3 {
            registry.run_group(&HealthGroup::Readiness, &[]).await;
        }
        assert_eq!(runs.0.load(Ordering::SeqCst), 6);
        let observed =
            |c: &str| recorder.observations("vitals_health_check_duration_seconds", &[c]);
        assert_eq!((observed("ok"), observed("slow")), (Some(3), Some(3)));
        assert_eq!(
            recorder.value("vitals_errors_total", &["timeout"]),
            Some(3.0)
        );
        let status = recorder.collect("health_check_status").await.unwrap();
        let value = |check: &str| {
            status[0]
                .samples
                .iter()
                .find(|(l, _)| l[0] == check && l[1] == "readiness")
                .map(|(_, v)| *v)
        };
        assert_eq!((value("ok"), value("slow")), (Some(1.0), Some(0.0)));
    }
}
