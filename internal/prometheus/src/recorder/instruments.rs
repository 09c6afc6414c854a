//! The facade's instrument traits over Prometheus instruments.
use super::family::BudgetedVec;
use prometheus::{Gauge, GaugeVec, Histogram, HistogramVec, IntCounter, IntCounterVec};
use std::sync::Arc;
use vitals::metrics::{Counter, CounterFn, FamilyFn, GaugeFn, HistogramFn};

pub(super) struct PromCounter(pub(super) IntCounter);
pub(super) struct PromGauge(pub(super) Gauge);
pub(super) struct PromHistogram(pub(super) Histogram);

impl CounterFn for PromCounter {
    fn inc_by(&self, n: u64) {
        self.0.inc_by(n);
    }
    fn get(&self) -> u64 {
        self.0.get()
    }
}

impl GaugeFn for PromGauge {
    fn set(&self, v: f64) {
        self.0.set(v);
    }
    fn add(&self, v: f64) {
        self.0.add(v);
    }
    fn get(&self) -> f64 {
        self.0.get()
    }
}

impl HistogramFn for PromHistogram {
    fn observe(&self, v: f64) {
        self.0.observe(v);
    }
}

impl FamilyFn<Counter> for BudgetedVec<IntCounterVec> {
    fn with_label_values(&self, values: &[&str]) -> Counter {
        Counter::from_fn(Arc::new(PromCounter(BudgetedVec::with_label_values(
            self, values,
        ))))
    }
}

impl FamilyFn<vitals::metrics::Gauge> for BudgetedVec<GaugeVec> {
    fn with_label_values(&self, values: &[&str]) -> vitals::metrics::Gauge {
        vitals::metrics::Gauge::from_fn(Arc::new(PromGauge(BudgetedVec::with_label_values(
            self, values,
        ))))
    }
}

impl FamilyFn<vitals::metrics::Histogram> for BudgetedVec<HistogramVec> {
    fn with_label_values(&self, values: &[&str]) -> vitals::metrics::Histogram {
        vitals::metrics::Histogram::from_fn(Arc::new(PromHistogram(
            BudgetedVec::with_label_values(self, values),
        )))
    }
}
