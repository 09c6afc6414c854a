//! The kernel's endpoints in one table: path template, what it serves, whether request metrics
//! measure it. Dispatch, the routes an app places itself, the default exclusions of request
//! metrics and (through `HealthGroup::parse`) the reserved group names are all read from here.
use vitals::HealthGroup;

/// What an endpoint serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Serves {
    /// `/metrics`.
    Metrics,
    /// A built-in group (`/ready`), or one of its checks (`/ready/{check}`).
    Group(HealthGroup),
    /// The group named by the path (`/health/{group}`, with `{check}` for one check).
    NamedGroup,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// Route template: literal segments, `{group}` and `{check}`.
    pub(crate) template: &'static str,
    /// What it serves.
    pub(crate) serves: Serves,
    /// Whether request metrics measure it by default.
    pub(crate) measured: bool,
}

const fn row(template: &'static str, serves: Serves) -> Endpoint {
    Endpoint {
        template,
        serves,
        measured: false,
    }
}

/// Every endpoint of the kernel. `/health` is a plain alias of readiness.
pub(crate) static ENDPOINTS: [Endpoint; 14] = [
    row("/metrics", Serves::Metrics),
    row("/healthz", Serves::Group(HealthGroup::Liveness)),
    row("/healthz/{check}", Serves::Group(HealthGroup::Liveness)),
    row("/livez", Serves::Group(HealthGroup::Liveness)),
    row("/livez/{check}", Serves::Group(HealthGroup::Liveness)),
    row("/ready", Serves::Group(HealthGroup::Readiness)),
    row("/ready/{check}", Serves::Group(HealthGroup::Readiness)),
    row("/readyz", Serves::Group(HealthGroup::Readiness)),
    row("/readyz/{check}", Serves::Group(HealthGroup::Readiness)),
    row("/startupz", Serves::Group(HealthGroup::Startup)),
    row("/startupz/{check}", Serves::Group(HealthGroup::Startup)),
    row("/health", Serves::Group(HealthGroup::Readiness)),
    row("/health/{group}", Serves::NamedGroup),
    row("/health/{group}/{check}", Serves::NamedGroup),
];

/// A request path matched to its endpoint: the row, and the `{group}` and `{check}` segments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Matched<'a> {
    pub(crate) endpoint: &'static Endpoint,
    pub(crate) group: Option<&'a str>,
    pub(crate) check: Option<&'a str>,
}

impl Matched<'_> {
    /// The group a probe endpoint serves (`None` for `/metrics`).
    pub(crate) fn health_group(&self) -> Option<HealthGroup> {
        match &self.endpoint.serves {
            Serves::Metrics => None,
            Serves::Group(g) => Some(g.clone()),
            Serves::NamedGroup => self.group.map(HealthGroup::parse),
        }
    }
}

/// The endpoint `path` names, or `None` when it is not one of the kernel's. Segments are never
/// empty.
pub(crate) fn matching(path: &str) -> Option<Matched<'_>> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    ENDPOINTS.iter().find_map(|e| {
        let parts: Vec<&str> = e.template[1..].split('/').collect();
        if parts.len() != segments.len() {
            return None;
        }
        let mut m = Matched {
            endpoint: e,
            group: None,
            check: None,
        };
        for (part, seg) in parts.iter().zip(&segments) {
            match *part {
                "{group}" => m.group = Some(seg),
                "{check}" => m.check = Some(seg),
                literal if literal == *seg => {}
                _ => return None,
            }
        }
        Some(m)
    })
}

/// The templates request metrics leave out by default: every endpoint not measured.
pub fn default_excluded() -> impl Iterator<Item = &'static str> {
    ENDPOINTS.iter().filter(|e| !e.measured).map(|e| e.template)
}

/// Whether a path (e.g. a configured status page path) would shadow or be shadowed by one of
/// the endpoints: its first segment is one of theirs.
pub fn collides_with_endpoints(path: &str) -> bool {
    let first = |p: &str| {
        p.trim_start_matches('/')
            .split('/')
            .next()
            .map(str::to_owned)
    };
    let mine = first(path);
    ENDPOINTS.iter().any(|e| first(e.template) == mine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_segment_names_its_own_group() {
        for e in &ENDPOINTS {
            if let Serves::Group(g) = &e.serves {
                let first = e.template[1..].split('/').next().unwrap();
                if first != "health" {
                    assert_eq!(&HealthGroup::parse(first), g, "{}", e.template);
                }
            }
        }
    }

    /// Template, group and `{check}` a path resolves to.
    type Resolved = Option<(&'static str, Option<HealthGroup>, Option<&'static str>)>;

    #[test]
    fn paths_name_the_endpoint_and_its_segments() {
        let table: [(&str, Resolved); 16] = [
            ("/metrics", Some(("/metrics", None, None))),
            (
                "/healthz",
                Some(("/healthz", Some(HealthGroup::Liveness), None)),
            ),
            (
                "/livez/ping",
                Some(("/livez/{check}", Some(HealthGroup::Liveness), Some("ping"))),
            ),
            (
                "/readyz",
                Some(("/readyz", Some(HealthGroup::Readiness), None)),
            ),
            (
                "/ready/db",
                Some(("/ready/{check}", Some(HealthGroup::Readiness), Some("db"))),
            ),
            (
                "/startupz",
                Some(("/startupz", Some(HealthGroup::Startup), None)),
            ),
            (
                "/health",
                Some(("/health", Some(HealthGroup::Readiness), None)),
            ),
            (
                "/health/billing",
                Some((
                    "/health/{group}",
                    Some(HealthGroup::custom("billing")),
                    None,
                )),
            ),
            (
                "/health/billing/ledger",
                Some((
                    "/health/{group}/{check}",
                    Some(HealthGroup::custom("billing")),
                    Some("ledger"),
                )),
            ),
            ("/hello", None),
            ("/", None),
            ("/metrics/x", None),
            ("/healthz/", None),
            ("/ready/db/extra", None),
            ("/health/a/b/c", None),
            ("healthz", None),
        ];
        for (path, want) in table {
            let got = matching(path).map(|m| (m.endpoint.template, m.health_group(), m.check));
            assert_eq!(got, want, "{path}");
        }
    }
}
