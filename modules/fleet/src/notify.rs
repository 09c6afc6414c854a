//! Where the poller tells notifications about every poll: `vitals-notify`'s
//! `Notifier::observe(Observation { subject: Subject { kind: SubjectKind::Target, name }, status,
//! at, failing })` goes in [`observe_poll`] once that crate's API has landed (it damps flaps
//! itself, so every poll of every target is passed on).
use crate::Poll;

/// Called by the poller for every poll of every target, after it was written. Today it only
/// traces the poll: the notifier's call goes here.
pub(crate) fn observe_poll(poll: &Poll) {
    tracing::trace!(
        target_name = %poll.target,
        status = poll.status().as_str(),
        at_ms = poll.at_ms,
        failing = ?poll.failing(),
        "fleet poll observed"
    );
}
