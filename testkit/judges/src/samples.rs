use prometheus::Registry;
use prometheus::proto::{MetricFamily, MetricType};

fn matches(m: &prometheus::proto::Metric, labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(k, v)| {
        m.get_label()
            .iter()
            .any(|l| l.name() == *k && l.value() == *v)
    })
}

fn family<'a>(families: &'a [MetricFamily], name: &str) -> Option<&'a MetricFamily> {
    families.iter().find(|f| f.name() == name)
}

/// The value of the one series of `name` carrying `labels` (counter, gauge or untyped);
/// for a histogram, its sample count. `None` when absent.
pub fn sample(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let families = registry.gather();
    let f = family(&families, name)?;
    let m = f.get_metric().iter().find(|m| matches(m, labels))?;
    Some(match f.get_field_type() {
        MetricType::COUNTER => m.get_counter().get_value(),
        MetricType::GAUGE => m.get_gauge().get_value(),
        MetricType::HISTOGRAM => m.get_histogram().get_sample_count() as f64,
        _ => return None,
    })
}

/// The sample sum of the histogram series of `name` carrying `labels`.
pub fn histogram_sum(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let families = registry.gather();
    let f = family(&families, name)?;
    let m = f.get_metric().iter().find(|m| matches(m, labels))?;
    Some(m.get_histogram().get_sample_sum())
}

/// How many series the family `name` has.
pub fn series_count(registry: &Registry, name: &str) -> usize {
    family(&registry.gather(), name).map_or(0, |f| f.get_metric().len())
}
