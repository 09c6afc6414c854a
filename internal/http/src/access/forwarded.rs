use actix_web::http::header::{FORWARDED, HeaderMap, HeaderName};
use std::net::IpAddr;
use std::str::Chars;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Which header the trusted proxies write (`VITALS_FORWARDED_HEADER`): a fact of the deployment,
/// configured, never guessed from what a request carries. The other header is ignored entirely,
/// whoever sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`, the addresses of every line, left to right. What nginx
    /// (`$proxy_add_x_forwarded_for`), HAProxy (`option forwardfor`), AWS ALB and Envoy append
    /// to. The default.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239), the `for=` parameter of every element, left to right.
    Forwarded,
    /// Neither: the direct peer is the caller, even when it is a trusted proxy.
    Neither,
}

impl ForwardedHeader {
    /// The addresses this header lists, left to right, IPv4-mapped ones as IPv4. Read from the
    /// right: the first entry that is not an address (an element without `for=`, `unknown`, an
    /// obfuscated name, an empty value, a broken quoted string, garbage) ends the list, and
    /// nothing to its left is believed. Each line is read lossily: bytes that are not UTF-8
    /// (actix accepts 0x80-0xFF) spoil the entry they are in, never what a proxy appended after
    /// them.
    pub(crate) fn hops(self, headers: &HeaderMap) -> Vec<IpAddr> {
        let name = match self {
            Self::XForwardedFor => X_FORWARDED_FOR,
            Self::Forwarded => FORWARDED,
            Self::Neither => return Vec::new(),
        };
        // `None` for an entry that names no address: it stops the walk from the right.
        let entries: Vec<Option<IpAddr>> = headers
            .get_all(name)
            .flat_map(|value| -> Vec<Option<IpAddr>> {
                let line = String::from_utf8_lossy(value.as_bytes());
                match self {
                    Self::Forwarded => for_values(&line)
                        .into_iter()
                        .map(|v| v.as_deref().and_then(parse_hop))
                        .collect(),
                    _ => line.split(',').map(|e| parse_hop(e.trim())).collect(),
                }
            })
            .collect();
        let mut hops: Vec<IpAddr> = entries.into_iter().rev().map_while(|e| e).collect();
        hops.reverse();
        hops
    }
}

/// The `for=` value of each element of one `Forwarded` line, left to right, `None` for an element
/// without one. RFC 7239 quoted-strings are honoured: a `,` or `;` inside quotes does not split,
/// and `\` takes the next character as it is. A quoted string left open swallows the rest of the
/// line and stands as one last `None`: the walk ends there.
fn for_values(line: &str) -> Vec<Option<String>> {
    let mut values = Vec::new();
    let mut chars = line.chars();
    let mut for_value = None;
    let mut malformed = false;
    loop {
        let Ok((pair, end)) = next_pair(&mut chars) else {
            values.push(None);
            return values;
        };
        match pair {
            Some((name, value)) if name.eq_ignore_ascii_case("for") => {
                for_value = for_value.or(Some(value));
            }
            Some(_) => {}
            None => malformed = true,
        }
        if end == Some(';') {
            continue;
        }
        let value = for_value.take();
        values.push(if std::mem::take(&mut malformed) {
            None
        } else {
            value
        });
        if end.is_none() {
            return values;
        }
    }
}

/// A quoted string without its closing quote.
struct OpenQuote;

/// A `name=value` pair with its value unquoted; `None` when the text is not one.
type Pair = Option<(String, String)>;

