use super::budget::SeriesBudget;
use prometheus::core::{MetricVec, MetricVecBuilder};
use std::sync::Arc;
use vitals::metrics::OVERFLOW;

/// A labelled metric family with a cardinality budget: label sets beyond the budget, and label
/// lists of the wrong length, land in one overflow series whose every label is `<overflow>`.
/// It never panics.
///
/// ```
/// let recorder = vitals_prometheus::PrometheusRecorder::new();
/// let jobs = recorder
///     .counter_vec_with(prometheus::Opts::new("jobs_total", "Jobs."), &["kind"])
///     .unwrap();
/// jobs.with_label_values(&["email"]).inc();
/// jobs.with_label_values(&["too", "many"]).inc(); // wrong arity: folds into overflow
/// assert_eq!(jobs.with_label_values(&["<overflow>"]).get(), 1);
/// ```
pub struct BudgetedVec<V> {
    vec: V,
    budget: Arc<SeriesBudget>,
    overflow: Vec<&'static str>,
}

impl<V: Clone> Clone for BudgetedVec<V> {
    fn clone(&self) -> Self {
        Self {
            vec: self.vec.clone(),
            budget: self.budget.clone(),
            overflow: self.overflow.clone(),
        }
    }
}

impl<V> std::fmt::Debug for BudgetedVec<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BudgetedVec")
            .field("budget", &self.budget.limit())
            .finish_non_exhaustive()
    }
}

impl<B: MetricVecBuilder> BudgetedVec<MetricVec<B>> {
    pub(crate) fn new(vec: MetricVec<B>, budget: Arc<SeriesBudget>, labels: usize) -> Self {
        Self {
            vec,
            budget,
            overflow: vec![OVERFLOW; labels],
        }
    }

    /// The series for these label values, or the overflow series past the budget.
    pub fn with_label_values<V: AsRef<str> + std::fmt::Debug>(&self, values: &[V]) -> B::M {
        if values.len() == self.overflow.len() && self.budget.admit(values) {
            if let Ok(m) = self.vec.get_metric_with_label_values(values) {
                return m;
            }
        } else if values.len() != self.overflow.len() {
            self.budget.count_overflow();
        }
        self.overflow_series()
    }

    /// The overflow series itself.
    pub fn overflow_series(&self) -> B::M {
        self.vec.with_label_values(&self.overflow)
    }

    /// The budget shared by this family's series.
    pub fn budget(&self) -> &Arc<SeriesBudget> {
        &self.budget
    }

    /// The unbounded vector underneath, for callers that manage their own label bounds.
    pub fn raw(&self) -> &MetricVec<B> {
        &self.vec
    }
}
