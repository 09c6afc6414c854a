//! One `Watch` stream: the group's serving status now, then each change, woken by the
//! registry's change signal (or the moment a reading goes stale), never by a timer of its own.
use crate::health::{response, serving};
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
            let report = self.registry.run_group(&self.group, &[]).await;
            return (serving(report.status), None);
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
