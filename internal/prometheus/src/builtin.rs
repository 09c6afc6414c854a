use crate::PrometheusRecorder;
use prometheus::{IntGaugeVec, Opts};
use vitals::Error;

/// Registers the families every kernel has: process metrics (Linux) and
/// `vitals_build_info{version,commit,rustc}` = 1.
///
/// # Errors
/// [`Error::DuplicateMetric`] when called twice on one registry.
pub fn register_builtins(metrics: &PrometheusRecorder) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    metrics.register_collector(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    let info = IntGaugeVec::new(
        Opts::new(
            "vitals_build_info",
            "Build information; the value is always 1.",
        ),
        &["version", "commit", "rustc"],
    )
    .map_err(|source| Error::Metric {
        name: "vitals_build_info".into(),
        reason: source.to_string(),
    })?;
    info.with_label_values(&[
        env!("CARGO_PKG_VERSION"),
        env!("VITALS_GIT_COMMIT"),
        env!("VITALS_RUSTC_VERSION"),
    ])
    .set(1);
    metrics.register_collector(Box::new(info))
}

/// Registers `service_info{service,version}` = 1: the name and version of the service that
/// embeds Vitals (as `vitals_build_info` describes Vitals itself).
///
/// # Errors
/// [`Error::DuplicateMetric`] when called twice on one registry.
pub fn register_service_info(
    metrics: &PrometheusRecorder,
    service: &str,
    version: &str,
) -> Result<(), Error> {
    let info = IntGaugeVec::new(
        Opts::new(
            "service_info",
            "The service that embeds Vitals; the value is always 1.",
        ),
        &["service", "version"],
    )
    .map_err(|source| Error::Metric {
        name: "service_info".into(),
        reason: source.to_string(),
    })?;
    info.with_label_values(&[service, version]).set(1);
    metrics.register_collector(Box::new(info))
}
