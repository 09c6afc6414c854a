//! The fleet page: a summary of the targets by status, then one row per target with its
//! service, status, uptime over 24 h / 7 d / 30 d, last poll, poll error, open incident and
//! count of incidents; each name links to the target's page.
use super::PageOptions;
use super::format::{Percent, Span, Utc, uptime_class};
use super::html::{Segment, badge, close, esc, open, prefix, put};
use crate::{FleetDocument, TargetDocument, Word};

pub(super) fn page(doc: &FleetDocument, opts: &PageOptions<'_>) -> String {
    let mut out = String::with_capacity(4 * 1024 + doc.targets.len() * 1024);
    let status = overall(doc);
    open(&mut out, "Fleet", status, opts);
    out.push_str("<header><h1>Fleet</h1>");
    badge(&mut out, status);
    put!(
        &mut out,
        "<p class=\"meta\">{} targets · generated <span class=\"t\">{}</span> UTC · {}</p>\
         </header>\n<main>\n",
        doc.targets.len(),
        Utc(doc.generated_at_ms),
        if doc.details {
            "poll errors shown"
        } else {
            "poll errors withheld"
        }
    );
    if doc.unavailable {
        out.push_str(UNAVAILABLE);
    }
    summary(&mut out, doc);
    out.push_str("<h2>Targets</h2>");
    if doc.targets.is_empty() {
        out.push_str("<p class=\"mute\">No targets configured.</p>\n");
    } else {
        out.push_str(
            "<div class=\"card scroll\"><table><thead><tr><th>Target</th><th>Service</th>\
             <th>Status</th><th class=\"n\">24 h</th><th class=\"n\">7 d</th>\
             <th class=\"n\">30 d</th><th>Last poll</th><th>Incident</th>\
             <th class=\"n\">Incidents</th></tr></thead><tbody>\n",
        );
        for t in &doc.targets {
            row(&mut out, t, doc, opts);
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</main>\n");
    close(&mut out, &[("/fleet", "fleet (JSON)")], opts);
    out
}

/// The fleet's status: the worst of the polled targets' (`None` when none was polled).
fn overall(doc: &FleetDocument) -> Option<Word> {
    doc.targets.iter().filter_map(|t| t.status).max()
}

fn summary(out: &mut String, doc: &FleetDocument) {
    let count = |s: Option<Word>| doc.targets.iter().filter(|t| t.status == s).count();
    out.push_str("<h2>Summary</h2><ul class=\"pills\">");
    for s in [Some(Word::Pass), Some(Word::Warn), Some(Word::Fail), None] {
        out.push_str("<li>");
        badge(out, s);
        put!(out, "<b>{}</b></li>", count(s));
    }
    out.push_str("</ul>\n");
}

/// `{base}/service/{name}`, the name percent-encoded (escape the result for HTML).
pub(super) fn target_href(opts: &PageOptions<'_>, name: &str) -> String {
    format!("{}/service/{}", prefix(opts), Segment(name))
}

/// Said where nothing is known because the collector's database could not be read.
pub(super) const UNAVAILABLE: &str = "<p class=\"reason bad\">The collector's database could not be \
     read: nothing is known of the targets now (their polls, uptime, checks and incidents).</p>\n";

fn row(out: &mut String, t: &TargetDocument, doc: &FleetDocument, opts: &PageOptions<'_>) {
    let now_ms = doc.generated_at_ms;
    put!(
        out,
        "<tr><td class=\"t\"><a href=\"{}\">{}</a></td><td class=\"t\">",
        esc(&target_href(opts, &t.name)),
        esc(&t.name)
    );
    match &t.service {
        Some(s) => put!(
            out,
            "{} <span class=\"mute\">{}</span>",
            esc(&s.name),
            esc(&s.version)
        ),
        None => out.push_str("<span class=\"mute\">—</span>"),
    }
    out.push_str("</td><td>");
    badge(out, t.status);
    if let Some(e) = &t.poll_error {
        put!(out, "<div class=\"reason\">{}</div>", esc(e));
    }
    out.push_str("</td>");
    for share in [t.uptime.day, t.uptime.week, t.uptime.month] {
        put!(
            out,
            "<td class=\"n {}\">{}</td>",
            uptime_class(share),
            Percent(share)
        );
    }
    if doc.unavailable {
        out.push_str(
            "<td class=\"mute\">unknown</td><td class=\"mute\">unknown</td>\
             <td class=\"n mute\">—</td></tr>\n",
        );
        return;
    }
    match t.polled_at_ms {
        Some(at) => put!(out, "<td class=\"t\">{}</td>", Utc(at)),
        None => out.push_str("<td class=\"mute\">never</td>"),
    }
    match t.incidents.iter().find(|i| i.ended_at_ms.is_none()) {
        Some(i) => put!(
            out,
            "<td class=\"bad t\">since {}<br>({} so far)</td>",
            Utc(i.started_at_ms),
            Span(i.duration_ms(now_ms))
        ),
        None => out.push_str("<td class=\"mute\">none</td>"),
    }
    put!(out, "<td class=\"n\">{}</td></tr>\n", t.incidents.len());
}
