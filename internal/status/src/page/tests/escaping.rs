//! Every text a document carries reaches the page as text: hostile check names, reasons,
//! details, service names, target names and URLs add no element and no attribute.
use super::super::style::CSS;
use super::super::{PageOptions, fleet, service, target};
use super::fixtures::{self, NOW_MS};
use crate::{Incident, ReadingDocument, ServiceInfo, TransitionDocument, Word};

const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";
const QUOTE: &str = "' onmouseover='alert(1)";

const TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "link", "style", "body", "header", "h1", "small",
    "span", "p", "br", "main", "h2", "ul", "li", "b", "div", "article", "h3", "dl", "dt", "dd",
    "svg", "g", "rect", "polyline", "table", "thead", "tbody", "tr", "th", "td", "a", "footer",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "rel",
    "href",
    "class",
    "viewbox",
    "width",
    "height",
    "preserveaspectratio",
    "shape-rendering",
    "role",
    "aria-label",
    "x",
    "vector-effect",
    "points",
];

/// Reads `html` as a browser would tokenise this subset and fails on any element, attribute or
/// unquoted value outside the allow-lists, on a `>` in text, and on a `<style>` other than
/// [`CSS`]. Returns the number of elements.
fn assert_only_known_markup(html: &str) -> usize {
    let mut rest = html;
    let mut elements = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "unescaped `>` in text {text:?}");
        let tag = &rest[open + 1..];
        let closing = tag.starts_with('/');
        let tag = tag.trim_start_matches('/');
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .expect("tag ends");
        let name = tag[..name_end].to_ascii_lowercase();
        assert!(
            TAGS.contains(&name.as_str()),
            "element {name:?} in {tag:.60?}"
        );
        let mut attrs = &tag[name_end..];
        loop {
            attrs = attrs.trim_start();
            if let Some(after) = attrs.strip_prefix("/>").or_else(|| attrs.strip_prefix('>')) {
                rest = after;
                break;
            }
            let eq = attrs.find('=').unwrap_or(attrs.len());
            let attr = attrs[..eq].trim().to_ascii_lowercase();
            if name == "!doctype" && attrs.starts_with("html>") {
                attrs = &attrs[4..];
                continue;
            }
            assert!(
                ATTRIBUTES.contains(&attr.as_str()),
                "attribute {attr:?} on {name}"
            );
            let value = attrs[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("unquoted value of {attr} on {name}"));
            let end = value.find('"').expect("value closes");
            assert!(!value[..end].contains('<'), "`<` in {attr} of {name}");
            attrs = &value[end + 1..];
        }
        if !closing {
            elements += 1;
        }
        if name == "style" && !closing {
            let end = rest.find("</style>").expect("style closes");
            assert_eq!(&rest[..end], CSS, "the inline stylesheet is the hashed one");
            rest = &rest[end..];
        }
    }
    assert!(!rest.contains('>'), "unescaped `>` in text");
    elements
}

fn assert_hostile_as_text(html: &str) {
    assert_only_known_markup(html);
    assert!(!html.contains("<script"), "a script element");
    assert!(!html.contains("<img"), "an img element");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "script as text"
    );
    assert!(
        html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "breakout as text"
    );
}

fn hostile_reading(at_ms: u64) -> ReadingDocument {
    ReadingDocument {
        at_ms,
        status: Word::Fail,
        duration_seconds: 0.01,
        reason: Some(format!("{SCRIPT}{BREAKOUT}")),
    }
}

#[test]
fn hostile_texts_on_the_service_page_render_as_text() {
    let mut doc = fixtures::service(1, 3);
    doc.service = Some(ServiceInfo {
        name: SCRIPT.to_owned(),
        version: BREAKOUT.to_owned(),
    });
    doc.groups[0].name = BREAKOUT.to_owned();
    let c = &mut doc.checks[0];
    c.name = format!("{SCRIPT}{QUOTE}");
    c.groups = vec![SCRIPT.to_owned()];
    c.reason = Some(BREAKOUT.to_owned());
    c.details.insert(SCRIPT.to_owned(), BREAKOUT.into());
    c.details
        .insert("n".to_owned(), serde_json::json!({ "k": SCRIPT }));
    c.readings.push(hostile_reading(NOW_MS));
    doc.transitions.push(TransitionDocument {
        check: SCRIPT.to_owned(),
        from: Some(Word::Pass),
        to: Word::Fail,
        at_ms: NOW_MS,
        reason: Some(BREAKOUT.to_owned()),
    });
    let base = format!("/st{BREAKOUT}");
    let html = service(
        &doc,
        &PageOptions {
            base: &base,
            refresh_seconds: 5,
        },
    );
    assert_hostile_as_text(&html);
    assert!(html.contains("&#39; onmouseover=&#39;alert(1)"));
}

#[test]
fn hostile_texts_on_the_fleet_and_target_pages_render_as_text() {
    let mut t = fixtures::target(&format!("{SCRIPT}{BREAKOUT}"));
    t.url = format!("http://user:secret@host/{BREAKOUT}");
    t.service = Some(ServiceInfo {
        name: BREAKOUT.to_owned(),
        version: SCRIPT.to_owned(),
    });
    t.poll_error = Some(format!("{SCRIPT}{QUOTE}"));
    t.checks[0].name = BREAKOUT.to_owned();
    t.checks[0].readings.push(hostile_reading(NOW_MS));
    t.incidents.push(Incident {
        started_at_ms: NOW_MS - 1000,
        ended_at_ms: None,
        checks: vec![SCRIPT.to_owned()],
    });
    let name = t.name.clone();
    let doc = fixtures::fleet(vec![t]);
    let opts = PageOptions {
        base: "/status",
        refresh_seconds: 0,
    };
    let page = fleet(&doc, &opts);
    assert_hostile_as_text(&page);
    assert!(
        page.contains(
            "href=\"/status/service/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20\
             onerror%3Dalert%281%29%3E\""
        ),
        "the name is one percent-encoded path segment"
    );
    let page = target(&doc, &name, &opts).expect("the target exists");
    assert_hostile_as_text(&page);
    assert!(
        !page.contains("secret"),
        "credentials in the poll URL are not shown"
    );
}

#[test]
fn plain_pages_hold_only_known_markup() {
    let opts = PageOptions {
        base: "/status",
        refresh_seconds: 10,
    };
    let elements = assert_only_known_markup(&service(&fixtures::service(4, 120), &opts));
    assert!(elements > 500, "{elements} elements");
    let doc = fixtures::fleet(vec![fixtures::target("a"), fixtures::target("b")]);
    assert_only_known_markup(&fleet(&doc, &opts));
    assert_only_known_markup(&target(&doc, "a", &opts).expect("a exists"));
}
