use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vitals::Error;
use vitals::Metrics;
use vitals::metrics::{
    Collect, CollectedFamily, Counter, CounterFn, Description, ErrorKind, Family, FamilyFn, Gauge,
    GaugeFn, Histogram, HistogramFn, Recorder, SampleFn,
};

/// One series' value: counters and gauges as a number, histograms as count and sum.
#[derive(Default)]
struct Cell {
    bits: AtomicU64,
    count: AtomicU64,
}

impl Cell {
    fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::SeqCst))
    }
    fn add(&self, v: f64) {
        let _ = self
            .bits
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                Some((f64::from_bits(b) + v).to_bits())
            });
    }
}

type Key = (String, Vec<String>);

#[derive(Default)]
struct Store {
    names: Mutex<Vec<String>>,
    cells: Mutex<HashMap<Key, Arc<Cell>>>,
    samplers: Mutex<Vec<(String, SampleFn)>>,
    collectors: Mutex<Vec<Arc<dyn Collect>>>,
}

impl Store {
    fn cell(&self, name: &str, labels: &[&str]) -> Arc<Cell> {
        let key = (
            name.to_owned(),
            labels.iter().map(|l| (*l).to_owned()).collect(),
        );
        self.cells
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    fn claim(&self, name: &str) -> Result<(), Error> {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if names.iter().any(|n| n == name) {
            return Err(Error::DuplicateMetric {
                name: name.to_owned(),
            });
        }
        names.push(name.to_owned());
        Ok(())
    }
}

struct Series(Arc<Cell>);

impl CounterFn for Series {
    fn inc_by(&self, n: u64) {
        self.0.add(n as f64);
    }
    fn get(&self) -> u64 {
        self.0.get() as u64
    }
}

impl GaugeFn for Series {
    fn set(&self, v: f64) {
        self.0.bits.store(v.to_bits(), Ordering::SeqCst);
    }
    fn add(&self, v: f64) {
        self.0.add(v);
    }
    fn get(&self) -> f64 {
        self.0.get()
    }
}

impl HistogramFn for Series {
    fn observe(&self, v: f64) {
        self.0.add(v);
        self.0.count.fetch_add(1, Ordering::SeqCst);
    }
}

struct Named {
    store: Arc<Store>,
    name: String,
}

impl FamilyFn<Counter> for Named {
    fn with_label_values(&self, values: &[&str]) -> Counter {
        Counter::from_fn(Arc::new(Series(self.store.cell(&self.name, values))))
    }
}

impl FamilyFn<Gauge> for Named {
    fn with_label_values(&self, values: &[&str]) -> Gauge {
        Gauge::from_fn(Arc::new(Series(self.store.cell(&self.name, values))))
    }
}

impl FamilyFn<Histogram> for Named {
    fn with_label_values(&self, values: &[&str]) -> Histogram {
        Histogram::from_fn(Arc::new(Series(self.store.cell(&self.name, values))))
    }
}

/// A [`Recorder`] in memory, for module tests: instruments keep their values, which the test
/// reads by name and label values; sampled gauges are sampled on demand; collectors are run on
/// demand. No series budget, and no text: [`Metrics::encode_text`] fails (what a module pushes
/// is judged against the kernel's recorder, `vitals_prometheus::PrometheusRecorder`). Cloning
/// shares everything.
#[derive(Clone, Default)]
pub struct TestRecorder {
    store: Arc<Store>,
}

impl std::fmt::Debug for TestRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRecorder").finish_non_exhaustive()
    }
}

impl TestRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The facade a module registers through ([`vitals::ModuleContext::new`] takes it).
    pub fn metrics(&self) -> Metrics {
        Metrics::from_recorder(Arc::new(self.clone()))
    }

    /// The value of a counter or gauge series (a histogram's sum), `None` when nothing has
    /// touched it.
    pub fn value(&self, name: &str, labels: &[&str]) -> Option<f64> {
        self.series(name, labels).map(|c| c.get())
    }

    /// How many observations a histogram series has.
    pub fn observations(&self, name: &str, labels: &[&str]) -> Option<u64> {
        self.series(name, labels)
            .map(|c| c.count.load(Ordering::SeqCst))
    }

    fn series(&self, name: &str, labels: &[&str]) -> Option<Arc<Cell>> {
        let key = (
            name.to_owned(),
            labels.iter().map(|l| (*l).to_owned()).collect(),
        );
        self.store
            .cells
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    /// Takes one sample of every sampled gauge; returns the failures (gauge name, message).
    pub async fn sample_all(&self) -> Vec<(String, String)> {
        let samplers: Vec<_> = self
            .store
            .samplers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut failures = Vec::new();
        for (name, f) in samplers {
            match f().await {
                Ok(v) => GaugeFn::set(&Series(self.store.cell(&name, &[])), v),
                Err(e) => failures.push((name, e)),
            }
        }
        failures
    }

    /// Runs the collector named `name` once.
    ///
    /// # Errors
    /// The collector's own error, or a message when no collector has that name.
    pub async fn collect(&self, name: &str) -> Result<Vec<CollectedFamily>, String> {
        let collector = self
            .store
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|c| c.name() == name)
            .cloned()
            .ok_or_else(|| format!("no collector named {name:?}"))?;
        collector.collect().await
    }
}

