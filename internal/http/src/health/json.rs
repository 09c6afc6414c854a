use serde_json::{Map, Value, json};
use vitals::HealthStatus;
use vitals_health::HealthReport;

/// Renders a report in the IETF "Health Check Response Format for HTTP APIs" shape.
///
/// Each check is `checks.<name>[0]` with `status`, `time`, `duration` (seconds), `critical`,
/// and, when not passing, `output`: the reason, or `reason withheld` without detail access.
pub(crate) fn render(report: &HealthReport, details: bool) -> Value {
    let mut checks = Map::new();
    for c in &report.checks {
        let mut entry = Map::new();
        entry.insert("status".into(), c.status.ietf().into());
        if let Some(at) = c.at {
            entry.insert(
                "time".into(),
                humantime::format_rfc3339_millis(at).to_string().into(),
            );
        }
        entry.insert("duration".into(), json!(c.duration.as_secs_f64()));
        entry.insert("critical".into(), c.critical.into());
        if c.status != HealthStatus::Healthy || c.outcome.error().is_some() {
            let output = match (details, c.outcome.error()) {
                (true, Some(reason)) => reason,
                (true, None) => c.status.as_str(),
                (false, _) => "reason withheld",
            };
            entry.insert("output".into(), output.into());
        }
        if details && !c.outcome.details().is_empty() {
            entry.insert("details".into(), Value::Object(c.outcome.details().clone()));
        }
        checks.insert(c.name.clone(), Value::Array(vec![Value::Object(entry)]));
    }
    let mut body = Map::new();
    body.insert("status".into(), report.status.ietf().into());
    body.insert("description".into(), report.group.as_str().into());
    if report.shutting_down {
        body.insert("output".into(), "shutting down".into());
    }
    let notes = notes(report);
    if !notes.is_empty() {
        body.insert("notes".into(), notes.into());
    }
    body.insert("checks".into(), Value::Object(checks));
    Value::Object(body)
}

fn notes(report: &HealthReport) -> Vec<String> {
    report
        .excluded
        .iter()
        .map(|n| format!("{n} excluded"))
        .chain(
            report
                .unknown_excludes
                .iter()
                .map(|n| format!("cannot exclude {n:?}: no such check in this group")),
        )
        .collect()
}
