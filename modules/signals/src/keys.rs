//! Redis key layout, namespaced by tenant and project so one Redis serves many of them. Every
//! key carries the hash tag `{tenant:project}`, so in Redis Cluster a tenant's keys share one
//! slot and each script or pipeline runs on one node.
//!
//! | key | type | holds | grows with |
//! |---|---|---|---|
//! | `…:instances` | sorted set | live publisher → Redis time of its last flush | publishers |
//! | `…:pub:<instance>` | hash | `g:<name>` → the publisher's gauge value, `l:<name>` → 1 for each latency it publishes | its names |
//! | `…:lat:<name>:<minute>` | hash | bucket index → count, merged over every publisher (ADR 0014) | buckets (≤ 1,728) |
//! | `…:win15:<name>`, `…:win60:<name>` | hash | bucket → count of the closed minutes in the 15 and 60 minutes before the current one | buckets |
//! | `…:rolled` | hash | latency name → the last minute folded into its windows | names |
//! | `…:latnames` | sorted set | latency name → Redis time it was last flushed (at most 256: the cluster-wide limit) | names |
//! | `…:gone:<instance>` | string | a publisher that left, so a flush in flight cannot bring it back | — (expires) |
//! | `…:gmax:<minute>` | hash | gauge name → highest sum an aggregation saw in that minute | names |
//! | `…:export:<slot>` | string | the exporter that claimed one export interval | — (expires) |
//! | `…:exporters` | sorted set | exporter → Redis time of its last claim attempt | exporters |

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

    /// The prefix the scripts build their keys from.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Live publishers by the Redis time of their last flush.
    pub(crate) fn instances(&self) -> String {
        format!("{}:instances", self.prefix)
    }

    /// Bucket counts of one latency signal in one minute (Redis time).
    pub(crate) fn latency(&self, name: &str, minute: u64) -> String {
        format!("{}:lat:{name}:{minute}", self.prefix)
    }

    /// A latency signal's closed minutes within the last `minutes` (15 or 60) before the
    /// current one.
    pub(crate) fn window(&self, name: &str, minutes: u64) -> String {
        format!("{}:win{minutes}:{name}", self.prefix)
    }

    /// Exporters by the Redis time of their last claim attempt.
    pub(crate) fn exporters(&self) -> String {
        format!("{}:exporters", self.prefix)
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
