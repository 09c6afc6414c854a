use crate::Error;

/// The kind of metric a name is checked for: counters end in `_total`, others must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

fn snake(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

fn invalid(name: &str, reason: &'static str) -> Error {
    Error::InvalidMetricName {
        name: name.to_owned(),
        reason,
    }
}

/// Checks a metric name against the Prometheus conventions Vitals enforces: lower snake case,
/// `_total` on counters and only on counters, no reserved suffixes.
///
/// `counter` says whether the name is for a counter.
///
/// ```
/// use vitals::metrics::validate_metric_name;
/// assert!(validate_metric_name("jobs_processed_total", true).is_ok());
/// assert!(validate_metric_name("queue_depth", false).is_ok());
/// assert!(validate_metric_name("jobs_processed", true).is_err());
/// assert!(validate_metric_name("Queue-Depth", false).is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidMetricName`] naming the rule broken.
pub fn validate_metric_name(name: &str, counter: bool) -> Result<(), Error> {
    check_name(name, if counter { Kind::Counter } else { Kind::Gauge })
}

pub(crate) fn check_name(name: &str, kind: Kind) -> Result<(), Error> {
    if !snake(name) {
        return Err(invalid(
            name,
            "metric names are lower snake case: [a-z_][a-z0-9_]*",
        ));
    }
    if name.starts_with("__") {
        return Err(invalid(name, "names starting with '__' are reserved"));
    }
    let total = name.ends_with("_total");
    match kind {
        Kind::Counter if !total => {
            return Err(invalid(name, "counter names end in '_total'"));
        }
        Kind::Gauge | Kind::Histogram if total => {
            return Err(invalid(name, "only counters end in '_total'"));
        }
        _ => {}
    }
    for suffix in ["_bucket", "_count", "_sum", "_created"] {
        if name.ends_with(suffix) {
            return Err(invalid(
                name,
                "'_bucket', '_count', '_sum' and '_created' suffixes are reserved",
            ));
        }
    }
    Ok(())
}

/// Checks a label name: lower snake case, not reserved (`__*`, `le`, `quantile`).
///
/// ```
/// assert!(vitals::metrics::validate_label_name("route").is_ok());
/// assert!(vitals::metrics::validate_label_name("le").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidMetricName`] naming the label.
pub fn validate_label_name(label: &str) -> Result<(), Error> {
    if !snake(label) {
        return Err(invalid(
            label,
            "label names are lower snake case: [a-z_][a-z0-9_]*",
        ));
    }
    if label.starts_with("__") || label == "le" || label == "quantile" {
        return Err(invalid(
            label,
            "label names '__*', 'le' and 'quantile' are reserved",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        let table = [
            ("http_requests_total", Kind::Counter, true),
            ("http_requests", Kind::Counter, false),
            ("queue_depth", Kind::Gauge, true),
            ("queue_depth_total", Kind::Gauge, false),
            ("request_duration_seconds", Kind::Histogram, true),
            ("request_duration_seconds_bucket", Kind::Histogram, false),
            ("9lives", Kind::Gauge, false),
            ("", Kind::Gauge, false),
            ("CamelCase", Kind::Gauge, false),
            ("with:colon", Kind::Gauge, false),
            ("__reserved", Kind::Gauge, false),
        ];
        for (name, kind, ok) in table {
            assert_eq!(check_name(name, kind).is_ok(), ok, "{name} as {kind:?}");
        }
    }
}
