//! Polling: one `GET` of each target's status document, every target at once, each on a
//! blocking thread under the poll timeout. A poll yields the document or a short reason; the
//! configured header's value never appears in one.
use crate::config::{FleetConfig, Target};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use vitals_status::{StatusDocument, Word, unix_ms};

/// Longest status document read (bytes); a longer one fails the poll.
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 20;
/// Longest reason kept for a failed poll or a reading (bytes).
pub const MAX_REASON_BYTES: usize = 512;
/// Oldest a document may be when polled, by its `generated_at_ms` against the poll's start: a
/// service makes its document at each request, so an older one comes from a cache or a
/// replica that stopped (a minute allows for the two clocks' skew). It fails the poll.
pub(crate) const MAX_DOCUMENT_AGE: Duration = Duration::from_secs(60);

/// What one poll of one target found.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// The target's configured name.
    pub target: String,
    /// Where it was polled.
    pub url: String,
    /// When the poll started (the collector's clock, Unix milliseconds).
    pub at_ms: u64,
    /// How long it took.
    pub duration: Duration,
    /// The target's document, or why there was none (`connection refused`, `HTTP 500`, …).
    pub outcome: Result<StatusDocument, String>,
}

impl Poll {
    /// The target's status: its readiness, or `fail` when the poll failed.
    pub fn status(&self) -> Word {
        match &self.outcome {
            Ok(doc) => doc.status,
            Err(_) => Word::Fail,
        }
    }

    /// Whether the target was serving (`pass` or `warn`).
    pub fn serving(&self) -> bool {
        self.status() != Word::Fail
    }

    /// What was failing: the checks whose status is `fail` (`readiness` when the service failed
    /// with none of them failing), `poll` when the service did not answer; empty when serving.
    pub fn failing(&self) -> Vec<String> {
        match &self.outcome {
            Err(_) => vec!["poll".into()],
            Ok(_) if self.serving() => Vec::new(),
            Ok(doc) => {
                let mut names: Vec<String> = doc
                    .checks
                    .iter()
                    .filter(|c| c.status == Some(Word::Fail))
                    .map(|c| c.name.clone())
                    .collect();
                if names.is_empty() {
                    names.push("readiness".into());
                }
                names.sort();
                names.dedup();
                names
            }
        }
    }

    /// The poll error, if any.
    pub fn error(&self) -> Option<&str> {
        self.outcome.as_ref().err().map(String::as_str)
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary.
pub(crate) fn bounded(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Most checks kept from one document; longest check name kept (bytes); most readings kept per
/// check (a service keeps 120 by default), and in all (a poll's rows in the cycle's transaction).
const MAX_CHECKS: usize = 256;
const MAX_NAME_BYTES: usize = 128;
const MAX_READINGS: usize = 1_000;
const MAX_DOCUMENT_READINGS: usize = 10_000;

/// What a document may put in the database: at most [`MAX_CHECKS`] checks with names of at most
/// [`MAX_NAME_BYTES`] (others dropped), their last [`MAX_READINGS`] readings (fewer when they
/// would pass [`MAX_DOCUMENT_READINGS`] in all), reasons and the service's name and version cut
/// to size. A target, trusted or not, cannot grow a row or a poll's write past that.
fn bounded_document(mut doc: StatusDocument) -> StatusDocument {
    doc.checks
        .retain(|c| !c.name.is_empty() && c.name.len() <= MAX_NAME_BYTES);
    doc.checks.truncate(MAX_CHECKS);
    let per_check = MAX_READINGS.min(MAX_DOCUMENT_READINGS / doc.checks.len().max(1));
    for c in &mut doc.checks {
        let extra = c.readings.len().saturating_sub(per_check);
        c.readings.drain(..extra);
        c.reason = c.reason.take().map(|r| bounded(r, MAX_REASON_BYTES));
        for r in &mut c.readings {
            r.reason = r.reason.take().map(|r| bounded(r, MAX_REASON_BYTES));
        }
        c.groups.truncate(16);
        for g in &mut c.groups {
            *g = bounded(std::mem::take(g), MAX_NAME_BYTES);
        }
        if serde_json::to_string(&c.details).map_or(true, |d| d.len() > 4 * MAX_REASON_BYTES) {
            c.details.clear();
        }
    }
    if let Some(s) = &mut doc.service {
        s.name = bounded(std::mem::take(&mut s.name), MAX_NAME_BYTES);
        s.version = bounded(std::mem::take(&mut s.version), MAX_NAME_BYTES);
    }
    doc.transitions.clear(); // not kept: incidents come from the polls
    doc
}

/// Polls every target of a configuration.
pub struct Poller {
    targets: Vec<Target>,
    header: Option<(String, String)>,
    timeout: Duration,
    agent: ureq::Agent,
}

impl Poller {
    /// A poller of `config`'s targets: statuses are answers, redirects never followed (the
    /// header stays with the configured origin), each poll bounded by the timeout.
    pub fn new(config: &FleetConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(config.timeout))
            .build()
            .new_agent();
        Self {
            targets: config.targets.clone(),
            header: config.header.clone(),
            timeout: config.timeout,
            agent,
        }
    }

    /// Polls every target at once; one [`Poll`] per target, in configuration order. Each poll
    /// is bounded by the timeout (plus a margin for its thread to be scheduled); a poll whose
    /// thread outlives it is reported as timed out and left to finish on its own.
    pub async fn poll_all(self: &Arc<Self>) -> Vec<Poll> {
        let started: Vec<_> = (0..self.targets.len())
            .map(|i| {
                let me = self.clone();
                let at = SystemTime::now();
                let clock = Instant::now();
                let task = tokio::task::spawn_blocking(move || me.fetch(&me.targets[i].url));
                (i, at, clock, task)
            })
            .collect();
        let limit = self.timeout + Duration::from_millis(250);
        let mut polls = Vec::with_capacity(started.len());
        for (i, at, clock, task) in started {
            let outcome =
                match tokio::time::timeout(limit.saturating_sub(clock.elapsed()), task).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) if e.is_panic() => Err("poll panicked".into()),
                    Ok(Err(_)) => Err("poll cancelled".into()),
                    Err(_) => Err(format!(
                        "timed out after {}",
                        humantime::format_duration(self.timeout)
                    )),
                };
            let t = &self.targets[i];
            let at_ms = unix_ms(at);
            polls.push(Poll {
                target: t.name.clone(),
                url: t.url.clone(),
                at_ms,
                duration: clock.elapsed(),
                outcome: outcome
                    .and_then(|doc| fresh(doc, at_ms))
                    .map_err(|e| bounded(e, MAX_REASON_BYTES)),
            });
        }
        polls
    }

