use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use vitals::metrics::{Collect, CollectedFamily};

struct Fixed {
    name: &'static str,
    runs: Arc<AtomicUsize>,
    ttl: Duration,
    delay: Duration,
    fail: bool,
}

#[vitals::async_trait]
impl Collect for Fixed {
    fn name(&self) -> &str {
        self.name
    }
    fn ttl(&self) -> Duration {
        self.ttl
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(2)
    }
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if self.fail {
            return Err("backend down".into());
        }
        let mut f = CollectedFamily::gauge(&format!("{}_items", self.name), "Items.", &["kind"]);
        f.push(&["a"], 3.0);
        Ok(vec![f])
    }
}

fn fixed(
    name: &'static str,
    ttl: Duration,
    delay: Duration,
    fail: bool,
) -> (Fixed, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    (
        Fixed {
            name,
            runs: runs.clone(),
            ttl,
            delay,
            fail,
        },
        runs,
    )
}

fn text(families: &[MetricFamily]) -> String {
    String::from_utf8(encode_text(families, false).unwrap()).unwrap()
}

fn counter_value(exp: &Exposition, family: &str, label: &str) -> f64 {
    exp.gather(vec![])
        .iter()
        .filter(|f| f.name() == family)
        .flat_map(|f| f.get_metric().iter())
        .filter(|m| m.get_label().iter().any(|l| l.value() == label))
        .map(|m| m.get_counter().get_value())
        .sum()
}

#[tokio::test]
async fn burst_of_scrapes_runs_a_ttl_collector_once() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    let (c, runs) = fixed(
        "jobs",
        Duration::from_secs(60),
        Duration::from_millis(50),
        false,
    );
    metrics.add_collector(c).unwrap();
    let exp = Arc::new(Exposition::new(recorder));
    let scrapes = (0..100).map(|_| {
        let exp = exp.clone();
        tokio::spawn(async move { exp.collect(Duration::from_secs(5)).await })
    });
    for s in futures_util::future::join_all(scrapes).await {
        assert_eq!(s.unwrap().len(), 1);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(
        text(&exp.gather(exp.collect(Duration::from_secs(1)).await))
            .contains("jobs_items{kind=\"a\"} 3")
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failing_and_late_collectors_are_left_out_and_counted() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    let (bad, _) = fixed("bad", Duration::ZERO, Duration::ZERO, true);
    let (slow, _) = fixed("slow", Duration::ZERO, Duration::from_millis(500), false);
    let (good, _) = fixed("good", Duration::ZERO, Duration::ZERO, false);
    metrics.add_collector(bad).unwrap();
    metrics.add_collector(slow).unwrap();
    metrics.add_collector(good).unwrap();
    let exp = Exposition::new(recorder);
    let collected = exp.collect(Duration::from_millis(100)).await;
    let names: Vec<_> = collected.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(names, ["good_items"]);
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "bad"),
        1.0
    );
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "slow"),
        1.0
    );
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "good"),
        0.0
    );
    assert_eq!(counter_value(&exp, "vitals_errors_total", "collector"), 2.0);
}

#[tokio::test]
async fn families_are_sorted_and_name_clashes_dropped() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    metrics.counter("zzz_total", "Last.").unwrap().inc();
    metrics.counter("aaa_total", "First.").unwrap().inc();
    let exp = Exposition::new(recorder);
    let mut clash = CollectedFamily::counter("aaa_total", "Clash.", &[]);
    clash.push(&[], 5.0);
    let budget = exp.recorder().series_budget("aaa_total", 10);
    let families = exp.gather(crate::collect_slots::convert(&clash, &budget).unwrap());
    let names: Vec<_> = families.iter().map(|f| f.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.iter().filter(|n| **n == "aaa_total").count(), 1);
    assert!(text(&families).contains("aaa_total 1\n"));
}

#[test]
fn invalid_collected_families_are_refused() {
    let mut bad_arity = CollectedFamily::gauge("x_items", "X.", &["a"]);
    bad_arity.push(&[], 1.0);
    let mut bad_counter = CollectedFamily::counter("x_total", "X.", &[]);
    bad_counter.push(&[], -1.0);
    let bad_name = CollectedFamily::gauge("X-items", "X.", &[]);
    let budget = PrometheusRecorder::new().series_budget("x", 10);
    for f in [bad_arity, bad_counter, bad_name] {
        assert!(crate::collect_slots::convert(&f, &budget).is_err());
    }
}

