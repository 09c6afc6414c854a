use super::*;
use helpers::value;

/// Reads one sample of the recorder's registry.
mod helpers {
    pub(super) fn value(r: &prometheus::Registry, name: &str, labels: &[(&str, &str)]) -> f64 {
        r.gather()
            .iter()
            .filter(|f| f.name() == name)
            .flat_map(|f| f.get_metric().iter())
            .filter(|m| {
                labels.iter().all(|(k, v)| {
                    m.get_label()
                        .iter()
                        .any(|l| l.name() == *k && l.value() == *v)
                })
            })
            .map(|m| m.get_counter().get_value() + m.get_gauge().get_value())
            .sum()
    }
}

#[test]
fn duplicate_names_and_kinds_are_errors_not_panics() {
    let recorder = PrometheusRecorder::new();
    let m = recorder.metrics();
    m.counter_vec("jobs_total", "Jobs.", &["outcome"]).unwrap();
    assert_eq!(
        m.counter_vec("jobs_total", "again", &["outcome"])
            .unwrap_err()
            .to_string(),
        "duplicate metric \"jobs_total\": already registered"
    );
    assert!(m.gauge("jobs_total", "not a counter").is_err());
    assert!(
        m.histogram("h_seconds", "bad buckets", Some(vec![2.0, 1.0]))
            .is_err()
    );
}

#[test]
fn label_sets_beyond_the_budget_fold_into_overflow_and_are_counted() {
    let recorder = PrometheusRecorder::with_series_budget(1);
    let hits = recorder
        .metrics()
        .counter_vec("hits_total", "Hits.", &["user"])
        .unwrap();
    hits.with_label_values(&["alice"]).inc();
    hits.with_label_values(&["bob"]).inc();
    hits.with_label_values(&["carol"]).inc();
    hits.with_label_values(&["too", "many"]).inc();
    let r = recorder.registry();
    assert_eq!(value(r, "hits_total", &[("user", "alice")]), 1.0);
    assert_eq!(value(r, "hits_total", &[("user", "<overflow>")]), 3.0);
    assert_eq!(
        value(
            r,
            "vitals_series_overflow_total",
            &[("family", "hits_total")]
        ),
        3.0
    );
}

#[tokio::test]
async fn a_sampled_gauge_takes_its_value_from_the_closure() {
    let recorder = PrometheusRecorder::new();
    let lag = recorder
        .metrics()
        .sampled_gauge(
            "queue_lag_seconds",
            "Queue lag.",
            Duration::from_secs(10),
            || async { Ok::<_, std::io::Error>(4.5) },
        )
        .unwrap();
    assert_eq!(recorder.samplers().len(), 1);
    recorder.samplers()[0].sample_once().await.unwrap();
    assert_eq!(lag.get(), 4.5);
    assert_eq!(value(recorder.registry(), "queue_lag_seconds", &[]), 4.5);
}

#[test]
fn facade_instruments_write_to_the_registry() {
    let recorder = PrometheusRecorder::new();
    let m = recorder.metrics();
    let c = m.counter("done_total", "Done.").unwrap();
    c.inc_by(3);
    let g = m.gauge_vec("depth", "Depth.", &["queue"]).unwrap();
    g.with_label_values(&["email"]).set(7.0);
    m.record_error(ErrorKind::Db);
    let r = recorder.registry();
    assert_eq!(c.get(), 3);
    assert_eq!(value(r, "done_total", &[]), 3.0);
    assert_eq!(value(r, "depth", &[("queue", "email")]), 7.0);
    assert_eq!(value(r, "vitals_errors_total", &[("type", "db")]), 1.0);
}

#[test]
fn collected_families_are_written_by_the_metrics_encoder_for_pushes() {
    let metrics = PrometheusRecorder::new().metrics();
    let mut f = CollectedFamily::gauge("x_ratio", "A \\ help\nline.", &["signal"]);
    f.push(&["a\"b\\c\nd"], f64::INFINITY);
    f.push(&["n"], f64::NAN);
    let empty = CollectedFamily::gauge("y", "Empty.", &[]);
    assert_eq!(
        metrics.encode_text(&[f, empty]).unwrap(),
        "# HELP x_ratio A \\\\ help\\nline.\n# TYPE x_ratio gauge\n\
         x_ratio{signal=\"a\\\"b\\\\c\\nd\"} inf\nx_ratio{signal=\"n\"} NaN\n"
    );
    let mut negative = CollectedFamily::counter("x_total", "X.", &[]);
    negative.push(&[], -1.0);
    let e = metrics.encode_text(&[negative]).unwrap_err().to_string();
    assert!(e.contains("x_total") && e.contains("-1"), "{e}");
    let e = Metrics::noop()
        .encode_text(&[CollectedFamily::gauge("z", "Z.", &[])])
        .unwrap_err();
    assert!(
        e.to_string().contains("this recorder writes no text"),
        "{e}"
    );
}

#[test]
fn a_push_keeps_every_series_beyond_the_scrape_budget() {
    let recorder = PrometheusRecorder::with_series_budget(2);
    let mut f = CollectedFamily::gauge("p_seconds", "P.", &["signal"]);
    for i in 0..5 {
        f.push(&[&format!("s{i}")], f64::from(i));
    }
    let text = recorder.metrics().encode_text(&[f]).unwrap();
    let series: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        series,
        [
            "p_seconds{signal=\"s0\"} 0",
            "p_seconds{signal=\"s1\"} 1",
            "p_seconds{signal=\"s2\"} 2",
            "p_seconds{signal=\"s3\"} 3",
            "p_seconds{signal=\"s4\"} 4"
        ]
    );
    assert_eq!(
        value(recorder.registry(), "vitals_series_overflow_total", &[]),
        0.0
    );
}
