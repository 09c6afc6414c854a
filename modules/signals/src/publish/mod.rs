//! The publishing side: samples are kept in memory and flushed on an interval, one script call
//! per flush. A gauge keeps its value until the process sets it again, removes it or stops:
//! every flush republishes the live gauges. Latency observations go into a sketch per signal
//! whose bucket counts are added into the cluster's per-minute hash in Redis. Publishing
//! never blocks on Redis: a failed flush loses that flush's observations (counted), never a
//! gauge, and is logged once per change of state.
use crate::config::SignalsConfig;
use crate::connection::Redis;
use crate::keys::{Keys, valid_name};
use crate::scripts::{FLUSH, LEAVE};
use crate::sketch::Sketch;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use vitals::metrics::{Counter, CounterFamily};
use vitals::signals::SignalSink;

#[derive(Default)]
struct State {
    /// The live gauges, republished every flush.
    gauges: BTreeMap<String, f64>,
    /// Latency names this process publishes (declared every flush), with this flush's sketch.
    latencies: HashMap<String, Sketch>,
    /// Samples since the last flush.
    samples: u64,
    /// A name was removed since the last flush (which must then run, to withdraw it).
    removed: bool,
}

impl State {
    fn names(&self) -> usize {
        self.gauges.len() + self.latencies.len()
    }
}

/// Publishes this process's samples: the [`SignalSink`] behind the [`vitals::signals::Signals`]
/// handle the module provides. Cheap to clone; publishing only touches memory.
///
/// Signal names are 1 to 64 of lowercase letters, digits, `_`, `-` and `.`; a sample with any
/// other name, a non-finite gauge value, or a new name past the per-process limit
/// (`VITALS_SIGNALS_MAX_NAMES`) is dropped and counted by reason.
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    redis: Arc<Redis>,
    keys: Keys,
    instance: String,
    max_names: usize,
    expiry_ms: u64,
    healthy: AtomicBool,
    left: AtomicBool,
    dropped: CounterFamily,
    flushed: Counter,
}

/// Why a sample was dropped (the `reason` label of `vitals_signals_dropped_total`).
#[derive(Clone, Copy)]
enum Dropped {
    Redis,
    InvalidName,
    InvalidValue,
    NameLimit,
    Stopped,
}

impl Dropped {
    fn label(self) -> &'static str {
        match self {
            Dropped::Redis => "redis",
            Dropped::InvalidName => "invalid_name",
            Dropped::InvalidValue => "invalid_value",
            Dropped::NameLimit => "name_limit",
            Dropped::Stopped => "stopped",
        }
    }
}