#[tokio::test]
async fn gzip_output_decompresses_to_the_text() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    metrics.counter("hits_total", "Hits.").unwrap().inc_by(11);
    let exp = Arc::new(Exposition::new(recorder));
    let plain = exp.render(Duration::from_secs(1), false).await.unwrap();
    let gz = exp.render(Duration::from_secs(1), true).await.unwrap();
    let mut out = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out.as_bytes(), &plain[..]);
    assert!(out.contains("hits_total 11\n"));
}

/// Panics on its first run only, then reports one family.
struct PanicsOnce {
    runs: Arc<AtomicUsize>,
}

#[vitals::async_trait]
impl Collect for PanicsOnce {
    fn name(&self) -> &str {
        "flaky"
    }
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        if self.runs.fetch_add(1, Ordering::SeqCst) == 0 {
            // A user's collector with an `unwrap()` that fails once.
            "not a number".parse::<u32>().unwrap();
        }
        let mut f = CollectedFamily::gauge("flaky_items", "Items.", &[]);
        f.push(&[], 4.0);
        Ok(vec![f])
    }
}

#[tokio::test]
async fn a_collector_that_panics_once_is_counted_and_served_on_the_next_scrape() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    let runs = Arc::new(AtomicUsize::new(0));
    metrics
        .add_collector(PanicsOnce { runs: runs.clone() })
        .unwrap();
    let exp = Exposition::new(recorder);
    assert!(exp.collect(Duration::from_secs(1)).await.is_empty());
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "flaky"),
        1.0
    );
    assert_eq!(counter_value(&exp, "vitals_errors_total", "collector"), 1.0);
    let second = exp.collect(Duration::from_secs(1)).await;
    assert!(
        text(&second).contains("flaky_items 4\n"),
        "{}",
        text(&second)
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "flaky"),
        1.0
    );
}

/// 500 customers in one family: far over a budget of 10.
struct PerCustomer;

#[vitals::async_trait]
impl Collect for PerCustomer {
    fn name(&self) -> &str {
        "customers"
    }
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        let mut f = CollectedFamily::gauge("orders_open", "Open orders.", &["customer"]);
        for i in 0..500 {
            f.push(&[&format!("c{i}")], 1.0);
        }
        Ok(vec![f])
    }
}

#[tokio::test]
async fn collected_families_respect_the_series_budget() {
    let recorder = PrometheusRecorder::with_series_budget(10);
    let metrics = recorder.metrics();
    metrics.add_collector(PerCustomer).unwrap();
    let exp = Exposition::new(recorder);
    let families = exp.collect(Duration::from_secs(1)).await;
    let series = &families[0];
    assert_eq!(series.get_metric().len(), 11);
    let body = text(&families);
    assert!(
        body.contains("orders_open{customer=\"<overflow>\"} 490\n"),
        "{body}"
    );
    assert_eq!(
        counter_value(&exp, "vitals_series_overflow_total", "orders_open"),
        490.0
    );
}

/// Slow to collect, but has a status family it can serve at once.
struct SlowWithFallback;

#[vitals::async_trait]
impl Collect for SlowWithFallback {
    fn name(&self) -> &str {
        "slow_status"
    }
    async fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(vec![])
    }
    fn fallback(&self) -> Option<Vec<CollectedFamily>> {
        let mut f = CollectedFamily::gauge("thing_up", "Up.", &[]);
        f.push(&[], 0.0);
        Some(vec![f])
    }
}

#[tokio::test]
async fn a_late_collector_serves_its_fallback_and_is_counted() {
    let recorder = PrometheusRecorder::new();
    let metrics = recorder.metrics();
    metrics.add_collector(SlowWithFallback).unwrap();
    let exp = Exposition::new(recorder);
    let families = exp.collect(Duration::from_millis(100)).await;
    assert_eq!(
        text(&families),
        "# HELP thing_up Up.\n# TYPE thing_up gauge\nthing_up 0\n"
    );
    assert_eq!(
        counter_value(&exp, "vitals_collector_errors_total", "slow_status"),
        1.0
    );
}
