//! One notification ([`Message`]) and its two bodies: the generic JSON document and Slack's
//! `{"text": …}`.
use crate::config::Format;
use crate::observation::{Failing, Subject, SubjectKind};
use crate::rules::{Event, Transition};
use serde_json::{Value, json};
use std::fmt::Write as _;
use vitals::HealthStatus;

/// Longest reason a message carries, in bytes; longer ones are cut at a character boundary and
/// end in `…`.
pub(crate) const MAX_REASON_BYTES: usize = 256;

/// A notification due, as queued for every webhook: built once by `observe`, rendered by each
/// webhook's delivery task, and sent under the same `id` at every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// Unique, and the same at every attempt (the `Idempotency-Key`).
    pub(crate) id: String,
    pub(crate) transition: Transition,
    pub(crate) subject: Subject,
    pub(crate) service: Option<String>,
    /// Reasons already removed unless details are on.
    pub(crate) failing: Vec<Failing>,
    pub(crate) link: Option<String>,
}

/// A reason cut to [`MAX_REASON_BYTES`].
pub(crate) fn clip(reason: &str) -> String {
    if reason.len() <= MAX_REASON_BYTES {
        return reason.to_owned();
    }
    let mut end = MAX_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end])
}

impl Message {
    /// The body POSTed to a webhook of `format`.
    pub(crate) fn body(&self, format: Format) -> String {
        match format {
            Format::Json => self.json().to_string(),
            Format::Slack => json!({ "text": self.slack_text() }).to_string(),
        }
    }

    fn json(&self) -> Value {
        let t = &self.transition;
        let mut subject = json!({ "kind": self.subject.kind.as_str(), "name": self.subject.name });
        if let Some(service) = self
            .service
            .as_ref()
            .filter(|_| self.subject.kind != SubjectKind::Target)
        {
            subject["service"] = json!(service);
        }
        let failing: Vec<Value> = self
            .failing
            .iter()
            .map(|f| match &f.reason {
                Some(r) => json!({ "check": f.check, "reason": r }),
                None => json!({ "check": f.check }),
            })
            .collect();
        let mut doc = json!({
            "id": self.id,
            "event": t.event.as_str(),
            "subject": subject,
            "from": t.from.as_str(),
            "to": t.to.as_str(),
            "since": humantime::format_rfc3339_millis(t.since).to_string(),
            "failing": failing,
        });
        if let Some(link) = &self.link {
            doc["link"] = json!(link);
        }
        doc
    }

    /// One readable line, e.g. `:red_circle: readiness of orders is unhealthy since
    /// 2026-12-02T08:00:30Z: db (connection refused) — <https://status.example/>`.
    pub(crate) fn slack_text(&self) -> String {
        let t = &self.transition;
        let icon = match t.to {
            HealthStatus::Healthy => ":large_green_circle:",
            HealthStatus::Degraded => ":large_yellow_circle:",
            HealthStatus::Unhealthy => ":red_circle:",
        };
        let name = escape(&self.subject.name);
        let mut text = match (self.subject.kind, &self.service) {
            (SubjectKind::Check, Some(s)) => format!("{icon} check {name} of {}", escape(s)),
            (SubjectKind::Check, None) => format!("{icon} check {name}"),
            (SubjectKind::Group, Some(s)) => format!("{icon} {name} of {}", escape(s)),
            (SubjectKind::Group, None) | (SubjectKind::Target, _) => format!("{icon} {name}"),
        };
        let since = humantime::format_rfc3339_seconds(t.since);
        let _ = match t.event {
            Event::Recovered => write!(text, " is healthy again since {since} (was {})", t.from),
            Event::Repeat => write!(text, " is still {} since {since}", t.to),
            Event::Down | Event::Degraded => write!(text, " is {} since {since}", t.to),
        };
        if t.to != HealthStatus::Healthy && !self.failing.is_empty() {
            let list: Vec<String> = self
                .failing
                .iter()
                .map(|f| match &f.reason {
                    Some(r) => format!("{} ({})", escape(&f.check), escape(r)),
                    None => escape(&f.check),
                })
                .collect();
            let _ = write!(text, ": {}", list.join(", "));
        }
        if let Some(link) = &self.link {
            let _ = write!(text, " — <{}>", escape(link));
        }
        text
    }
}

/// Slack's three control characters in text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn message(event: Event, from: HealthStatus, to: HealthStatus, kind: SubjectKind) -> Message {
        Message {
            id: "abc-1".to_owned(),
            transition: Transition {
                event,
                from,
                to,
                since: SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_662_430_250),
            },
            subject: Subject {
                kind,
                name: "readiness".to_owned(),
            },
            service: Some("orders".to_owned()),
            failing: vec![
                Failing::new("db", "connection <refused> & gone"),
                Failing::named("cache"),
            ],
            link: Some("https://status.example/orders".to_owned()),
        }
    }

    #[test]
    fn slack_lines_read_as_sentences_and_escape_control_characters() {
        use HealthStatus::*;
        let table = [
            (
                message(Event::Down, Healthy, Unhealthy, SubjectKind::Group),
                ":red_circle: readiness of orders is unhealthy since 2025-12-02T08:00:30Z: db (connection &lt;refused&gt; &amp; gone), cache — <https://status.example/orders>",
            ),
            (
                message(Event::Degraded, Unhealthy, Degraded, SubjectKind::Check),
                ":large_yellow_circle: check readiness of orders is degraded since 2025-12-02T08:00:30Z: db (connection &lt;refused&gt; &amp; gone), cache — <https://status.example/orders>",
            ),
            (
                message(Event::Recovered, Degraded, Healthy, SubjectKind::Target),
                ":large_green_circle: readiness is healthy again since 2025-12-02T08:00:30Z (was degraded) — <https://status.example/orders>",
            ),
            (
                message(Event::Repeat, Unhealthy, Unhealthy, SubjectKind::Group),
                ":red_circle: readiness of orders is still unhealthy since 2025-12-02T08:00:30Z: db (connection &lt;refused&gt; &amp; gone), cache — <https://status.example/orders>",
            ),
        ];
        for (m, want) in table {
            assert_eq!(m.slack_text(), want);
        }
    }

    #[test]
    fn json_leaves_out_what_is_absent() {
        let mut m = message(
            Event::Down,
            HealthStatus::Healthy,
            HealthStatus::Unhealthy,
            SubjectKind::Target,
        );
        // A target is a service itself: the notifier's own service is not named.
        m.link = None;
        m.failing = vec![Failing::named("db")];
        assert_eq!(
            m.body(Format::Json),
            r#"{"id":"abc-1","event":"down","subject":{"kind":"target","name":"readiness"},"from":"healthy","to":"unhealthy","since":"2025-12-02T08:00:30.250Z","failing":[{"check":"db"}]}"#
        );
    }

    #[test]
    fn long_reasons_are_clipped_at_a_character_boundary() {
        let long = "é".repeat(200);
        let clipped = clip(&long);
        assert_eq!(clipped.len(), MAX_REASON_BYTES + "…".len());
        assert!(clipped.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }
}
