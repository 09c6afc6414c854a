//! One target's page, the fleet page's drill-down: its header, uptime, poll error, its checks
//! exactly as the service page draws them, and its incidents.
use super::PageOptions;
use super::checks::{checks, slots};
use super::format::{Percent, Span, Utc, uptime_class};
use super::html::{badge, close, esc, href, open, put};
use crate::{FleetDocument, Incident, TargetDocument};

pub(super) fn page(t: &TargetDocument, doc: &FleetDocument, opts: &PageOptions<'_>) -> String {
    let (generated_at_ms, details) = (doc.generated_at_ms, doc.details);
    let mut out = String::with_capacity(8 * 1024 + t.checks.len() * 12 * 1024);
    open(&mut out, &t.name, t.status, opts);
    put!(
        &mut out,
        "<header><p class=\"meta\"><a href=\"{}\">Fleet</a> ›</p><h1>{}",
        esc(&href(opts, "")),
        esc(&t.name)
    );
    if let Some(s) = &t.service {
        put!(
            &mut out,
            " <small>{} {}</small>",
            esc(&s.name),
            esc(&s.version)
        );
    }
    out.push_str("</h1>");
    badge(&mut out, t.status);
    out.push_str("<p class=\"meta\">");
    match t.polled_at_ms {
        Some(at) => put!(&mut out, "Polled <span class=\"t\">{}</span> UTC", Utc(at)),
        None if doc.unavailable => out.push_str("Last poll unknown"),
        None => out.push_str("Not polled yet"),
    }
    put!(
        &mut out,
        " from {} · generated <span class=\"t\">{}</span> UTC · {}</p></header>\n<main>\n",
        esc(&shown_url(&t.url)),
        Utc(generated_at_ms),
        if details {
            "reasons shown"
        } else {
            "reasons withheld"
        }
    );
    if doc.unavailable {
        out.push_str(super::fleet::UNAVAILABLE);
        out.push_str("</main>\n");
        close(&mut out, &[("", "fleet"), ("/fleet", "fleet (JSON)")], opts);
        return out;
    }
    if let Some(e) = &t.poll_error {
        put!(
            &mut out,
            "<h2>Last poll failed</h2><p class=\"reason bad\">{}</p>",
            esc(e)
        );
    }
    out.push_str("<h2>Uptime</h2><ul class=\"pills\">");
    for (label, share) in [
        ("24 h", t.uptime.day),
        ("7 d", t.uptime.week),
        ("30 d", t.uptime.month),
    ] {
        put!(
            &mut out,
            "<li>{label} <b class=\"{}\">{}</b></li>",
            uptime_class(share),
            Percent(share)
        );
    }
    out.push_str("</ul>\n");
    checks(&mut out, &t.checks, slots(&t.checks, 0), generated_at_ms);
    incidents(&mut out, &t.incidents, generated_at_ms);
    out.push_str("</main>\n");
    close(&mut out, &[("", "fleet"), ("/fleet", "fleet (JSON)")], opts);
    out
}

/// The poll URL as shown: without credentials, query or fragment, where a token could sit
/// (`https://user:secret@host/status/history?token=…` → `https://host/status/history`).
fn shown_url(url: &str) -> String {
    let url = &url[..url.find(['?', '#']).unwrap_or(url.len())];
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn incidents(out: &mut String, list: &[Incident], now_ms: u64) {
    put!(out, "<h2>Incidents ({})</h2>", list.len());
    if list.is_empty() {
        out.push_str("<p class=\"mute\">No incident recorded.</p>\n");
        return;
    }
    out.push_str(
        "<div class=\"card scroll\"><table><thead><tr><th>Started</th><th>Ended</th>\
         <th class=\"n\">Duration</th><th>Failing</th></tr></thead><tbody>",
    );
    for i in list {
        put!(out, "<tr><td class=\"t\">{}</td>", Utc(i.started_at_ms));
        match i.ended_at_ms {
            Some(end) => put!(out, "<td class=\"t\">{}</td>", Utc(end)),
            None => out.push_str("<td class=\"bad\">ongoing</td>"),
        }
        put!(
            out,
            "<td class=\"n\">{}</td><td>",
            Span(i.duration_ms(now_ms))
        );
        for (n, c) in i.checks.iter().enumerate() {
            if n > 0 {
                out.push(' ');
            }
            put!(out, "<span class=\"tag\">{}</span>", esc(c));
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>\n");
}
