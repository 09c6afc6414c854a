use std::fmt;
use std::sync::Arc;

/// What a recorder's counter does (implemented by the kernel's recorder).
pub trait CounterFn: Send + Sync {
    /// Adds `n`.
    fn inc_by(&self, n: u64);
    /// The current value.
    fn get(&self) -> u64;
}

/// What a recorder's gauge does.
pub trait GaugeFn: Send + Sync {
    /// Sets the value.
    fn set(&self, v: f64);
    /// Adds `v` (negative to subtract).
    fn add(&self, v: f64);
    /// The current value.
    fn get(&self) -> f64;
}

/// What a recorder's histogram does.
pub trait HistogramFn: Send + Sync {
    /// Records one observation.
    fn observe(&self, v: f64);
}

/// What a recorder's labelled family does: hands out the instrument of one label set (within
/// the family's cardinality budget; beyond it, the overflow series).
pub trait FamilyFn<T>: Send + Sync {
    /// The instrument for `values` (one per label name, in order).
    fn with_label_values(&self, values: &[&str]) -> T;
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $trait:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Arc<dyn $trait>);

        impl $name {
            /// Wraps a recorder's implementation.
            pub fn from_fn(f: Arc<dyn $trait>) -> Self {
                Self(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

handle!(
    /// A counter: only goes up. Cheap to clone; every clone is the same series.
    ///
    /// ```
    /// let hits = vitals::Metrics::noop().counter("hits_total", "Hits.").unwrap();
    /// hits.inc();
    /// ```
    Counter,
    CounterFn
);
handle!(
    /// A gauge: goes up and down. Cheap to clone.
    Gauge,
    GaugeFn
);
handle!(
    /// A histogram of observations (seconds, bytes). Cheap to clone.
    Histogram,
    HistogramFn
);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.inc_by(1);
    }

    /// Adds `n`.
    pub fn inc_by(&self, n: u64) {
        self.0.inc_by(n);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

impl Gauge {
    /// Sets the value.
    pub fn set(&self, v: f64) {
        self.0.set(v);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.0.add(1.0);
    }

    /// Subtracts one.
    pub fn dec(&self) {
        self.0.add(-1.0);
    }

    /// Adds `v`.
    pub fn add(&self, v: f64) {
        self.0.add(v);
    }

    /// Subtracts `v`.
    pub fn sub(&self, v: f64) {
        self.0.add(-v);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        self.0.get()
    }
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, v: f64) {
        self.0.observe(v);
    }
}

/// A labelled family of instruments with a cardinality budget: label sets beyond the budget share
/// one `<overflow>` series and count in `vitals_series_overflow_total{family}`. Cheap to clone.
/// Resolve a label set once and keep the instrument on hot paths.
///
/// ```
/// let m = vitals::Metrics::noop();
/// let jobs = m.counter_vec("jobs_total", "Jobs.", &["kind"]).unwrap();
/// let email = jobs.with_label_values(&["email"]);
/// email.inc();
/// ```
pub struct Family<T>(Arc<dyn FamilyFn<T>>);

impl<T> Clone for Family<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> fmt::Debug for Family<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family").finish_non_exhaustive()
    }
}

impl<T> Family<T> {
    /// Wraps a recorder's implementation.
    pub fn from_fn(f: Arc<dyn FamilyFn<T>>) -> Self {
        Self(f)
    }

    /// The instrument for `values` (one per label name, in order).
    pub fn with_label_values(&self, values: &[&str]) -> T {
        self.0.with_label_values(values)
    }
}

/// A labelled counter family.
pub type CounterFamily = Family<Counter>;
/// A labelled gauge family.
pub type GaugeFamily = Family<Gauge>;
/// A labelled histogram family.
pub type HistogramFamily = Family<Histogram>;
