//! `/metrics` render cost: `Exposition::render` (collectors, gather, sort, text encoding, gzip)
//! against the `prometheus` crate's plain `TextEncoder` on the same registry, at 10k and 100k
//! series. Run: `cargo bench -p vitals-prometheus --bench render`.
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prometheus::{Encoder, TextEncoder};
use std::sync::Arc;
use std::time::Duration;
use vitals_prometheus::{Exposition, PrometheusRecorder};

/// A registry holding `series` label sets through the facade: half counters, 40% gauges, 10%
/// histograms (Prometheus' 11 default buckets), as a service with many routes and tenants has.
fn exposition(series: usize) -> Arc<Exposition> {
    let recorder = PrometheusRecorder::with_series_budget(series + 1);
    let m = recorder.metrics();
    let requests = m
        .counter_vec("bench_requests_total", "Requests.", &["route", "status"])
        .unwrap();
    let queued = m
        .gauge_vec("bench_queue_depth", "Queue depth.", &["tenant", "queue"])
        .unwrap();
    let latency = m
        .histogram_vec("bench_latency_seconds", "Latency.", &["route"], None)
        .unwrap();
    for i in 0..series / 2 {
        requests
            .with_label_values(&[&format!("/route/{}", i / 5), &(200 + i % 5).to_string()])
            .inc_by(i as u64);
    }
    for i in 0..series * 4 / 10 {
        queued
            .with_label_values(&[&format!("tenant-{}", i / 10), &format!("q{}", i % 10)])
            .set(i as f64);
    }
    for i in 0..series / 10 {
        latency
            .with_label_values(&[&format!("/route/{i}")])
            .observe(i as f64 / 1000.0);
    }
    Arc::new(Exposition::new(recorder))
}

fn plain_text_encoder(exposition: &Exposition) -> Vec<u8> {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&exposition.recorder().registry().gather(), &mut out)
        .unwrap();
    out
}

fn render(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let deadline = Duration::from_secs(10);
    for series in [10_000usize, 100_000] {
        let expo = exposition(series);
        let text = plain_text_encoder(&expo);
        let ours = rt.block_on(expo.render(deadline, false)).unwrap();
        let gz = rt.block_on(expo.render(deadline, true)).unwrap();
        assert_eq!(ours.len(), text.len(), "same registry, same text");
        eprintln!(
            "{series} series: text {} bytes, gzip {} bytes ({:.1}%)",
            text.len(),
            gz.len(),
            100.0 * gz.len() as f64 / text.len() as f64
        );
        let mut group = c.benchmark_group(format!("render_{series}_series"));
        if series >= 100_000 {
            group.sample_size(10);
        }
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::from_parameter("text_encoder"), |b| {
            b.iter(|| plain_text_encoder(&expo))
        });
        group.bench_function(BenchmarkId::from_parameter("vitals"), |b| {
            b.iter(|| rt.block_on(expo.render(deadline, false)).unwrap())
        });
        group.bench_function(BenchmarkId::from_parameter("vitals_gzip"), |b| {
            b.iter(|| rt.block_on(expo.render(deadline, true)).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