/// The next `name=value` pair of a `Forwarded` line, its value unquoted, and what ends it (`;`,
/// `,`, or `None` at the end of the line). The pair is `None` when it is not one (no `=`, text
/// after a closing quote); an empty piece (`for=a;,`) is an empty name.
///
/// # Errors
/// [`OpenQuote`] when a quoted string runs to the end of the line.
fn next_pair(chars: &mut Chars) -> Result<(Pair, Option<char>), OpenQuote> {
    let mut name = String::new();
    let mut value: Option<String> = None;
    let mut quoted = false;
    let mut after_quote = false;
    loop {
        let c = chars.next();
        match (c, value.as_mut()) {
            (None | Some(';' | ','), _) => {
                let pair = match value {
                    Some(v) if !after_quote => {
                        let v = if quoted { v } else { v.trim().to_owned() };
                        Some((name.trim().to_owned(), v))
                    }
                    _ if name.trim().is_empty() && value.is_none() => {
                        Some((String::new(), String::new()))
                    }
                    _ => None,
                };
                return Ok((pair, c));
            }
            (Some('='), None) => value = Some(String::new()),
            (Some('"'), Some(v)) if !quoted && v.trim().is_empty() => {
                v.clear();
                quoted = true;
                loop {
                    match chars.next().ok_or(OpenQuote)? {
                        '\\' => v.push(chars.next().ok_or(OpenQuote)?),
                        '"' => break,
                        c => v.push(c),
                    }
                }
            }
            (Some(c), Some(_)) if quoted => after_quote |= !c.is_whitespace(),
            (Some(c), Some(v)) => v.push(c),
            (Some(c), None) => name.push(c),
        }
    }
}

