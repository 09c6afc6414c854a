/// Everything that can go wrong when registering checks, modules or metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two checks share a name.
    #[error("duplicate health check name {name:?}: names must be unique")]
    DuplicateCheck {
        /// The repeated name.
        name: String,
    },
    /// A check name is empty or has characters outside `[a-z0-9_.-]`.
    #[error("invalid health check name {name:?}: use lower-case letters, digits, '_', '-' or '.'")]
    InvalidCheckName {
        /// The rejected name.
        name: String,
    },
    /// A check that depends on an external system was put in the liveness group.
    #[error(
        "health check {name:?} depends on an external system and cannot join the liveness group: \
         an outage there would restart every replica (declare it Dependency::Local if it only looks at this process)"
    )]
    ExternalInLiveness {
        /// The refused check.
        name: String,
    },
    /// A custom group name is malformed or names a built-in group.
    #[error("invalid health group name {name:?}: {reason}")]
    InvalidGroupName {
        /// The rejected name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A check's settings cannot work with the registry's (e.g. a timeout longer than background
    /// mode's staleness allows).
    #[error("health check {name:?} refused: {reason}")]
    InvalidCheck {
        /// The check.
        name: String,
        /// Why.
        reason: String,
    },
    /// A check belongs to no group.
    #[error("health check {name:?} belongs to no group")]
    NoGroup {
        /// The check.
        name: String,
    },
    /// A metric or label name breaks the Prometheus naming rules.
    #[error("invalid metric {name:?}: {reason}")]
    InvalidMetricName {
        /// The rejected name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A metric name is registered twice.
    #[error("duplicate metric {name:?}: already registered")]
    DuplicateMetric {
        /// The repeated name.
        name: String,
    },
    /// A metric definition the recorder refused (bad buckets, label mismatch…).
    #[error("metric {name:?} rejected: {reason}")]
    Metric {
        /// The metric's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Two modules provided a service of the same type.
    #[error("a service of type {type_name} is provided already: one provider per type")]
    DuplicateService {
        /// The service's type.
        type_name: &'static str,
    },
    /// A module failed to register.
    #[error("module {module:?} failed to register: {reason}")]
    Module {
        /// The module's name.
        module: String,
        /// What went wrong.
        reason: String,
    },
}
