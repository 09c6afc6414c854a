use crate::RunKind;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tracing::Instrument;
use vitals::{CheckOutcome, HealthChecker, panic_message};

/// The outcome of one isolated run, before damping.
pub(crate) struct Run {
    pub(crate) outcome: CheckOutcome,
    pub(crate) kind: RunKind,
    pub(crate) duration: Duration,
    pub(crate) at: SystemTime,
    pub(crate) finished: Instant,
}

/// Runs a checker once on its own task, so that a panic is caught and a hang is abandoned.
///
/// A check that outlives `timeout` is aborted and reported unhealthy; a panic is reported unhealthy
/// with the panic message. Every run is a `health_check` span carrying its outcome and duration.
pub(crate) async fn run_isolated(checker: Arc<dyn HealthChecker>, timeout: Duration) -> Run {
    let name = checker.name().to_owned();
    let span = tracing::info_span!(
        "health_check",
        check = %name,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let at = SystemTime::now();
    let start = Instant::now();
    let mut task = tokio::spawn(async move { checker.check().await }.instrument(span.clone()));
    let (outcome, kind) = match tokio::time::timeout(timeout, &mut task).await {
        Ok(Ok(outcome)) => (outcome, RunKind::Completed),
        Ok(Err(err)) if err.is_panic() => (
            CheckOutcome::unhealthy(format!("panicked: {}", panic_message(&*err.into_panic()))),
            RunKind::Panicked,
        ),
        Ok(Err(_)) => (CheckOutcome::unhealthy("cancelled"), RunKind::Completed),
        Err(_) => {
            task.abort();
            (
                CheckOutcome::unhealthy(format!(
                    "timed out after {}",
                    humantime::format_duration(timeout)
                )),
                RunKind::TimedOut,
            )
        }
    };
    let finished = Instant::now();
    let duration = finished - start;
    span.record("status", outcome.status().as_str());
    span.record("duration_ms", duration.as_secs_f64() * 1e3);
    span.in_scope(|| match outcome.error() {
        Some(reason) => tracing::warn!(check = %name, status = %outcome.status(), reason, "health check not healthy"),
        None => tracing::debug!(check = %name, "health check healthy"),
    });
    Run {
        outcome,
        kind,
        duration,
        at,
        finished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitals::{HealthStatus, check_fn};

    #[tokio::test]
    async fn hanging_check_times_out() {
        let c = Arc::new(check_fn("slow", || async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            CheckOutcome::healthy()
        }));
        let start = Instant::now();
        let run = run_isolated(c, Duration::from_millis(50)).await;
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(run.outcome.status(), HealthStatus::Unhealthy);
        assert_eq!(run.outcome.error(), Some("timed out after 50ms"));
        assert_eq!(run.kind, RunKind::TimedOut);
    }

    #[tokio::test]
    async fn panicking_check_is_reported_with_its_message() {
        let c = Arc::new(check_fn("boom", || async {
            if true {
                panic!("disk on fire");
            }
            CheckOutcome::healthy()
        }));
        let run = run_isolated(c, Duration::from_secs(1)).await;
        assert_eq!(run.outcome.status(), HealthStatus::Unhealthy);
        assert_eq!(run.outcome.error(), Some("panicked: disk on fire"));
        assert_eq!(run.kind, RunKind::Panicked);
    }

    #[tokio::test]
    async fn formatted_panic_message_is_kept() {
        let c = Arc::new(check_fn("boom", || async {
            let n = 3;
            if n > 2 {
                panic!("bad value {n}");
            }
            CheckOutcome::healthy()
        }));
        let run = run_isolated(c, Duration::from_secs(1)).await;
        assert_eq!(run.outcome.error(), Some("panicked: bad value 3"));
    }
}
