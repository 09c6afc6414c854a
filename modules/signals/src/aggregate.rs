//! The aggregating side: sums each gauge over live publishers, keeps the sums' history in Redis
//! for the rolling maxima, and merges the per-minute latency sketches into window percentiles.
//! All state is in Redis and time is Redis' clock, so any aggregator, or two at once, agree.
use crate::connection::{Redis, RedisResult};
use crate::keys::{Keys, valid_name};
use crate::sketch::Sketch;
use std::sync::Arc;
use std::time::Duration;

/// The rolling windows: label and length in minutes.
pub const WINDOWS: [(&str, u64); 3] = [("1m", 1), ("15m", 15), ("1h", 60)];

/// Most signals of each kind read from one tenant/project: keeps label values bounded.
const MAX_SIGNALS: usize = 256;

/// One gauge summed over live publishers.
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeSignal {
    /// Signal name.
    pub name: String,
    /// Sum over the publishers whose value is younger than the max age.
    pub sum: f64,
    /// How many publishers the sum counts.
    pub publishers: usize,
    /// Maximum of the sum over each of [`WINDOWS`], in that order; `None` where the source
    /// keeps no history (proxy mode).
    pub max: [Option<f64>; 3],
}

/// One latency signal's percentiles per window.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySignal {
    /// Signal name.
    pub name: String,
    /// Per window of [`WINDOWS`]: observation count and p50, p95, p99 (`None` when empty).
    /// Only the first [`Snapshot::windows`] are meaningful.
    pub windows: [(usize, Option<[f64; 3]>); 3],
}

/// Everything an export needs, read at one instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Gauges, by name.
    pub gauges: Vec<GaugeSignal>,
    /// Latencies, by name.
    pub latencies: Vec<LatencySignal>,
    /// Whether the source keeps history: windows beyond the first and the maxima exist
    /// (Redis), or not (proxy mode, which sees each service's present only).
    pub history: bool,
}

impl Snapshot {
    /// How many of [`WINDOWS`] the source knows.
    pub fn windows(&self) -> usize {
        if self.history { WINDOWS.len() } else { 1 }
    }

    /// A gauge by name.
    pub fn gauge(&self, name: &str) -> Option<&GaugeSignal> {
        self.gauges.iter().find(|g| g.name == name)
    }

    /// A latency by name.
    pub fn latency(&self, name: &str) -> Option<&LatencySignal> {
        self.latencies.iter().find(|l| l.name == name)
    }

    /// `numerator / denominator` of two summed gauges (queue pressure, pool utilisation);
    /// `None` when either is missing or the denominator is not positive.
    pub fn ratio(&self, numerator: &str, denominator: &str) -> Option<f64> {
        let (n, d) = (self.gauge(numerator)?.sum, self.gauge(denominator)?.sum);
        (d > 0.0).then(|| n / d)
    }

    /// The ratio gauge `g` heads, if any, with the queue's or pool's name: `<q>.depth` over
    /// `<q>.capacity` (queue pressure), `<p>.in_use` over `<p>.size` (pool utilisation).
    pub fn derived<'a>(&self, g: &'a GaugeSignal) -> Option<(Derived, &'a str, f64)> {
        [
            (Derived::QueuePressure, ".depth", ".capacity"),
            (Derived::PoolUtilisation, ".in_use", ".size"),
        ]
        .into_iter()
        .find_map(|(kind, numerator, denominator)| {
            let base = g.name.strip_suffix(numerator)?;
            let r = self.ratio(&g.name, &format!("{base}{denominator}"))?;
            Some((kind, base, r))
        })
    }
}

/// A ratio of two summed gauges (see [`Snapshot::derived`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// Queue depth over capacity.
    QueuePressure,
    /// Pool connections in use over pool size.
    PoolUtilisation,
}

/// Reads and aggregates one tenant/project's signals.
pub struct Aggregator {
    redis: Arc<Redis>,
    keys: Keys,
    max_age: Duration,
}

fn names(mut v: Vec<String>) -> Vec<String> {
    v.retain(|n| valid_name(n));
    v.sort();
    if v.len() > MAX_SIGNALS {
        tracing::warn!(
            found = v.len(),
            kept = MAX_SIGNALS,
            "too many signals: the rest are ignored"
        );
        v.truncate(MAX_SIGNALS);
    }
    v
}

impl Aggregator {
    pub(crate) fn new(redis: Arc<Redis>, keys: Keys, max_age: Duration) -> Self {
        Self {
            redis,
            keys,
            max_age,
        }
    }

