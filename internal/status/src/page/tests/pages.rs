//! What each page shows, read from the HTML.
use super::super::{CONTENT_TYPE, PageOptions, content_security_policy, fleet, service, target};
use super::fixtures::{self, NOW_MS};
use crate::Word;

const OPTS: PageOptions<'static> = PageOptions {
    base: "/status",
    refresh_seconds: 10,
};

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The `<article>` drawing the check named `name`.
fn article<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("<h3>{name}</h3>"))
        .expect("the check is drawn");
    let start = html[..at].rfind("<article").expect("in an article");
    let end = at + html[at..].find("</article>").expect("article closes");
    &html[start..end]
}

#[test]
fn the_policy_is_strict_and_pages_are_html_without_script_or_style_attributes() {
    let csp = content_security_policy();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(csp.ends_with(
        "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ));
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(CONTENT_TYPE, "text/html; charset=utf-8");
    let doc = fixtures::fleet(vec![fixtures::target("a")]);
    for html in [
        service(&fixtures::service(2, 10), &OPTS),
        fleet(&doc, &OPTS),
        target(&doc, "a", &OPTS).expect("a exists"),
    ] {
        assert!(html.starts_with("<!doctype html>"));
        assert!(!html.contains("<script"), "no script");
        assert!(!html.contains(" style="), "no style attribute");
        for external in ["href=\"http", "src=", "url(", "@import"] {
            assert!(!html.contains(external), "nothing loaded: {external}");
        }
        assert_eq!(count(&html, "<style>"), 1);
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    }
}

#[test]
fn refresh_is_left_out_at_zero() {
    let opts = PageOptions {
        base: "/status",
        refresh_seconds: 0,
    };
    let html = service(&fixtures::service(1, 1), &opts);
    assert!(!html.contains("http-equiv"));
}

#[test]
fn the_service_page_shows_header_groups_checks_and_transitions() {
    let html = service(&fixtures::service(2, 120), &OPTS);
    assert!(html.contains("<title>pass · orders</title>"));
    assert!(
        html.contains("<h1>orders <small>1.4.2</small></h1><span class=\"badge pass\">pass</span>")
    );
    assert!(html.contains("Started <span class=\"t\">2026-12-02 06:57:57</span> (up 1h 02m)"));
    assert!(html.contains("Generated <span class=\"t\">2026-12-02 08:00:00</span> UTC"));
    assert!(html.contains("reasons and details shown"));
    assert!(html.contains("<li><span class=\"badge fail\">fail</span>readiness</li>"));
    let c = article(&html, "check-0");
    assert!(c.contains("<span class=\"tag\">readiness</span>"));
    assert!(c.contains("108/120 pass"));
    assert_eq!(count(c, "<rect x="), 120, "one rect per reading");
    assert_eq!(count(c, "<g class=\"f\"><rect"), 12, "failures coloured");
    assert!(
        c.contains("<title>07:59:50 · fail · 2.00 ms · connection refused</title>"),
        "newest reading's tooltip"
    );
    assert!(c.contains("<title>07:41:00 · pass · 20.6 ms</title>"));
    let points = c.split("points=\"").nth(1).expect("a sparkline");
    assert_eq!(points[..points.find('"').unwrap()].split(' ').count(), 120);
    assert!(c.contains("<span>latency · last 2.00 ms</span><span>max 20.6 ms</span>"));
    assert!(c.contains("<span>status · 19m 50s</span><span>last 07:59:50</span>"));
    let newest = html
        .find("<td>check-0</td><td class=\"t\"><span class=\"badge fail\">")
        .unwrap();
    let oldest = html
        .find("<td>check-0</td><td class=\"t\"><span class=\"mute\">new</span>")
        .unwrap();
    assert!(newest < oldest, "transitions newest first");
    assert!(html.contains("<a href=\"/status/history\">"));
}

#[test]
fn a_check_without_readings_is_pending_and_reasons_show_only_when_present() {
    let mut doc = fixtures::service(1, 0).without_details();
    doc.checks[0].status = None;
    let html = service(&doc, &OPTS);
    let c = article(&html, "check-0");
    assert!(c.contains("<span class=\"badge pending\">pending</span>"));
    assert!(c.contains("no reading yet"));
    assert!(c.contains("<small><span>latency</span></small>"));
    assert!(html.contains("reasons and details withheld"));
    assert!(!html.contains("connection refused"));
    assert!(!html.contains("class=\"reason\">c"));
}

#[test]
fn the_fleet_page_has_one_row_per_target_with_uptime_polls_and_incidents() {
    let mut down = fixtures::target("pay ments/eu");
    down.poll_error = Some("connection refused".to_owned());
    let mut new = fixtures::target("new");
    new.status = None;
    new.polled_at_ms = None;
    new.uptime = Default::default();
    new.incidents.clear();
    let html = fleet(&fixtures::fleet(vec![down, new]), &OPTS);
    assert_eq!(count(&html, "<tr><td class=\"t\"><a href="), 2);
    assert!(html.contains("<a href=\"/status/service/pay%20ments%2Feu\">pay ments/eu</a>"));
    assert!(html.contains("orders <span class=\"mute\">1.4.2</span>"));
    assert!(html.contains(
        "<td class=\"n ok\">99.953%</td><td class=\"n bad\">97.25%</td><td class=\"n none\">—</td>"
    ));
    assert!(html.contains("<div class=\"reason\">connection refused</div>"));
    assert!(html.contains("<td class=\"t\">2026-12-02 07:59:55</td>"));
    assert!(html.contains("since 2026-12-02 07:57:55<br>(2m 05s so far)"));
    assert!(html.contains("<td class=\"n\">2</td></tr>"));
    assert!(html.contains("<td class=\"mute\">never</td>"));
    assert_eq!(
        count(&html, "<td class=\"n none\">—</td>"),
        4,
        "absent, never 0"
    );
    assert!(!html.contains(">0.00%<"));
    assert!(html.contains("<title>fail · Fleet</title>"));
    assert!(html.contains("<a href=\"/status/fleet\">"));
}

#[test]
fn the_target_page_shows_uptime_checks_as_the_service_page_and_incidents() {
    let doc = fixtures::fleet(vec![fixtures::target("orders-eu")]);
    assert!(target(&doc, "nope", &OPTS).is_none());
    let html = target(&doc, "orders-eu", &OPTS).expect("exists");
    assert!(html.contains("<h1>orders-eu <small>orders 1.4.2</small></h1>"));
    assert!(html.contains("from http://orders:8080/status/history"));
    assert!(html.contains("<li>24 h <b class=\"ok\">99.953%</b></li>"));
    assert!(html.contains("<li>30 d <b class=\"none\">—</b></li>"));
    assert!(html.contains("<td class=\"bad\">ongoing</td><td class=\"n\">2m 05s</td>"));
    assert!(html.contains("<td class=\"t\">2026-12-01 08:02:05</td><td class=\"n\">2m 05s</td>"));
    assert!(html.contains("<span class=\"tag\">poll</span>"));
    let mut svc = fixtures::service(0, 0);
    svc.capacity = 30;
    svc.checks = doc.targets[0].checks.clone();
    let on_service = service(&svc, &OPTS);
    assert_eq!(
        article(&html, "db"),
        article(&on_service, "db"),
        "drawn by the same code"
    );
    assert!(article(&html, "db").contains("· fail · 8.20 ms · timeout</title>"));
    let _ = (NOW_MS, Word::Pass);
}

#[test]
fn tooltips_show_the_start_of_a_long_reason_the_check_shows_it_whole() {
    let long = format!("{}é tail", "x".repeat(77));
    let mut doc = fixtures::service(1, 10);
    doc.checks[0].readings = fixtures::readings(10, 1, &long);
    doc.checks[0].reason = Some(long.clone());
    let html = service(&doc, &OPTS);
    let c = article(&html, "check-0");
    assert!(c.contains(&format!("<p class=\"reason\">{long}</p>")));
    let cut = format!(" · {}…</title>", "x".repeat(77));
    assert_eq!(count(c, &cut), 1, "80 bytes at most: é does not fit");
    assert_eq!(count(c, " · same reason since 07:58:20</title>"), 9);
}

#[test]
fn a_tooltip_names_a_reason_again_once_it_changes() {
    let mut doc = fixtures::service(1, 4);
    let reasons = [Some("a"), Some("a"), None, Some("a")];
    for (r, reason) in doc.checks[0].readings.iter_mut().zip(reasons) {
        r.status = Word::Fail;
        r.reason = reason.map(str::to_owned);
    }
    let html = service(&doc, &OPTS);
    let c = article(&html, "check-0");
    assert_eq!(count(c, " · a</title>"), 2);
    assert_eq!(count(c, " · same reason since 07:59:20</title>"), 1);
}

#[test]
fn a_history_longer_than_what_is_drawn_shows_its_last_readings() {
    let mut doc = fixtures::service(1, 300);
    doc.capacity = 300;
    let html = service(&doc, &OPTS);
    let c = article(&html, "check-0");
    assert_eq!(count(c, "<rect x="), 240);
    assert!(c.contains("216/240 pass"));
    assert!(c.contains("<svg viewBox=\"0 0 960 18\""));
}

#[test]
fn links_follow_the_status_path_with_or_without_its_slash() {
    let doc = fixtures::fleet(vec![fixtures::target("a")]);
    for (base, fleet_json, target_link, back) in [
        ("/status", "/status/fleet", "/status/service/a", "/status"),
        ("/status/", "/status/fleet", "/status/service/a", "/status"),
        ("/", "/fleet", "/service/a", "/"),
        ("", "/fleet", "/service/a", "/"),
    ] {
        let opts = PageOptions {
            base,
            refresh_seconds: 0,
        };
        let html = fleet(&doc, &opts);
        assert!(
            html.contains(&format!("<a href=\"{fleet_json}\">")),
            "{base}"
        );
        assert!(
            html.contains(&format!("<a href=\"{target_link}\">a</a>")),
            "{base}"
        );
        let page = target(&doc, "a", &opts).expect("a");
        assert!(
            page.contains(&format!("<a href=\"{back}\">Fleet</a>")),
            "{base}"
        );
        let history = format!("<a href=\"{}/history\">", base.trim_end_matches('/'));
        assert!(service(&fixtures::service(1, 1), &opts).contains(&history));
    }
}

#[test]
fn the_poll_url_is_shown_without_credentials_query_or_fragment() {
    let mut t = fixtures::target("a");
    t.url = "https://user:pa@ss@orders:8443/status/history?token=abc#x".to_owned();
    let page = target(&fixtures::fleet(vec![t]), "a", &OPTS).expect("a");
    assert!(page.contains(" from https://orders:8443/status/history · "));
    assert!(!page.contains("token") && !page.contains("pa@ss"));
}

#[test]
fn a_long_transition_list_says_how_many_it_shows() {
    let mut doc = fixtures::service(1, 1);
    let t = doc.transitions[0].clone();
    doc.transitions = vec![t; 100];
    let html = service(&doc, &OPTS);
    assert!(html.contains("<h2>Last transitions (50 of 100)</h2>"));
    assert_eq!(count(&html, "<tr><td class=\"t\">"), 50);
}

#[test]
fn a_fleet_the_collector_cannot_read_is_unknown_not_empty() {
    // As the collector serves it when its database is down: names alone.
    let mut t = fixtures::target("a");
    t.status = None;
    t.polled_at_ms = None;
    t.uptime = Default::default();
    t.checks.clear();
    t.incidents.clear();
    let mut doc = fixtures::fleet(vec![t]);
    doc.unavailable = true;
    let html = fleet(&doc, &OPTS);
    assert_eq!(count(&html, "nothing is known of the targets now"), 1);
    let row = &html[html.find("<tbody>").unwrap()..];
    assert_eq!(
        count(row, ">unknown</td>"),
        2,
        "last poll and incident: {row}"
    );
    assert!(!row.contains(">never<") && !row.contains(">none<"), "{row}");
    assert!(
        !row.contains("<td class=\"n\">0</td>"),
        "no count of 0: {row}"
    );
    let page = target(&doc, "a", &OPTS).unwrap();
    assert_eq!(count(&page, "nothing is known of the targets now"), 1);
    assert!(page.contains("Last poll unknown"));
    assert!(!page.contains("No incident recorded") && !page.contains("Not polled yet"));
    // Readable again: the ordinary page, without the notice.
    doc.unavailable = false;
    assert_eq!(count(&fleet(&doc, &OPTS), "nothing is known"), 0);
}
