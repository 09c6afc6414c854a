//! The checks of a service, as the service page and the fleet's target page both show them:
//! per check its badge, name, groups, the share of passing readings, latest reason and details
//! (when the document has them), the status strip and the latency sparkline.
use super::format::{Clock, Latency, Span};
use super::html::{badge, esc, put};
use super::svg::{max_seconds, sparkline, strip};
use crate::{CheckDocument, Word};

/// Every check in one card; `slots` is how many readings a chart is wide (the history's
/// capacity), `now_ms` when the document was made (tooltips on its day show no date).
pub(super) fn checks(out: &mut String, checks: &[CheckDocument], slots: usize, now_ms: u64) {
    put!(out, "<h2>Checks ({})</h2>", checks.len());
    if checks.is_empty() {
        out.push_str("<p class=\"mute\">No checks registered.</p>");
        return;
    }
    out.push_str("<div class=\"card\">");
    for c in checks {
        check(out, c, slots, now_ms);
    }
    out.push_str("</div>\n");
}

/// Readings drawn per check at most: a longer history (a large `VITALS_STATUS_HISTORY`, the
/// fleet's store) shows its last ones, so a page stays light; the JSON carries them all.
pub(super) const MAX_DRAWN: usize = 240;

/// The slots a chart needs for these checks: `capacity`, or the longest history when longer,
/// [`MAX_DRAWN`] at most.
pub(super) fn slots(checks: &[CheckDocument], capacity: usize) -> usize {
    checks
        .iter()
        .map(|c| c.readings.len())
        .fold(capacity, usize::max)
        .min(MAX_DRAWN)
}

fn check(out: &mut String, c: &CheckDocument, slots: usize, now_ms: u64) {
    let readings = &c.readings[c.readings.len().saturating_sub(slots)..];
    out.push_str("<article class=\"check\"><div class=\"head\">");
    badge(out, c.status);
    put!(out, "<h3>{}</h3>", esc(&c.name));
    for g in &c.groups {
        put!(out, "<span class=\"tag\">{}</span>", esc(g));
    }
    let n = readings.len();
    if n > 0 {
        let passed = readings.iter().filter(|r| r.status == Word::Pass).count();
        put!(out, "<span class=\"sub\">{passed}/{n} pass</span>");
    } else {
        out.push_str("<span class=\"sub\">no reading yet</span>");
    }
    out.push_str("</div>");
    if let Some(reason) = &c.reason {
        put!(out, "<p class=\"reason\">{}</p>", esc(reason));
    }
    if !c.details.is_empty() {
        out.push_str("<dl>");
        for (k, v) in &c.details {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            put!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&text));
        }
        out.push_str("</dl>");
    }
    out.push_str("<div class=\"charts\"><div>");
    strip(out, readings, slots, now_ms);
    out.push_str("<small><span>status");
    if let (Some(first), Some(last)) = (readings.first(), readings.last()) {
        put!(
            out,
            " · {}</span><span>last {}",
            Span(last.at_ms.saturating_sub(first.at_ms)),
            Clock(last.at_ms, now_ms)
        );
    }
    out.push_str("</span></small></div><div>");
    sparkline(out, readings, slots);
    match readings.last() {
        Some(last) => put!(
            out,
            "<small><span>latency · last {}</span><span>max {}</span></small>",
            Latency(last.duration_seconds),
            Latency(max_seconds(readings))
        ),
        None => out.push_str("<small><span>latency</span></small>"),
    }
    out.push_str("</div></div></article>\n");
}
