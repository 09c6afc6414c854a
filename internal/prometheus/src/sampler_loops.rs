use crate::PrometheusRecorder;
use tokio::task::JoinHandle;

/// Starts one loop per sampled gauge on the current tokio runtime: sample, then sleep the
/// gauge's interval. A failed sample is logged at `warn` (and counted by the sampler itself).
/// Abort the returned handles to stop.
///
/// # Panics
/// Outside a tokio runtime.
pub fn start_samplers(recorder: &PrometheusRecorder) -> Vec<JoinHandle<()>> {
    recorder
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_loop_goes_on_after_a_sample_panics() {
        let recorder = PrometheusRecorder::new();
        let m = recorder.metrics();
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let gauge = m
            .sampled_gauge("depth", "Depth.", Duration::from_secs(1), move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(n > 0, "first sample panics");
                    Ok::<_, String>(f64::from(n))
                }
            })
            .unwrap();
        let tasks = start_samplers(&recorder);
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        // samples at 0 s (panicked), 1 s and 2 s
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(gauge.get(), 2.0);
        assert_eq!(recorder.collector_errors("depth").get(), 1);
        for t in tasks {
            t.abort();
        }
    }
}