    fn fetch(&self, url: &str) -> Result<StatusDocument, String> {
        let mut req = self.agent.get(url).header("Accept", "application/json");
        if let Some((name, value)) = &self.header {
            req = req.header(name, value);
        }
        let mut resp = req.call().map_err(|e| short(&e))?;
        match resp.status().as_u16() {
            200..=299 => {}
            s @ 300..=399 => return Err(format!("HTTP {s}: redirects are not followed")),
            s @ (401 | 403) if self.header.is_some() => {
                return Err(format!(
                    "HTTP {s}: the credentials of VITALS_STATUS_POLL_HEADER were refused"
                ));
            }
            s => return Err(format!("HTTP {s}")),
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOCUMENT_BYTES)
            .read_to_string()
            .map_err(|e| format!("reading the status document: {}", short(&e)))?;
        serde_json::from_str(&body)
            .map(bounded_document)
            .map_err(|e| format!("not a status document: {e}"))
    }
}

/// `doc` if it was made at most [`MAX_DOCUMENT_AGE`] before the poll started at `at_ms`.
fn fresh(doc: StatusDocument, at_ms: u64) -> Result<StatusDocument, String> {
    let age = Duration::from_millis(at_ms.saturating_sub(doc.generated_at_ms));
    if age > MAX_DOCUMENT_AGE {
        return Err(format!(
            "stale document: made {} before the poll (a cache, or a replica that stopped?)",
            humantime::format_duration(Duration::from_secs(age.as_secs()))
        ));
    }
    Ok(doc)
}