/// `203.0.113.7`, `203.0.113.7:41234`, `[2001:db8::1]:443`, `[2001:db8::1]`, `2001:db8::1`;
/// IPv4-mapped addresses (`::ffff:10.1.2.3`) as IPv4.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|sa| sa.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .filter(|(_, rest)| rest.is_empty())
                .and_then(|(ip, _)| ip.parse().ok())
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;

    /// Header lines as sent, in order.
    type Lines<'a> = &'a [(&'a str, &'a str)];
    /// The same, byte for byte.
    type RawLines<'a> = &'a [(&'a str, &'a [u8])];

    fn hops(header: ForwardedHeader, lines: Lines) -> Vec<String> {
        let mut req = TestRequest::default();
        for line in lines {
            req = req.append_header(*line);
        }
        let req = req.to_http_request();
        header
            .hops(req.headers())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn each_setting_reads_only_its_own_header() {
        let both = [
            ("forwarded", "for=10.0.0.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(hops(ForwardedHeader::XForwardedFor, &both), ["203.0.113.9"]);
        assert_eq!(hops(ForwardedHeader::Forwarded, &both), ["10.0.0.1"]);
        assert!(hops(ForwardedHeader::Neither, &both).is_empty());
    }

    #[test]
    fn hops_are_read_from_the_right_until_the_first_entry_without_an_address() {
        use ForwardedHeader::*;
        let table: [(ForwardedHeader, Lines, &[&str]); 12] = [
            (XForwardedFor, &[], &[]),
            (
                XForwardedFor,
                &[("x-forwarded-for", "10.0.0.1, 203.0.113.9")],
                &["10.0.0.1", "203.0.113.9"],
            ),
            (
                XForwardedFor,
                &[
                    ("x-forwarded-for", "10.0.0.1"),
                    ("x-forwarded-for", "203.0.113.9"),
                ],
                &["10.0.0.1", "203.0.113.9"],
            ),
            (
                XForwardedFor,
                &[("x-forwarded-for", "10.0.0.1, garbage, 203.0.113.9:443")],
                &["203.0.113.9"],
            ),
            (XForwardedFor, &[("x-forwarded-for", "10.0.0.1,,")], &[]),
            (
                XForwardedFor,
                &[("x-forwarded-for", "::ffff:10.0.0.1, [2001:db8::1]:80")],
                &["10.0.0.1", "2001:db8::1"],
            ),
            (
                Forwarded,
                &[(
                    "forwarded",
                    "for=10.0.0.1, For=\"[::ffff:10.0.0.2]:443\";proto=https",
                )],
                &["10.0.0.1", "10.0.0.2"],
            ),
            (
                Forwarded,
                &[
                    ("forwarded", "for=10.0.0.1"),
                    ("forwarded", "for=\"203.0.113.9:1\""),
                ],
                &["10.0.0.1", "203.0.113.9"],
            ),
            (
                Forwarded,
                &[("forwarded", "for=10.0.0.1, proto=https, for=203.0.113.9")],
                &["203.0.113.9"],
            ),
            (
                Forwarded,
                &[("forwarded", "for=10.0.0.1, for=unknown, for=_hidden")],
                &[],
            ),
            (Forwarded, &[("forwarded", "for=\"[2001:db8::1]x\"")], &[]),
            (
                Forwarded,
                &[("forwarded", "for=10.0.0.1;by=\"a, for=10.0.0.2")],
                &[],
            ),
        ];
        for (header, lines, want) in table {
            assert_eq!(hops(header, lines), want, "{header:?} {lines:?}");
        }
    }

    #[test]
    fn forwarded_quoted_strings_do_not_split_and_an_open_one_ends_the_walk() {
        let table: [(Lines, &[&str]); 11] = [
            (
                &[("forwarded", "for=10.0.0.1;by=\"a, for=10.0.0.2\"")],
                &["10.0.0.1"],
            ),
            (&[("forwarded", "by=\"a;for=10.0.0.2\"")], &[]),
            (
                &[("forwarded", "for=10.0.0.1;by=\"x\\\", for=10.0.0.2\"")],
                &["10.0.0.1"],
            ),
            (&[("forwarded", "for=\"1\\0.0.0.3\"")], &["10.0.0.3"]),
            (
                &[(
                    "forwarded",
                    "for=10.0.0.1, for=\"10.0.0.2;x\", for=10.0.0.3",
                )],
                &["10.0.0.3"],
            ),
            (&[("forwarded", "for=\"10.0.0.1\"x")], &[]),
            (&[("forwarded", "for=10.0.0.1, by=\"a\\")], &[]),
            (
                &[
                    ("forwarded", "for=10.0.0.1;by=\"open, for=10.0.0.2"),
                    ("forwarded", "for=203.0.113.9"),
                ],
                &["203.0.113.9"],
            ),
            (&[("forwarded", "")], &[]),
            (&[("forwarded", "for=\"\"")], &[]),
            (&[("forwarded", "for=10.0.0.1;")], &["10.0.0.1"]),
        ];
        for (lines, want) in table {
            assert_eq!(hops(ForwardedHeader::Forwarded, lines), want, "{lines:?}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_spoil_only_their_own_entry() {
        use ForwardedHeader::*;
        let table: [(ForwardedHeader, RawLines, &[&str]); 6] = [
            (
                XForwardedFor,
                &[("x-forwarded-for", b"\xff, 203.0.113.9")],
                &["203.0.113.9"],
            ),
            (
                XForwardedFor,
                &[("x-forwarded-for", b"10.0.0.1, \xff\xfe, 203.0.113.9")],
                &["203.0.113.9"],
            ),
            (
                XForwardedFor,
                &[
                    ("x-forwarded-for", b"\xff"),
                    ("x-forwarded-for", b"203.0.113.9"),
                ],
                &["203.0.113.9"],
            ),
            (XForwardedFor, &[("x-forwarded-for", b"10.0.0.1\xff")], &[]),
            (
                Forwarded,
                &[("forwarded", b"for=\xff, for=203.0.113.9")],
                &["203.0.113.9"],
            ),
            (
                Forwarded,
                &[("forwarded", b"for=10.0.0.1;by=\"\xff, for=203.0.113.9\"")],
                &["10.0.0.1"],
            ),
        ];
        for (header, lines, want) in table {
            let mut req = TestRequest::default();
            for (name, value) in lines {
                req = req.append_header((*name, HeaderValue::from_bytes(value).unwrap()));
            }
            let got: Vec<String> = header
                .hops(req.to_http_request().headers())
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, *want, "{header:?} {lines:?}");
        }
    }
}
