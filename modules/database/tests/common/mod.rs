//! Helpers shared by the database module's integration tests: unique names, the aggregate
//! collector's output and a sample reader.
#![allow(dead_code)]
use vitals::metrics::CollectedFamily;
use vitals_metrics::PrometheusRecorder as Metrics;

/// `name` made unique to this test process.
pub(crate) fn tag(name: &str) -> String {
    format!("{name}_{}", std::process::id())
}

/// What one scrape of the aggregate collector returns.
pub(crate) async fn scrape(metrics: &Metrics) -> Vec<CollectedFamily> {
    let c = metrics
        .collectors()
        .into_iter()
        .find(|c| c.name() == "db_aggregates")
        .expect("aggregate collector registered");
    c.collect().await.unwrap()
}

/// The value of one sample of `family` with exactly these label values.
pub(crate) fn value(families: &[CollectedFamily], family: &str, labels: &[&str]) -> Option<f64> {
    families
        .iter()
        .find(|f| f.name == family)?
        .samples
        .iter()
        .find(|(l, _)| l.iter().map(String::as_str).eq(labels.iter().copied()))
        .map(|(_, v)| *v)
}
