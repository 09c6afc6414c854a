//! Redis key layout, namespaced by tenant and project so one Redis serves many of them.

/// Keys of one tenant/project.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(tenant: &str, project: &str) -> Self {
        Self {
            prefix: format!("vitals:signals:{{{tenant}:{project}}}"),
        }
    }

    /// Set of the gauge signal names published.
    pub(crate) fn gauge_names(&self) -> String {
        format!("{}:gauges", self.prefix)
    }

    /// Hash instance → "value@unix_ms" of one gauge.
    pub(crate) fn gauge(&self, name: &str) -> String {
        format!("{}:gauge:{name}", self.prefix)
    }

    /// Sorted set of the aggregated sum over time (score: unix ms).
    pub(crate) fn history(&self, name: &str) -> String {
        format!("{}:history:{name}", self.prefix)
    }

    /// Set of the latency signal names published.
    pub(crate) fn latency_names(&self) -> String {
        format!("{}:latencies", self.prefix)
    }

    /// List of serialized sketches of one latency signal in one minute.
    pub(crate) fn sketches(&self, name: &str, minute: u64) -> String {
        format!("{}:sketch:{name}:{minute}", self.prefix)
    }
}

/// Signal, tenant, project and instance names: 1 to 64 of lowercase letters, digits, `_`, `-`
/// and `.` (they become Redis keys and label values, so they are bounded and plain).
pub(crate) fn valid_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
}
