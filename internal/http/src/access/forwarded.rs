use actix_web::http::header::{FORWARDED, HeaderMap, HeaderName};
use std::net::IpAddr;

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
    /// obfuscated name, garbage) ends the list, and nothing to its left is believed.
    pub(crate) fn hops(self, headers: &HeaderMap) -> Vec<IpAddr> {
        let values = |name| {
            headers
                .get_all(name)
                .map(|v| v.to_str().ok())
                .flat_map(|v| v.unwrap_or(",").split(','))
        };
        // `None` for an entry that names no address: it stops the walk from the right.
        let entries: Vec<Option<&str>> = match self {
            Self::XForwardedFor => values(X_FORWARDED_FOR).map(|e| Some(e.trim())).collect(),
            Self::Forwarded => values(FORWARDED).map(for_parameter).collect(),
            Self::Neither => Vec::new(),
        };
        let mut hops: Vec<IpAddr> = entries
            .into_iter()
            .rev()
            .map_while(|e| e.and_then(parse_hop))
            .collect();
        hops.reverse();
        hops
    }
}

/// The `for=` value of one `Forwarded` element, unquoted.
fn for_parameter(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| v.trim().trim_matches('"'))
    })
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
    use actix_web::test::TestRequest;

    /// Header lines as sent, in order.
    type Lines<'a> = &'a [(&'a str, &'a str)];

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
                &["10.0.0.1", "10.0.0.2"],
            ),
        ];
        for (header, lines, want) in table {
            assert_eq!(hops(header, lines), want, "{header:?} {lines:?}");
        }
    }
}
