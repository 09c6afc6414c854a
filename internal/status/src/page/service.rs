//! The service page: header (service, overall status, started and generated times, whether
//! details are shown), the groups, the checks with their charts, the last transitions.
use super::PageOptions;
use super::checks::{checks, slots};
use super::format::{Span, Utc};
use super::html::{badge, close, esc, open, put};
use crate::{StatusDocument, TransitionDocument};

/// Transitions listed, newest first.
const TRANSITIONS_SHOWN: usize = 50;

pub(super) fn page(doc: &StatusDocument, opts: &PageOptions<'_>) -> String {
    let mut out = String::with_capacity(8 * 1024 + doc.checks.len() * 12 * 1024);
    let title = doc
        .service
        .as_ref()
        .map_or("Service status", |s| s.name.as_str());
    open(&mut out, title, Some(doc.status), opts);
    out.push_str("<header><h1>");
    match &doc.service {
        Some(s) => put!(
            &mut out,
            "{} <small>{}</small>",
            esc(&s.name),
            esc(&s.version)
        ),
        None => out.push_str("Service status"),
    }
    out.push_str("</h1>");
    badge(&mut out, Some(doc.status));
    out.push_str("<p class=\"meta\">");
    if doc.started_at_ms > 0 {
        put!(
            &mut out,
            "Started <span class=\"t\">{}</span> (up {}) · ",
            Utc(doc.started_at_ms),
            Span(doc.generated_at_ms.saturating_sub(doc.started_at_ms))
        );
    }
    put!(
        &mut out,
        "Generated <span class=\"t\">{}</span> UTC · {}</p></header>\n<main>\n",
        Utc(doc.generated_at_ms),
        if doc.details {
            "reasons and details shown"
        } else {
            "reasons and details withheld"
        }
    );
    groups(&mut out, doc);
    checks(
        &mut out,
        &doc.checks,
        slots(&doc.checks, doc.capacity),
        doc.generated_at_ms,
    );
    transitions(&mut out, &doc.transitions);
    out.push_str("</main>\n");
    close(&mut out, &[("/history", "history (JSON)")], opts);
    out
}

fn groups(out: &mut String, doc: &StatusDocument) {
    out.push_str("<h2>Groups</h2><ul class=\"pills\">");
    for g in &doc.groups {
        out.push_str("<li>");
        badge(out, Some(g.status));
        put!(out, "{}</li>", esc(&g.name));
    }
    out.push_str("</ul>\n");
}

fn transitions(out: &mut String, list: &[TransitionDocument]) {
    if list.len() > TRANSITIONS_SHOWN {
        put!(
            out,
            "<h2>Last transitions ({TRANSITIONS_SHOWN} of {})</h2>",
            list.len()
        );
    } else {
        put!(out, "<h2>Last transitions ({})</h2>", list.len());
    }
    if list.is_empty() {
        out.push_str("<p class=\"mute\">No status change yet.</p>\n");
        return;
    }
    out.push_str(
        "<div class=\"card scroll\"><table><thead><tr><th>Time</th><th>Check</th>\
         <th>Change</th><th>Reason</th></tr></thead><tbody>",
    );
    for t in list.iter().rev().take(TRANSITIONS_SHOWN) {
        put!(
            out,
            "<tr><td class=\"t\">{}</td><td>{}</td><td class=\"t\">",
            Utc(t.at_ms),
            esc(&t.check)
        );
        match t.from {
            Some(from) => badge(out, Some(from)),
            None => out.push_str("<span class=\"mute\">new</span>"),
        }
        out.push_str(" → ");
        badge(out, Some(t.to));
        out.push_str("</td><td class=\"reason\">");
        if let Some(r) = &t.reason {
            put!(out, "{}", esc(r));
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>\n");
}