/// A client error in a few words, without the URL (which `ureq` may quote).
fn short(e: &ureq::Error) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => "timed out".into(),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::ConnectionReset => "connection reset".into(),
            std::io::ErrorKind::TimedOut => "timed out".into(),
            std::io::ErrorKind::UnexpectedEof => "connection closed early".into(),
            k => format!("i/o error: {k}"),
        },
        E::HostNotFound => "host not found".into(),
        E::ConnectionFailed => "connection failed".into(),
        E::BodyExceedsLimit(_) => format!("document over {MAX_DOCUMENT_BYTES} bytes"),
        E::TooManyRedirects | E::RedirectFailed => "redirect refused".into(),
        E::Tls(_) | E::Rustls(_) => "TLS failure".into(),
        other => {
            let text = other.to_string();
            // ureq's texts name the request line at most; never the header's value.
            bounded(text, 120)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_status::CheckDocument;

    fn doc(status: Word, checks: &[(&str, Word)]) -> StatusDocument {
        StatusDocument {
            service: None,
            generated_at_ms: 1,
            started_at_ms: 0,
            status,
            details: false,
            capacity: 10,
            groups: vec![],
            checks: checks
                .iter()
                .map(|(n, s)| CheckDocument {
                    name: (*n).into(),
                    groups: vec!["readiness".into()],
                    status: Some(*s),
                    reason: None,
                    details: Default::default(),
                    readings: vec![],
                })
                .collect(),
            transitions: vec![],
        }
    }

    fn poll(outcome: Result<StatusDocument, String>) -> Poll {
        Poll {
            target: "api".into(),
            url: "http://a/status/history".into(),
            at_ms: 1,
            duration: Duration::ZERO,
            outcome,
        }
    }

    #[test]
    fn a_document_made_over_a_minute_before_the_poll_fails_it() {
        let at = 10 * 60 * 1000;
        let made = |ms| StatusDocument {
            generated_at_ms: ms,
            ..doc(Word::Pass, &[])
        };
        assert!(fresh(made(at), at).is_ok());
        assert!(fresh(made(at - 60_000), at).is_ok(), "a minute's skew");
        assert!(fresh(made(at + 3_600_000), at).is_ok(), "made ahead");
        assert_eq!(
            fresh(made(at - 60_001), at).unwrap_err(),
            "stale document: made 1m before the poll (a cache, or a replica that stopped?)"
        );
        assert_eq!(
            fresh(made(1), at).unwrap_err(),
            "stale document: made 9m 59s before the poll (a cache, or a replica that stopped?)"
        );
    }

    #[test]
    fn failing_names_the_failing_checks_or_the_poll() {
        let p = poll(Ok(doc(
            Word::Fail,
            &[
                ("db", Word::Fail),
                ("cache", Word::Fail),
                ("ping", Word::Pass),
            ],
        )));
        assert!(!p.serving());
        assert_eq!(p.failing(), ["cache", "db"]);
        let p = poll(Ok(doc(Word::Warn, &[("cache", Word::Fail)])));
        assert!(p.serving());
        assert!(p.failing().is_empty());
        let p = poll(Err("connection refused".into()));
        assert_eq!(
            (p.status(), p.failing()),
            (Word::Fail, vec!["poll".to_owned()])
        );
        assert_eq!(poll(Ok(doc(Word::Fail, &[]))).failing(), ["readiness"]);
    }

    #[test]
    fn a_document_is_cut_to_size_before_it_is_kept() {
        let mut d = doc(Word::Pass, &[("db", Word::Pass)]);
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        d.checks.push(CheckDocument {
            name: long,
            ..d.checks[0].clone()
        });
        d.checks[0].reason = Some("r".repeat(5_000));
        d.checks[0].readings = (0..1_500)
            .map(|i| vitals_status::ReadingDocument {
                at_ms: i,
                status: Word::Pass,
                duration_seconds: 0.0,
                reason: None,
            })
            .collect();
        let d = bounded_document(d);
        assert_eq!(
            d.checks.len(),
            1,
            "the check with a too long name is dropped"
        );
        assert_eq!(d.checks[0].reason.as_ref().unwrap().len(), MAX_REASON_BYTES);
        assert_eq!(d.checks[0].readings.len(), MAX_READINGS);
        assert_eq!(d.checks[0].readings[0].at_ms, 500, "the newest kept");
    }

    #[test]
    fn a_document_keeps_at_most_ten_thousand_readings_in_all() {
        let mut d = doc(Word::Pass, &[]);
        let reading = |at_ms| vitals_status::ReadingDocument {
            at_ms,
            status: Word::Pass,
            duration_seconds: 0.0,
            reason: None,
        };
        d.checks = (0..MAX_CHECKS + 10)
            .map(|i| CheckDocument {
                name: format!("c{i}"),
                groups: vec![],
                status: Some(Word::Pass),
                reason: None,
                details: Default::default(),
                readings: (0..MAX_READINGS as u64).map(reading).collect(),
            })
            .collect();
        let d = bounded_document(d);
        assert_eq!(d.checks.len(), MAX_CHECKS);
        let all: usize = d.checks.iter().map(|c| c.readings.len()).sum();
        assert!(all <= MAX_DOCUMENT_READINGS, "{all}");
        assert_eq!(
            d.checks[0].readings.len(),
            MAX_DOCUMENT_READINGS / MAX_CHECKS
        );
        assert_eq!(
            d.checks[0].readings.last().unwrap().at_ms,
            MAX_READINGS as u64 - 1,
            "the newest kept"
        );
    }

    #[test]
    fn bounded_cuts_at_a_character_boundary() {
        assert_eq!(bounded("héllo".into(), 2), "h");
        assert_eq!(bounded("abc".into(), 5), "abc");
    }
}
