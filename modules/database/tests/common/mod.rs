//! Helpers shared by the database module's integration tests: unique names, the aggregate
//! collector's output, a sample reader, and the module started as a kernel would start it.
#![allow(dead_code)]
use std::sync::Arc;
use vitals::metrics::CollectedFamily;
use vitals::{Module, ModuleContext};
use vitals_judges::Registrar;
use vitals_module_database::{DatabaseConfig, DatabaseModule, SqlAggregate};
use vitals_prometheus::PrometheusRecorder;

/// Connects, declares `aggregates`, registers and starts the module against a fresh recorder
/// and registrar, as a kernel would.
pub(crate) async fn start_module(
    config: DatabaseConfig,
    aggregates: Vec<SqlAggregate>,
) -> Result<(DatabaseModule, PrometheusRecorder, Arc<Registrar>), vitals::Error> {
    let db = DatabaseModule::connect(config).await.unwrap();
    let metrics = PrometheusRecorder::new();
    for a in aggregates {
        db.declare_aggregate(a).map_err(|e| vitals::Error::Module {
            module: "database".into(),
            reason: e.to_string(),
        })?;
    }
    let registrar = Arc::new(Registrar::default());
    let ctx = ModuleContext::new(registrar.clone(), metrics.metrics());
    db.register(&ctx)?;
    db.start(&ctx).await?;
    Ok((db, metrics, registrar))
}

/// `name` made unique to this test process.
pub(crate) fn tag(name: &str) -> String {
    format!("{name}_{}", std::process::id())
}

/// What one scrape of the aggregate collector returns.
pub(crate) async fn scrape(metrics: &PrometheusRecorder) -> Vec<CollectedFamily> {
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
