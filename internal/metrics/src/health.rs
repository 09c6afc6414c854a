use crate::{BudgetedVec, PrometheusRecorder};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{GaugeVec, HistogramOpts, HistogramVec, Opts};
use std::sync::Arc;
use vitals::Error;
use vitals::metrics::ErrorKind;
use vitals_health::{HealthRegistry, Reading, RunKind, RunObserver};

/// Health metrics: `vitals_health_check_duration_seconds{check}` observed on every run,
/// `vitals_health_check_status{check,group}` read from the latest readings at scrape time, and
/// timeouts and panics of checks counted in `vitals_errors_total`.
#[derive(Clone)]
pub struct HealthMetrics {
    duration: BudgetedVec<HistogramVec>,
    timeouts: prometheus::IntCounter,
    panics: prometheus::IntCounter,
}

impl HealthMetrics {
    /// Registers the duration histogram.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when registered twice.
    pub fn new(metrics: &PrometheusRecorder) -> Result<Self, Error> {
        let duration = metrics.histogram_vec_with(
            HistogramOpts::new(
                "vitals_health_check_duration_seconds",
                "Duration of health check runs.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["check"],
        )?;
        Ok(Self {
            duration,
            timeouts: metrics.errors(ErrorKind::Timeout),
            panics: metrics.errors(ErrorKind::Panic),
        })
    }

    /// The observer to put in the registry's configuration.
    pub fn observer(&self) -> Arc<dyn RunObserver> {
        Arc::new(self.clone())
    }

    /// Registers the status gauge, read from `registry` at scrape time.
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when registered twice.
    pub fn register_status(
        metrics: &PrometheusRecorder,
        registry: HealthRegistry,
    ) -> Result<(), Error> {
        metrics.register_collector(Box::new(StatusCollector::new(registry)))
    }
}

impl RunObserver for HealthMetrics {
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

struct StatusCollector {
    registry: HealthRegistry,
    desc: Vec<Desc>,
}

const STATUS: &str = "vitals_health_check_status";
const STATUS_HELP: &str =
    "Latest status of each health check by group: 1 healthy, 0.5 degraded, 0 unhealthy.";

impl StatusCollector {
    fn new(registry: HealthRegistry) -> Self {
        let desc = Desc::new(
            STATUS.into(),
            STATUS_HELP.into(),
            vec!["check".into(), "group".into()],
            Default::default(),
        )
        .expect("valid descriptor");
        Self {
            registry,
            desc: vec![desc],
        }
    }
}

impl Collector for StatusCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.desc.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let vec = GaugeVec::new(Opts::new(STATUS, STATUS_HELP), &["check", "group"])
            .expect("valid family");
        for state in self.registry.states() {
            let Some(status) = state.status else {
                continue;
            };
            for group in &state.groups {
                vec.with_label_values(&[state.name.as_str(), group.as_str()])
                    .set(status.gauge_value());
            }
        }
        vec.collect()
    }
}
