//! `Notifier::observe` cost per reading at 10, 100 and 1,000 subjects: the common reading (same
//! status, nothing due) and one that completes a change (a message queued for one webhook).
//! State grows by one entry per subject. Run: `cargo bench -p vitals-notify --bench observe`.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::time::{Duration, SystemTime};
use vitals::HealthStatus;
use vitals_notify::{Format, Notifier, NotifyConfig, Observation, Subject, Webhook};

fn notifier() -> Notifier {
    let config = NotifyConfig {
        webhooks: vec![Webhook {
            name: "ops".to_owned(),
            url: "http://127.0.0.1:9/hook".to_owned(),
            format: Format::Json,
        }],
        hold_readings: 1,
        repeat: None,
        queue: 1_000,
        ..NotifyConfig::default()
    };
    // Not started: messages stay queued (the oldest dropped past 1,000), nothing is sent.
    Notifier::new(config, &vitals::Metrics::noop()).unwrap()
}

fn observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("observe");
    group.measurement_time(Duration::from_secs(3));
    for subjects in [10usize, 100, 1_000] {
        let names: Vec<Subject> = (0..subjects)
            .map(|i| Subject::check(format!("check-{i}")))
            .collect();
        let n = notifier();
        for s in &names {
            n.observe(Observation::now(s.clone(), HealthStatus::Healthy));
        }
        let mut i = 0;
        group.bench_function(BenchmarkId::new("unchanged", subjects), |b| {
            b.iter(|| {
                i = (i + 1) % subjects;
                n.observe(Observation {
                    subject: names[i].clone(),
                    status: HealthStatus::Healthy,
                    at: SystemTime::now(),
                    failing: Vec::new(),
                });
            });
        });
        let mut k = 0usize;
        group.bench_function(BenchmarkId::new("change", subjects), |b| {
            b.iter(|| {
                k += 1;
                let status = if (k / subjects).is_multiple_of(2) {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                };
                n.observe(Observation {
                    subject: names[k % subjects].clone(),
                    status,
                    at: SystemTime::now(),
                    failing: Vec::new(),
                });
            });
        });
    }
    group.finish();
}

criterion_group!(benches, observe);
criterion_main!(benches);
