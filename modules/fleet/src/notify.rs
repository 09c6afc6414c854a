//! The poller tells notifications about every poll of every target ([`observe_poll`]), through
//! the kernel's notifier (`vitals-notify`, provided to the modules when `VITALS_NOTIFY_*` is
//! set), which damps flaps and repeats itself.
use crate::Poll;
use std::time::{Duration, UNIX_EPOCH};
use vitals::HealthStatus;
use vitals_notify::{Failing, Notifier, Observation, Subject};
use vitals_status::Word;

/// The observation of one poll: the target's status (`fail` when it did not answer), when, and
/// what was not passing (`poll` with the reason when it did not answer).
pub(crate) fn observation(poll: &Poll) -> Observation {
    let failing = match &poll.outcome {
        Err(e) => vec![Failing::new("poll", e.clone())],
        Ok(doc) => doc
            .checks
            .iter()
            .filter(|c| c.status.is_some_and(|s| s != Word::Pass))
            .map(|c| Failing {
                check: c.name.clone(),
                reason: c.reason.clone(),
            })
            .collect(),
    };
    Observation {
        subject: Subject::target(poll.target.as_str()),
        status: HealthStatus::from(poll.status()),
        at: UNIX_EPOCH + Duration::from_millis(poll.at_ms),
        failing,
    }
}

/// Called by the poller for every poll of every target, once written.
pub(crate) fn observe_poll(notifier: Option<&Notifier>, poll: &Poll) {
    if let Some(n) = notifier {
        n.observe(observation(poll));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_notify::SubjectKind;

    #[test]
    fn a_poll_that_failed_is_an_unhealthy_target_failing_at_poll() {
        let p = Poll {
            target: "api".into(),
            url: "http://a/status/history".into(),
            at_ms: 1_500,
            duration: Duration::ZERO,
            outcome: Err("connection refused".into()),
        };
        let o = observation(&p);
        assert_eq!(o.subject.kind, SubjectKind::Target);
        assert_eq!(o.subject.name, "api");
        assert_eq!(o.status, HealthStatus::Unhealthy);
        assert_eq!(o.at, UNIX_EPOCH + Duration::from_millis(1_500));
        assert_eq!(o.failing, [Failing::new("poll", "connection refused")]);
    }
}
