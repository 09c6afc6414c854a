//! One `Watch` stream: the group's serving status now, then each change, woken by the
//! registry's change signal (or the moment a reading goes stale), never by a timer of its own.
use crate::health::{probe, response, serving};
use futures_util::Stream;
use std::pin::Pin;
use tokio::sync::watch;
use tonic::Status;
use tonic_health::pb::HealthCheckResponse;
use tonic_health::pb::health_check_response::ServingStatus;
use vitals::HealthGroup;
use vitals_health::{Changes, HealthRegistry};

/// The stream a `Watch` call answers with.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

struct Watcher {
    registry: HealthRegistry,
    group: HealthGroup,
    changes: Changes,
    closed: watch::Receiver<bool>,
    sent: Option<ServingStatus>,
}

impl Watcher {
    /// The status to send now and when it changes by itself (a reading going stale). The first
    /// answer for a known group runs it as a `Check` does (coalesced with every other probe; in
    /// background mode a read); later ones read the stored readings only.
    async fn current(&self) -> (ServingStatus, Option<tokio::time::Instant>) {
        if !self.registry.knows_group(&self.group) {
            return (ServingStatus::ServiceUnknown, None);
        }
        // The first answer, and the first once the group exists, run it as a `Check` does.
        if matches!(self.sent, None | Some(ServingStatus::ServiceUnknown)) {
            return (serving(probe(&self.registry, &self.group).await), None);
        }
        let snapshot = self.registry.snapshot(&self.group);
        (serving(snapshot.status), snapshot.stale_at)
    }

    /// The next status to send, or `None` when the stream ends (closed, or the service gone).
    async fn next(&mut self) -> Option<ServingStatus> {
        loop {
            if *self.closed.borrow_and_update() {
                return None;
            }
            let (status, stale_at) = self.current().await;
            if self.sent != Some(status) {
                self.sent = Some(status);
                return Some(status);
            }
            let stale = async move {
                match stale_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = self.changes.changed() => changed.ok()?,
                closed = self.closed.changed() => closed.ok()?,
                () = stale => {}
            }
        }
    }
}

/// A `Watch` stream of `group`: the current status at once, then every change; the unknown
/// group's `SERVICE_UNKNOWN` until a check joins it. Ends when `closed` turns true.
pub(crate) fn watch(
    registry: HealthRegistry,
    group: HealthGroup,
    closed: watch::Receiver<bool>,
) -> WatchStream {
    // Subscribed before the first status is read, so no change after it is missed.
    let mut changes = registry.changes();
    changes.mark_unchanged();
    let watcher = Watcher {
        registry,
        group,
        changes,
        closed,
        sent: None,
    };
    Box::pin(futures_util::stream::unfold(watcher, |mut w| async move {
        let status = w.next().await?;
        Some((Ok(response(status)), w))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::Instant;
    use vitals::CheckOutcome;
    use vitals_health::{BackgroundConfig, RegistryConfig};
    use vitals_judges::Counting;

    const STALENESS: Duration = Duration::from_secs(10);

    fn background(dep: &Arc<Counting>) -> HealthRegistry {
        let reg = HealthRegistry::new(RegistryConfig {
            background: Some(BackgroundConfig {
                interval: Duration::from_secs(1),
                max_staleness: STALENESS,
            }),
            ..RegistryConfig::default()
        });
        reg.add(dep.clone()).unwrap();
        reg.start_background();
        reg
    }

    async fn next(stream: &mut WatchStream) -> Option<ServingStatus> {
        let item = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("a message or the end within a minute")?;
        Some(item.unwrap().status())
    }

    #[tokio::test(start_paused = true)]
    async fn a_reading_that_stops_refreshing_turns_not_serving_when_it_goes_stale() {
        let dep = Counting::new("dep", Duration::ZERO);
        let reg = background(&dep);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (_close, closed) = watch::channel(false);
        let mut stream = watch(reg.clone(), HealthGroup::Readiness, closed);
        assert_eq!(next(&mut stream).await, Some(ServingStatus::Serving));
        reg.stop_background();
        let stopped = Instant::now();
        assert_eq!(next(&mut stream).await, Some(ServingStatus::NotServing));
        let after = stopped.elapsed();
        assert!(after <= STALENESS + Duration::from_millis(2), "{after:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn degraded_serves_and_shutdown_turns_readiness_not_serving_at_once() {
        let dep = Counting::new("dep", Duration::ZERO);
        dep.set(CheckOutcome::degraded("slow"));
        let reg = background(&dep);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (close, closed) = watch::channel(false);
        let mut ready = watch(reg.clone(), HealthGroup::Readiness, closed.clone());
        let mut live = watch(reg.clone(), HealthGroup::Liveness, closed);
        assert_eq!(next(&mut ready).await, Some(ServingStatus::Serving));
        assert_eq!(next(&mut live).await, Some(ServingStatus::Serving));
        let begun = Instant::now();
        reg.begin_shutdown();
        assert_eq!(next(&mut ready).await, Some(ServingStatus::NotServing));
        assert_eq!(begun.elapsed(), Duration::ZERO);
        close.send_replace(true);
        assert_eq!(next(&mut ready).await, None);
        assert_eq!(next(&mut live).await, None, "liveness sent nothing more");
        reg.stop_background();
    }
}