    /// Redis' clock in milliseconds.
    async fn now_ms(&self) -> RedisResult<u64> {
        let (s, us): (u64, u64) = self.redis.cmd(&redis::cmd("TIME")).await?;
        Ok(s * 1000 + us / 1000)
    }

    /// Aggregates every signal now.
    ///
    /// # Errors
    /// The first Redis failure (every call has the configured deadline).
    pub async fn read(&self) -> RedisResult<Snapshot> {
        let now = self.now_ms().await?;
        let mut snap = Snapshot {
            history: true,
            ..Snapshot::default()
        };
        let gauges: Vec<String> = self
            .redis
            .cmd(redis::cmd("SMEMBERS").arg(self.keys.gauge_names()))
            .await?;
        for name in names(gauges) {
            snap.gauges.push(self.gauge(&name, now).await?);
        }
        let latencies: Vec<String> = self
            .redis
            .cmd(redis::cmd("SMEMBERS").arg(self.keys.latency_names()))
            .await?;
        for name in names(latencies) {
            snap.latencies.push(self.latency(&name, now).await?);
        }
        Ok(snap)
    }

    async fn gauge(&self, name: &str, now: u64) -> RedisResult<GaugeSignal> {
        let key = self.keys.gauge(name);
        let fields: Vec<(String, String)> = self.redis.cmd(redis::cmd("HGETALL").arg(&key)).await?;
        let oldest = now.saturating_sub(self.max_age.as_millis() as u64);
        let (mut sum, mut publishers, mut stale) = (0.0, 0, Vec::new());
        for (instance, v) in fields {
            let parsed = v
                .split_once('@')
                .and_then(|(v, t)| Some((v.parse::<f64>().ok()?, t.parse::<u64>().ok()?)));
            match parsed {
                Some((v, t)) if t >= oldest && v.is_finite() => {
                    sum += v;
                    publishers += 1;
                }
                _ => stale.push(instance),
            }
        }
        let history = self.keys.history(name);
        let hour_ago = now.saturating_sub(3_600_000);
        let mut pipe = redis::pipe();
        if !stale.is_empty() {
            pipe.hdel(&key, &stale).ignore();
        }
        pipe.zadd(&history, format!("{now}:{sum}"), now).ignore();
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&history)
            .arg("-inf")
            .arg(format!("({hour_ago}"))
            .ignore();
        pipe.expire(&history, 3_660).ignore();
        pipe.cmd("ZRANGEBYSCORE")
            .arg(&history)
            .arg(hour_ago)
            .arg("+inf")
            .arg("WITHSCORES");
        let (points,): (Vec<(String, u64)>,) = self.redis.query(&pipe).await?;
        let mut max = [sum; 3];
        for (member, at) in points {
            let Some(v) = member
                .split_once(':')
                .and_then(|(_, v)| v.parse::<f64>().ok())
            else {
                continue;
            };
            for (i, (_, minutes)) in WINDOWS.iter().enumerate() {
                if at + minutes * 60_000 >= now && v > max[i] {
                    max[i] = v;
                }
            }
        }
        Ok(GaugeSignal {
            name: name.to_owned(),
            sum,
            publishers,
            max: max.map(Some),
        })
    }

    /// Window `w` merges the minute buckets from `w` minutes ago to the current one.
    async fn latency(&self, name: &str, now: u64) -> RedisResult<LatencySignal> {
        let minute = now / 60_000;
        let mut pipe = redis::pipe();
        for back in 0..=60 {
            pipe.cmd("LRANGE")
                .arg(self.keys.sketches(name, minute - back))
                .arg(0)
                .arg(-1);
        }
        let buckets: Vec<Vec<Vec<u8>>> = self.redis.query(&pipe).await?;
        let mut merged = Sketch::default();
        let mut windows = [(0, None); 3];
        for (back, bucket) in buckets.iter().enumerate() {
            for bytes in bucket {
                if let Some(s) = Sketch::from_bytes(bytes) {
                    merged.merge(&s);
                }
            }
            for (i, (_, minutes)) in WINDOWS.iter().enumerate() {
                if back as u64 == *minutes {
                    let q = |p| merged.quantile(p);
                    let qs = match (q(0.5), q(0.95), q(0.99)) {
                        (Some(a), Some(b), Some(c)) => Some([a, b, c]),
                        _ => None,
                    };
                    windows[i] = (merged.count(), qs);
                }
            }
        }
        Ok(LatencySignal {
            name: name.to_owned(),
            windows,
        })
    }
}
