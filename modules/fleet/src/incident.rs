//! How polls open, extend and close incidents: one opens at the first poll where the target is
//! not serving, gathers the failing checks (or `poll`) of every poll while it lasts, and closes
//! at the next serving poll. Kept in the database by the poller ([`next`]); [`fold`] replays a
//! list of polls the same way (tests, and a check of the stored rows).
use crate::Poll;
use vitals_status::Incident;

/// What one poll does to the target's open incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing open and serving, or open and nothing new failing.
    Keep,
    /// Not serving, nothing open: a new incident with these checks.
    Open(Vec<String>),
    /// Not serving, one open: its checks become these (a superset).
    Extend(Vec<String>),
    /// Serving again: the open one ends at this poll (at its start if the poll is stamped
    /// earlier: another collector's clock behind).
    Close,
}

/// The step `poll` takes given the open incident's checks (`None`: none open).
pub(crate) fn next(open: Option<&[String]>, poll: &Poll) -> Step {
    match (open, poll.serving()) {
        (None, true) => Step::Keep,
        (Some(_), true) => Step::Close,
        (None, false) => Step::Open(poll.failing()),
        (Some(checks), false) => {
            let mut all = checks.to_vec();
            all.extend(poll.failing());
            all.sort();
            all.dedup();
            if all.len() == checks.len() {
                Step::Keep
            } else {
                Step::Extend(all)
            }
        }
    }
}

/// The incidents a series of polls (oldest first) makes, newest first.
pub fn fold<'a>(polls: impl IntoIterator<Item = &'a Poll>) -> Vec<Incident> {
    let mut done: Vec<Incident> = Vec::new();
    let mut open: Option<Incident> = None;
    for p in polls {
        match next(open.as_ref().map(|i| i.checks.as_slice()), p) {
            Step::Keep => {}
            Step::Open(checks) => {
                open = Some(Incident {
                    started_at_ms: p.at_ms,
                    ended_at_ms: None,
                    checks,
                });
            }
            Step::Extend(checks) => {
                if let Some(i) = open.as_mut() {
                    i.checks = checks;
                }
            }
            Step::Close => {
                if let Some(mut i) = open.take() {
                    i.ended_at_ms = Some(p.at_ms.max(i.started_at_ms));
                    done.push(i);
                }
            }
        }
    }
    done.extend(open);
    done.reverse();
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use vitals_status::{CheckDocument, StatusDocument, Word};

    fn poll(at_ms: u64, outcome: Result<(Word, &[&str]), &str>) -> Poll {
        Poll {
            target: "api".into(),
            url: "http://a/status/history".into(),
            at_ms,
            duration: Duration::ZERO,
            outcome: outcome
                .map(|(status, failing)| StatusDocument {
                    service: None,
                    generated_at_ms: at_ms,
                    started_at_ms: 0,
                    status,
                    details: false,
                    capacity: 1,
                    groups: vec![],
                    checks: failing
                        .iter()
                        .map(|n| CheckDocument {
                            name: (*n).into(),
                            groups: vec![],
                            status: Some(Word::Fail),
                            reason: None,
                            details: Default::default(),
                            readings: vec![],
                        })
                        .collect(),
                    transitions: vec![],
                })
                .map_err(str::to_owned),
        }
    }

    #[test]
    fn an_incident_opens_gathers_and_closes() {
        let polls = [
            poll(1_000, Ok((Word::Pass, &[]))),
            poll(2_000, Ok((Word::Fail, &["db"]))),
            poll(3_000, Err("connection refused")),
            poll(4_000, Ok((Word::Fail, &["db", "cache"]))),
            poll(5_000, Ok((Word::Warn, &[]))),
            poll(6_000, Ok((Word::Pass, &[]))),
            poll(7_000, Err("timed out")),
        ];
        let incidents = fold(&polls);
        assert_eq!(
            incidents,
            [
                Incident {
                    started_at_ms: 7_000,
                    ended_at_ms: None,
                    checks: vec!["poll".into()],
                },
                Incident {
                    started_at_ms: 2_000,
                    ended_at_ms: Some(5_000),
                    checks: vec!["cache".into(), "db".into(), "poll".into()],
                },
            ]
        );
        assert_eq!(incidents[1].duration_ms(99_000), 3_000);
        assert_eq!(incidents[0].duration_ms(9_500), 2_500);
    }

    #[test]
    fn a_repeated_failure_changes_nothing() {
        let open = ["db".to_owned()];
        assert_eq!(
            next(Some(&open), &poll(1, Ok((Word::Fail, &["db"])))),
            Step::Keep
        );
        assert_eq!(next(None, &poll(1, Ok((Word::Pass, &[])))), Step::Keep);
        assert_eq!(
            next(Some(&open), &poll(1, Ok((Word::Pass, &[])))),
            Step::Close
        );
    }
}