impl Publisher {
    pub(crate) fn new(
        config: &SignalsConfig,
        redis: Arc<Redis>,
        metrics: &vitals::Metrics,
    ) -> Result<Self, vitals::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                state: Mutex::default(),
                redis,
                keys: Keys::new(&config.tenant, &config.project),
                instance: config.instance.clone(),
                max_names: config.max_names,
                expiry_ms: (config.max_age.as_millis() as u64).saturating_mul(2),
                healthy: AtomicBool::new(true),
                left: AtomicBool::new(false),
                dropped: metrics.counter_vec(
                    "vitals_signals_dropped_total",
                    "Signal samples dropped, by reason: redis (unreachable at flush), invalid_name, invalid_value, name_limit (a new name past VITALS_SIGNALS_MAX_NAMES in this process, or past 256 latency names in the cluster), stopped (a flush that raced the process's stop).",
                    &["reason"],
                )?,
                flushed: metrics.counter(
                    "vitals_signals_flushed_total",
                    "Signal samples written to Redis.",
                )?,
            }),
        })
    }

    fn drop_sample(&self, why: Dropped, n: u64) {
        self.inner
            .dropped
            .with_label_values(&[why.label()])
            .inc_by(n);
    }

    fn with_state(&self, name: &str, f: impl FnOnce(&mut State) -> bool) {
        if !valid_name(name) {
            return self.drop_sample(Dropped::InvalidName, 1);
        }
        let mut s = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if f(&mut s) {
            s.samples += 1;
        } else {
            drop(s);
            self.drop_sample(Dropped::NameLimit, 1);
        }
    }

    /// Another publisher on the same connection and settings, publishing as `instance`: a
    /// fleet simulated in one process (benches).
    #[doc(hidden)]
    pub fn clone_as(&self, instance: &str) -> Publisher {
        let i = &self.inner;
        Publisher {
            inner: Arc::new(Inner {
                state: Mutex::default(),
                redis: i.redis.clone(),
                keys: i.keys.clone(),
                instance: instance.to_owned(),
                max_names: i.max_names,
                expiry_ms: i.expiry_ms,
                healthy: AtomicBool::new(true),
                left: AtomicBool::new(false),
                dropped: i.dropped.clone(),
                flushed: i.flushed.clone(),
            }),
        }
    }

    /// Stops publishing gauge `name`: it leaves the cluster's sum at the next flush.
    pub fn remove(&self, name: &str) {
        let mut s = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let gone = s.gauges.remove(name).is_some() | s.latencies.remove(name).is_some();
        s.removed |= gone;
    }

    /// Writes the live gauges and this interval's sketches in one script call, stamped by
    /// Redis' clock. On failure the interval's observations are dropped and counted (gauges
    /// stay, for the next flush); a change between working and failing is logged once.
    /// Returns the samples written.
    ///
    /// # Errors
    /// The Redis failure, with the number of samples dropped.
    pub async fn flush(&self) -> Result<u64, String> {
        if self.inner.left.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let (args, samples, counts) = {
            let mut s = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            if s.names() == 0 && !s.removed {
                return Ok(0);
            }
            let args = self.flush_args(&s);
            let counts: HashMap<String, u64> = s
                .latencies
                .iter()
                .map(|(n, k)| (n.clone(), k.count()))
                .collect();
            s.latencies.values_mut().for_each(Sketch::clear);
            s.removed = false;
            (args, std::mem::take(&mut s.samples), counts)
        };
        let i = &self.inner;
        let mut call = FLUSH.key(i.keys.instances());
        call.arg(args);
        let r: Result<(u64, u8, Vec<String>), String> = i
            .redis
            .call("signals flush", |mut c| async move {
                let v: Vec<redis::Value> = call.invoke_async(&mut c).await?;
                let mut it = v.into_iter();
                let now: u64 = redis::from_redis_value(&it.next().unwrap_or(redis::Value::Nil))?;
                let left: u8 = redis::from_redis_value(&it.next().unwrap_or(redis::Value::Nil))?;
                let refused = it
                    .map(|v| redis::from_redis_value::<String>(&v))
                    .collect::<Result<_, _>>()?;
                Ok((now, left, refused))
            })
            .await;
        match r {
            Ok((_, left, refused)) => {
                let lost: u64 = refused.iter().filter_map(|n| counts.get(n)).sum();
                if lost > 0 {
                    self.drop_sample(Dropped::NameLimit, lost);
                    tracing::warn!(signals = ?refused, "latency signals refused: the cluster already has 256 latency names");
                }
                let written = if left == 1 {
                    // A flush that raced this process's own stop: nothing was written.
                    self.drop_sample(Dropped::Stopped, samples - lost);
                    0
                } else {
                    samples.saturating_sub(lost)
                };
                i.flushed.inc_by(written);
                if !i.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("signals flushes reach Redis again");
                }
                Ok(written)
            }
            Err(e) => {
                self.drop_sample(Dropped::Redis, samples);
                if i.healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "signals flushes fail: observations are dropped and counted until Redis answers; gauges are kept");
                }
                Err(format!("{samples} samples dropped: {e}"))
            }
        }
    }

    fn flush_args(&self, s: &State) -> Vec<String> {
        let i = &self.inner;
        let mut a = vec![
            i.keys.prefix().to_owned(),
            i.instance.clone(),
            i.expiry_ms.to_string(),
            crate::cluster::MAX_SIGNALS.to_string(),
            s.gauges.len().to_string(),
        ];
        for (name, v) in &s.gauges {
            a.push(name.clone());
            a.push(v.to_string());
        }
        a.push(s.latencies.len().to_string());
        a.extend(s.latencies.keys().cloned());
        let live: Vec<_> = s.latencies.iter().filter(|(_, k)| k.count() > 0).collect();
        a.push(live.len().to_string());
        for (name, sketch) in live {
            a.push(name.clone());
            let at = a.len();
            a.push(String::new());
            let (zero, buckets) = sketch.buckets();
            let mut fields = 0;
            if zero > 0 {
                a.push("z".into());
                a.push(zero.to_string());
                fields += 1;
            }
            for (b, c) in buckets {
                a.push(b.to_string());
                a.push(c.to_string());
                fields += 1;
            }
            a[at] = fields.to_string();
        }
        a
    }

    /// Flushes what is left and takes this process's gauges out of every sum at once: the
    /// clean stop's step, so a terminated replica leaves the sums within one flush.
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn leave(&self) -> Result<(), String> {
        let flushed = self.flush().await;
        let i = &self.inner;
        i.left.store(true, Ordering::Relaxed);
        let mut call = LEAVE.key(i.keys.instances());
        call.arg(i.keys.prefix()).arg(&i.instance).arg(i.expiry_ms);
        let left: Result<u64, String> = i
            .redis
            .call("signals leave", |mut c| async move {
                call.invoke_async(&mut c).await
            })
            .await;
        flushed.and(left.map(|_| ()))
    }
}

impl SignalSink for Publisher {
    // A name already known is looked up, not allocated: one String per signal per process.
    fn gauge(&self, name: &str, value: f64) {
        if !value.is_finite() {
            return self.drop_sample(Dropped::InvalidValue, 1);
        }
        let max = self.inner.max_names;
        self.with_state(name, |s| {
            if let Some(v) = s.gauges.get_mut(name) {
                *v = value;
            } else if s.names() < max {
                s.gauges.insert(name.to_owned(), value);
            } else {
                return false;
            }
            true
        });
    }

    fn observe(&self, name: &str, value: f64) {
        let max = self.inner.max_names;
        self.with_state(name, |s| {
            if let Some(k) = s.latencies.get_mut(name) {
                k.add(value);
            } else if s.names() < max {
                s.latencies.entry(name.to_owned()).or_default().add(value);
            } else {
                return false;
            }
            true
        });
    }

    fn remove(&self, name: &str) {
        Publisher::remove(self, name);
    }
}
