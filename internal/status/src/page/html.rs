//! HTML helpers: escaping of every text and attribute, URL path segments, the layout every
//! page shares (head with the inline stylesheet and the refresh, footer with the JSON link) and
//! the status badge.
use super::PageOptions;
use super::style::CSS;
use crate::Word;
use std::fmt::{self, Display, Write};

/// Appends formatted text to a page; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = ::std::fmt::Write::write_fmt($out, format_args!($($arg)*));
    }};
}
pub(super) use put;

/// Text safe in HTML text and in quoted attribute values: `& < > " '` become references.
pub(super) struct Esc<'a>(pub(super) &'a str);

/// `s`, escaped for HTML.
pub(super) fn esc(s: &str) -> Esc<'_> {
    Esc(s)
}

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut from = 0;
        for (i, b) in s.bytes().enumerate() {
            let entity = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&s[from..i])?;
            f.write_str(entity)?;
            from = i + 1;
        }
        f.write_str(&s[from..])
    }
}

/// A URL path segment: every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// percent-encoded, so `/`, `?`, `#`, spaces and quotes stay inside the segment.
pub(super) struct Segment<'a>(pub(super) &'a str);

impl Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                f.write_char(char::from(b))?;
            } else {
                write!(f, "%{b:02X}")?;
            }
        }
        Ok(())
    }
}

/// A status's word, `pending` for none.
pub(super) fn word(status: Option<Word>) -> &'static str {
    status.map_or("pending", Word::as_str)
}

/// The status badge: `<span class="badge pass">pass</span>`.
pub(super) fn badge(out: &mut String, status: Option<Word>) {
    let w = word(status);
    put!(out, "<span class=\"badge {w}\">{w}</span>");
}

/// The one-letter class colouring an SVG shape by status.
pub(super) fn fill(status: Word) -> &'static str {
    match status {
        Word::Pass => "p",
        Word::Warn => "w",
        Word::Fail => "f",
    }
}

/// A favicon drawn as a data URL (allowed by `img-src data:`): a dot of the page's status
/// colour, so a tab shows the status at a glance.
fn favicon(status: Option<Word>) -> &'static str {
    macro_rules! dot {
        ($colour:literal) => {
            concat!(
                "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E",
                "%3Ccircle cx='8' cy='8' r='7' fill='%23",
                $colour,
                "'/%3E%3C/svg%3E"
            )
        };
    }
    match status {
        Some(Word::Pass) => dot!("1e9e57"),
        Some(Word::Warn) => dot!("d48806"),
        Some(Word::Fail) => dot!("d9434b"),
        None => dot!("a3acb6"),
    }
}

/// Opens a page: doctype, head (charset, viewport, refresh, title, favicon, the stylesheet) and
/// `<body>`. `title` is plain text (escaped here).
pub(super) fn open(out: &mut String, title: &str, status: Option<Word>, opts: &PageOptions<'_>) {
    out.push_str(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"referrer\" content=\"no-referrer\">",
    );
    if opts.refresh_seconds > 0 {
        put!(
            out,
            "<meta http-equiv=\"refresh\" content=\"{}\">",
            opts.refresh_seconds
        );
    }
    put!(
        out,
        "<title>{} · {}</title><link rel=\"icon\" href=\"{}\"><style>{CSS}</style></head>\n<body>\n",
        word(status),
        esc(title),
        favicon(status)
    );
}

/// The status path to put before `/history`, `/fleet`, `/service/…`: `base` without its
/// trailing `/` (so `/` gives `/history`).
pub(super) fn prefix<'a>(opts: &PageOptions<'a>) -> &'a str {
    opts.base.trim_end_matches('/')
}

/// A link to `path` below the status path (`""` for the status path itself, `/` at the root).
pub(super) fn href(opts: &PageOptions<'_>, path: &str) -> String {
    match (prefix(opts), path) {
        ("", "") => "/".to_owned(),
        (base, path) => format!("{base}{path}"),
    }
}

/// Closes a page with its footer: the links (`(path below base, text)`) and the refresh.
pub(super) fn close(out: &mut String, links: &[(&str, &str)], opts: &PageOptions<'_>) {
    out.push_str("<footer>");
    for (i, (path, text)) in links.iter().enumerate() {
        if i > 0 {
            out.push_str(" · ");
        }
        put!(
            out,
            "<a href=\"{}\">{}</a>",
            esc(&href(opts, path)),
            esc(text)
        );
    }
    if opts.refresh_seconds > 0 {
        put!(
            out,
            " · reloads every {} s · times in UTC",
            opts.refresh_seconds
        );
    } else {
        out.push_str(" · times in UTC");
    }
    out.push_str("</footer>\n</body></html>\n");
}
