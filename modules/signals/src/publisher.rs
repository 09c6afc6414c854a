//! The publishing side: samples are kept in memory and flushed on an interval, one pipeline per
//! flush. Publishing never blocks on Redis: a failed flush drops its samples, counts them in
//! `vitals_signals_dropped_total` and logs once.
use crate::config::SignalsConfig;
use crate::connection::Redis;
use crate::keys::{Keys, valid_name};
use crate::sketch::Sketch;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use vitals::metrics::Counter;
use vitals::signals::SignalSink;

/// How long per-minute latency sketches are kept: the longest window plus a minute.
pub(crate) const SKETCH_RETENTION_SECS: i64 = 3_660;

#[derive(Default)]
struct Batch {
    gauges: HashMap<String, f64>,
    latencies: HashMap<String, Sketch>,
    samples: u64,
}

/// Publishes this process's samples: the [`SignalSink`] behind the [`vitals::signals::Signals`]
/// handle the module provides. Cheap to clone; publishing only touches memory.
///
/// Signal names are 1 to 64 of lowercase letters, digits, `_`, `-` and `.`; a sample with any
/// other name is dropped and counted.
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    batch: Mutex<Batch>,
    redis: Arc<Redis>,
    keys: Keys,
    instance: String,
    gauge_ttl_secs: i64,
    dropped: Counter,
    flushed: Counter,
}

impl Publisher {
    pub(crate) fn new(
        config: &SignalsConfig,
        redis: Arc<Redis>,
        metrics: &vitals::Metrics,
    ) -> Result<Self, vitals::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                batch: Mutex::default(),
                redis,
                keys: Keys::new(&config.tenant, &config.project),
                instance: config.instance.clone(),
                gauge_ttl_secs: config.gauge_ttl.as_secs().max(1) as i64,
                dropped: metrics.counter(
                    "vitals_signals_dropped_total",
                    "Signal samples dropped: Redis unreachable at flush, or an invalid name.",
                )?,
                flushed: metrics.counter(
                    "vitals_signals_flushed_total",
                    "Signal samples written to Redis.",
                )?,
            }),
        })
    }

    fn with_batch(&self, name: &str, f: impl FnOnce(&mut Batch)) {
        if !valid_name(name) {
            self.inner.dropped.inc();
            return;
        }
        let mut b = self.inner.batch.lock().unwrap_or_else(|e| e.into_inner());
        b.samples += 1;
        f(&mut b);
    }

    /// Writes the batch in one pipeline. On failure the batch is dropped and counted: the
    /// caller logs once per interval.
    ///
    /// # Errors
    /// The Redis failure, with the number of samples dropped.
    pub async fn flush(&self) -> Result<u64, String> {
        let batch =
            std::mem::take(&mut *self.inner.batch.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.samples == 0 {
            return Ok(0);
        }
        let (keys, i) = (&self.inner.keys, &self.inner);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let minute = now_ms / 60_000;
        let mut pipe = redis::pipe();
        for (name, value) in &batch.gauges {
            let key = keys.gauge(name);
            pipe.hset(&key, &i.instance, format!("{value}@{now_ms}"))
                .ignore();
            pipe.expire(&key, i.gauge_ttl_secs).ignore();
            pipe.sadd(keys.gauge_names(), name).ignore();
        }
        if !batch.gauges.is_empty() {
            pipe.expire(keys.gauge_names(), i.gauge_ttl_secs).ignore();
        }
        for (name, sketch) in &batch.latencies {
            let key = keys.sketches(name, minute);
            pipe.rpush(&key, sketch.to_bytes()).ignore();
            pipe.expire(&key, SKETCH_RETENTION_SECS).ignore();
            pipe.sadd(keys.latency_names(), name).ignore();
        }
        if !batch.latencies.is_empty() {
            pipe.expire(keys.latency_names(), SKETCH_RETENTION_SECS)
                .ignore();
        }
        match i.redis.query::<()>(&pipe).await {
            Ok(()) => {
                i.flushed.inc_by(batch.samples);
                Ok(batch.samples)
            }
            Err(e) => {
                i.dropped.inc_by(batch.samples);
                Err(format!("{} samples dropped: {e}", batch.samples))
            }
        }
    }
}

impl SignalSink for Publisher {
    // A name already in the batch is looked up, not allocated: one String per signal and flush.
    fn gauge(&self, name: &str, value: f64) {
        self.with_batch(name, |b| match b.gauges.get_mut(name) {
            Some(v) => *v = value,
            None => {
                b.gauges.insert(name.to_owned(), value);
            }
        });
    }

    fn observe(&self, name: &str, value: f64) {
        self.with_batch(name, |b| match b.latencies.get_mut(name) {
            Some(s) => s.add(value),
            None => b.latencies.entry(name.to_owned()).or_default().add(value),
        });
    }
}
