use tokio::task::JoinHandle;
use vitals::Metrics;

/// Starts one loop per sampled gauge on the current tokio runtime: sample, then sleep the
/// gauge's interval. A failed sample is logged at `warn` (and counted by the sampler itself).
/// Abort the returned handles to stop.
///
/// # Panics
/// Outside a tokio runtime.
pub fn start_samplers(metrics: &Metrics) -> Vec<JoinHandle<()>> {
    metrics
        .samplers()
        .into_iter()
        .map(|sampler| {
            tokio::spawn(async move {
                loop {
                    if let Err(e) = sampler.sample_once().await {
                        tracing::warn!(gauge = sampler.name(), error = %e, "sampled gauge failed");
                    }
                    tokio::time::sleep(sampler.interval()).await;
                }
            })
        })
        .collect()
}
