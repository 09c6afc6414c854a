use super::naming::{Kind, check_name, validate_label_name};
use crate::Error;
use std::time::Duration;

/// Whether a collected family is a gauge or a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectedKind {
    /// Goes up and down.
    Gauge,
    /// Only goes up; the name must end in `_total`.
    Counter,
}

/// One family produced by a [`Collect`]or at scrape time.
///
/// ```
/// use vitals::metrics::CollectedFamily;
/// let mut f = CollectedFamily::gauge("jobs_pending", "Pending jobs by queue.", &["queue"]);
/// f.push(&["email"], 3.0);
/// assert_eq!(f.samples.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CollectedFamily {
    /// Metric name.
    pub name: String,
    /// Help text.
    pub help: String,
    /// Gauge or counter.
    pub kind: CollectedKind,
    /// Label names, in order.
    pub label_names: Vec<String>,
    /// Label values (same order as `label_names`) and value.
    pub samples: Vec<(Vec<String>, f64)>,
}

impl CollectedFamily {
    /// An empty gauge family.
    pub fn gauge(name: &str, help: &str, label_names: &[&str]) -> Self {
        Self::new(name, help, CollectedKind::Gauge, label_names)
    }

    /// An empty counter family.
    pub fn counter(name: &str, help: &str, label_names: &[&str]) -> Self {
        Self::new(name, help, CollectedKind::Counter, label_names)
    }

    fn new(name: &str, help: &str, kind: CollectedKind, label_names: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            help: help.to_owned(),
            kind,
            label_names: label_names.iter().map(|s| (*s).to_owned()).collect(),
            samples: Vec::new(),
        }
    }

    /// Adds one sample.
    pub fn push(&mut self, label_values: &[&str], value: f64) {
        self.samples.push((
            label_values.iter().map(|s| (*s).to_owned()).collect(),
            value,
        ));
    }
}

/// A collect-time collector: computed when `/metrics` is scraped, with a TTL cache so that a burst
/// of scrapes runs it once, and a timeout so that a slow one never holds the scrape.
///
/// A failing or timed-out collector leaves its families out of that scrape and counts in
/// `vitals_collector_errors_total{collector}`; the rest of the scrape is served.
///
/// ```
/// use std::time::Duration;
/// use vitals::metrics::{Collect, CollectedFamily};
///
/// struct Pending;
/// #[vitals::async_trait]
/// impl Collect for Pending {
///     fn name(&self) -> &str { "pending" }
///     fn ttl(&self) -> Duration { Duration::from_secs(10) }
///     async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
///         let mut f = CollectedFamily::gauge("jobs_pending", "Pending jobs.", &[]);
///         f.push(&[], 7.0);
///         Ok(vec![f])
///     }
/// }
/// let metrics = vitals::Metrics::noop();
/// metrics.add_collector(Pending).unwrap();
/// ```
#[async_trait::async_trait]
pub trait Collect: Send + Sync + 'static {
    /// Name used in logs and in `vitals_collector_errors_total{collector}`.
    fn name(&self) -> &str;

    /// How long a result is reused. Defaults to zero (computed on every scrape; concurrent
    /// scrapes still share one run).
    fn ttl(&self) -> Duration {
        Duration::ZERO
    }

    /// Longest time one run may take. Defaults to 5 s; the scrape's own deadline may be shorter.
    fn timeout(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// Computes the families.
    ///
    /// # Errors
    /// A message for the log; the families are left out of this scrape.
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String>;

    /// Families that can be served at once, without waiting, when a run has not finished by the
    /// scrape's deadline (e.g. a status family read from memory). Defaults to none: a late
    /// collector's families are left out of that scrape.
    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        None
    }
}

/// Checks a collected family's name, label names and sample arity.
///
/// # Errors
/// [`Error::InvalidMetricName`] naming the family or label.
pub fn validate_family(family: &CollectedFamily) -> Result<(), Error> {
    let kind = match family.kind {
        CollectedKind::Gauge => Kind::Gauge,
        CollectedKind::Counter => Kind::Counter,
    };
    check_name(&family.name, kind)?;
    for label in &family.label_names {
        validate_label_name(label)?;
    }
    if family
        .samples
        .iter()
        .any(|(values, _)| values.len() != family.label_names.len())
    {
        return Err(Error::InvalidMetricName {
            name: family.name.clone(),
            reason: "a sample's label values do not match the family's label names",
        });
    }
    Ok(())
}
