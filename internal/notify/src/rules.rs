//! When a subject's readings make a notification: the per-subject state machine ([`Rules`],
//! [`SubjectState`]), pure (readings in, [`Transition`]s out; no clock, no I/O).
//!
//! - A subject starts from an assumed `healthy` baseline: one failing from its first reading is
//!   notified once the new status holds.
//! - A status differing from the last notified one *holds* when it is seen in `hold_readings`
//!   consecutive readings, or (with `hold_time`) on a later reading at least `hold_time` after
//!   its first. A reading of another status restarts the count; a reading of the notified status
//!   cancels it (a blip sends nothing).
//! - While the notified status is not healthy, a reading at least `repeat` after the last
//!   message repeats it.
use std::time::{Duration, SystemTime};
use vitals::HealthStatus;

/// What a message says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Event {
    /// Now unhealthy (from healthy or degraded).
    Down,
    /// Now degraded (from healthy or unhealthy).
    Degraded,
    /// Healthy again.
    Recovered,
    /// Still degraded or unhealthy, `repeat` after the last message.
    Repeat,
}

impl Event {
    /// Lower-case name, as in the JSON payload.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Degraded => "degraded",
            Self::Recovered => "recovered",
            Self::Repeat => "repeat",
        }
    }
}

/// A notification due: `from` → `to`, the new status seen first at `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// What happened.
    pub(crate) event: Event,
    /// The status notified before (for a repeat, the same as `to`).
    pub(crate) from: HealthStatus,
    /// The status notified now.
    pub(crate) to: HealthStatus,
    /// The first reading of `to`.
    pub(crate) since: SystemTime,
}

/// The thresholds every subject is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Consecutive readings a new status needs (at least 1).
    pub(crate) hold_readings: u32,
    /// Or: how long a new status needs to have held, seen on a later reading.
    pub(crate) hold_time: Option<Duration>,
    /// Interval of repeats while not healthy (`None`: never).
    pub(crate) repeat: Option<Duration>,
}

/// What was last notified of a subject: its status (`healthy` before any message), since when
/// it has held, and when the last message about it was queued. A process that hands subjects
/// over to another (the fleet view's poller, under its lease) keeps this beside its data and
/// restores it in the next holder, so that a recovery is told by whoever sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notified {
    /// The status last notified.
    pub status: HealthStatus,
    /// The first reading of that status.
    pub since: Option<SystemTime>,
    /// When the last message (change or repeat) was queued.
    pub last_message: Option<SystemTime>,
}

impl Default for Notified {
    fn default() -> Self {
        Self {
            status: HealthStatus::Healthy,
            since: None,
            last_message: None,
        }
    }
}

/// One subject's state: what was notified, and the status waiting to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubjectState {
    notified: HealthStatus,
    since: Option<SystemTime>,
    last_message: Option<SystemTime>,
    pending: Option<Pending>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    status: HealthStatus,
    readings: u32,
    first: SystemTime,
}

impl Default for SubjectState {
    fn default() -> Self {
        Self {
            notified: HealthStatus::Healthy,
            since: None,
            last_message: None,
            pending: None,
        }
    }
}

fn elapsed(from: SystemTime, to: SystemTime) -> Duration {
    to.duration_since(from).unwrap_or_default()
}

impl SubjectState {
    /// The last status notified (`healthy` before any).
    #[cfg(test)]
    pub(crate) fn notified(&self) -> HealthStatus {
        self.notified
    }

    /// What was notified (without the status waiting to hold).
    pub(crate) fn snapshot(&self) -> Notified {
        Notified {
            status: self.notified,
            since: self.since,
            last_message: self.last_message,
        }
    }

    /// The state of a subject of which `n` was notified, nothing waiting to hold.
    pub(crate) fn restored(n: Notified) -> Self {
        Self {
            notified: n.status,
            since: n.since,
            last_message: n.last_message,
            pending: None,
        }
    }

    /// Takes one reading; returns the notification it makes, if any.
    pub(crate) fn step(
        &mut self,
        rules: &Rules,
        status: HealthStatus,
        at: SystemTime,
    ) -> Option<Transition> {
        if status == self.notified {
            self.pending = None;
            let repeat = rules.repeat?;
            let last = self.last_message?;
            if status == HealthStatus::Healthy || elapsed(last, at) < repeat {
                return None;
            }
            self.last_message = Some(at);
            return Some(Transition {
                event: Event::Repeat,
                from: status,
                to: status,
                since: self.since.unwrap_or(last),
            });
        }
        let pending = match self.pending {
            Some(mut p) if p.status == status => {
                p.readings = p.readings.saturating_add(1);
                p
            }
            _ => Pending {
                status,
                readings: 1,
                first: at,
            },
        };
        let held = pending.readings >= rules.hold_readings.max(1)
            || rules
                .hold_time
                .is_some_and(|t| pending.readings >= 2 && elapsed(pending.first, at) >= t);
        if !held {
            self.pending = Some(pending);
            return None;
        }
        let from = self.notified;
        self.notified = status;
        self.since = Some(pending.first);
        self.last_message = Some(at);
        self.pending = None;
        Some(Transition {
            event: match status {
                HealthStatus::Healthy => Event::Recovered,
                HealthStatus::Degraded => Event::Degraded,
                HealthStatus::Unhealthy => Event::Down,
            },
            from,
            to: status,
            since: pending.first,
        })
    }
}

#[cfg(test)]
mod tests;