impl Recorder for TestRecorder {
    fn counter(&self, d: &Description) -> Result<Counter, Error> {
        self.store.claim(&d.name)?;
        Ok(Counter::from_fn(Arc::new(Series(
            self.store.cell(&d.name, &[]),
        ))))
    }

    fn counter_family(&self, d: &Description) -> Result<Family<Counter>, Error> {
        self.store.claim(&d.name)?;
        Ok(Family::from_fn(Arc::new(Named {
            store: self.store.clone(),
            name: d.name.clone(),
        })))
    }

    fn gauge(&self, d: &Description) -> Result<Gauge, Error> {
        self.store.claim(&d.name)?;
        Ok(Gauge::from_fn(Arc::new(Series(
            self.store.cell(&d.name, &[]),
        ))))
    }

    fn gauge_family(&self, d: &Description) -> Result<Family<Gauge>, Error> {
        self.store.claim(&d.name)?;
        Ok(Family::from_fn(Arc::new(Named {
            store: self.store.clone(),
            name: d.name.clone(),
        })))
    }

    fn histogram(&self, d: &Description) -> Result<Histogram, Error> {
        self.store.claim(&d.name)?;
        Ok(Histogram::from_fn(Arc::new(Series(
            self.store.cell(&d.name, &[]),
        ))))
    }

    fn histogram_family(&self, d: &Description) -> Result<Family<Histogram>, Error> {
        self.store.claim(&d.name)?;
        Ok(Family::from_fn(Arc::new(Named {
            store: self.store.clone(),
            name: d.name.clone(),
        })))
    }

    fn sampled_gauge(&self, d: &Description, _: Duration, f: SampleFn) -> Result<Gauge, Error> {
        let gauge = self.gauge(d)?;
        self.store
            .samplers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((d.name.clone(), f));
        Ok(gauge)
    }

    fn add_collector(&self, collector: Arc<dyn Collect>) -> Result<(), Error> {
        let mut list = self
            .store
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|c| c.name() == collector.name()) {
            return Err(Error::DuplicateMetric {
                name: collector.name().to_owned(),
            });
        }
        list.push(collector);
        Ok(())
    }

    fn error_counter(&self, kind: ErrorKind) -> Counter {
        Counter::from_fn(Arc::new(Series(
            self.store.cell("vitals_errors_total", &[kind.as_str()]),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_samples_and_duplicates_are_what_a_module_did() {
        let recorder = TestRecorder::new();
        let m = recorder.metrics();
        let jobs = m.counter_vec("jobs_total", "Jobs.", &["outcome"]).unwrap();
        jobs.with_label_values(&["ok"]).inc();
        jobs.with_label_values(&["ok"]).inc_by(2);
        let h = m.histogram("job_seconds", "Job time.", None).unwrap();
        h.observe(0.5);
        h.observe(1.5);
        m.sampled_gauge("depth", "Depth.", Duration::from_secs(1), || async {
            Ok::<_, String>(7.0)
        })
        .unwrap();
        m.record_error(ErrorKind::Db);
        assert!(m.counter("jobs_total", "again").is_err());
        assert!(recorder.sample_all().await.is_empty());
        assert_eq!(recorder.value("jobs_total", &["ok"]), Some(3.0));
        assert_eq!(recorder.value("jobs_total", &["failed"]), None);
        assert_eq!(recorder.value("job_seconds", &[]), Some(2.0));
        assert_eq!(recorder.observations("job_seconds", &[]), Some(2));
        assert_eq!(recorder.value("depth", &[]), Some(7.0));
        assert_eq!(recorder.value("vitals_errors_total", &["db"]), Some(1.0));
    }
}
