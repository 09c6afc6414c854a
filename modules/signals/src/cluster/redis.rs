//! The aggregation from Redis: one script call for the gauges (sums over live publishers and
//! their per-minute maxima) that also folds closed minutes into each latency signal's window
//! hashes, then one pipeline per latency signal for its four hashes (this minute, the last, the
//! 15- and 60-minute windows before this one). Decoding and merging run off the async workers.
//! A read costs publishers × gauges in Redis and four × buckets per latency signal here,
//! whatever the number of flushes or of publishers (ADR 0014).
use super::figures::{ClusterFigures, GaugeSignal, LatencySignal, MAX_SIGNALS, WINDOWS};
use crate::connection::{Redis, RedisResult};
use crate::keys::{Keys, valid_name};
use crate::scripts::READ;
use crate::sketch::{MAX_INDEX, MIN_INDEX, Sketch};
use redis::Value;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use vitals::metrics::Counter;

/// Latency signals whose windows one script call may rebuild from their minutes (at first, or
/// after a pause): each costs 75 minutes of buckets in Redis, so one call holds Redis briefly; a
/// read calls again until every window is current.
const REBUILDS_PER_READ: usize = 4;

/// Reads and aggregates one tenant/project's signals.
pub struct ClusterReader {
    redis: Arc<Redis>,
    keys: Keys,
    max_age: Duration,
    corrupt: OnceLock<Counter>,
}

impl ClusterReader {
    pub(crate) fn new(redis: Arc<Redis>, keys: Keys, max_age: Duration) -> Self {
        Self {
            redis,
            keys,
            max_age,
            corrupt: OnceLock::new(),
        }
    }

    /// Declares `vitals_signals_corrupt_sketches_total`.
    pub(crate) fn instrument(&self, metrics: &vitals::Metrics) -> Result<(), vitals::Error> {
        let c = metrics.counter(
            "vitals_signals_corrupt_sketches_total",
            "Latency signals left out of an aggregation because a stored bucket was not one this module writes.",
        )?;
        let _ = self.corrupt.set(c);
        Ok(())
    }

    /// Aggregates every live signal now.
    ///
    /// # Errors
    /// The first Redis failure, naming the call (and the signal); every call has the
    /// configured deadline.
    pub async fn read(&self) -> RedisResult<ClusterFigures> {
        let mut call = READ.key(self.keys.instances());
        call.arg(self.keys.prefix())
            .arg(self.max_age.as_millis() as u64)
            .arg(MAX_SIGNALS)
            .arg(REBUILDS_PER_READ);
        for (_, minutes) in WINDOWS {
            call.arg(minutes);
        }
        // Windows waiting to be rebuilt (at first, or after a pause) are rebuilt a few signals
        // per script call, so Redis is never held long; the calls repeat until every live
        // signal's windows are current (each call makes progress, so this ends).
        let mut rounds = 0;
        let (now, cut, gauges, latencies) = loop {
            let r: (u64, usize, Vec<String>, Vec<String>, usize) = self
                .redis
                .call("signals read (gauges)", |mut c| {
                    let call = &call;
                    async move { call.invoke_async(&mut c).await }
                })
                .await?;
            rounds += 1;
            let (now, cut, gauges, latencies, live) = r;
            if latencies.len() >= live || rounds > MAX_SIGNALS / REBUILDS_PER_READ + 1 {
                break (now, cut, gauges, latencies);
            }
        };
        let minute = now / 60_000;
        let mut raw = Vec::with_capacity(latencies.len());
        for name in latencies {
            let mut pipe = redis::pipe();
            pipe.hgetall(self.keys.latency(&name, minute))
                .hgetall(self.keys.latency(&name, minute.saturating_sub(1)))
                .hgetall(self.keys.window(&name, WINDOWS[1].1))
                .hgetall(self.keys.window(&name, WINDOWS[2].1));
            let what = format!("signals read (latency {name})");
            let hashes: Vec<Value> = self.redis.query(&what, &pipe).await?;
            raw.push((name, hashes));
        }
        let (mut snap, corrupt) = tokio::task::spawn_blocking(move || decode(&gauges, raw))
            .await
            .map_err(|e| format!("signals read: decoding failed: {e}"))??;
        snap.cut = cut;
        if !corrupt.is_empty() {
            tracing::warn!(signals = ?corrupt, "signals with corrupt buckets left out");
            if let Some(c) = self.corrupt.get() {
                c.inc_by(corrupt.len() as u64);
            }
        }
        Ok(snap)
    }
}

/// The snapshot from the gauge script's flat list and each latency's four hashes; the names
/// of latencies with a corrupt bucket, which are left out.
fn decode(
    gauges: &[String],
    latencies: Vec<(String, Vec<Value>)>,
) -> RedisResult<(ClusterFigures, Vec<String>)> {
    let mut snap = ClusterFigures {
        history: true,
        ..ClusterFigures::default()
    };
    let width = 3 + WINDOWS.len();
    for g in gauges.chunks(width) {
        let bad = || format!("signals read: malformed gauge entry {g:?}");
        let [name, sum, publishers, m1, m15, m60] = g else {
            return Err(bad());
        };
        let num = |s: &String| s.parse::<f64>().map_err(|_| bad());
        if !valid_name(name) {
            // Written by something other than a publisher of this module: never a label.
            continue;
        }
        snap.gauges.push(GaugeSignal {
            name: name.clone(),
            sum: num(sum)?,
            publishers: publishers.parse().map_err(|_| bad())?,
            max: [Some(num(m1)?), Some(num(m15)?), Some(num(m60)?)],
        });
    }
    let mut corrupt = Vec::new();
    for (name, hashes) in latencies {
        if !valid_name(&name) {
            corrupt.push(name);
            continue;
        }
        match windows(&hashes) {
            Some(windows) => snap.latencies.push(LatencySignal { name, windows }),
            None => corrupt.push(name),
        }
    }
    Ok((snap, corrupt))
}

/// The windows from `[this minute, the last minute, the 15 closed minutes before this one, the
/// 60 before this one]`: 1m = this + last, 15m = this + 15, 1h = this + 60. `None` when any
/// bucket is not one this module writes, or the hashes are not four.
fn windows(hashes: &[Value]) -> Option<[(u64, Option<[f64; 3]>); 3]> {
    let [now, last, w15, w60] = hashes else {
        return None;
    };
    let now = parse(now)?;
    let mut out = [(0, None); 3];
    for (i, other) in [last, w15, w60].into_iter().enumerate() {
        let mut merged = parse(other)?;
        merged.merge(&now);
        let q = |p| merged.quantile(p);
        let qs = match (q(0.5), q(0.95), q(0.99)) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            _ => None,
        };
        out[i] = (merged.count(), qs);
    }
    Some(out)
}

/// One stored hash as a sketch; `None` for a field or count this module does not write.
fn parse(h: &Value) -> Option<Sketch> {
    // HGETALL answers a flat array of field, count under RESP2, which the client speaks.
    let Value::Array(items) = h else {
        return None;
    };
    let mut sketch = Sketch::default();
    for pair in items.chunks(2) {
        let [Value::BulkString(field), Value::BulkString(count)] = pair else {
            return None;
        };
        let n: u64 = std::str::from_utf8(count).ok()?.parse().ok()?;
        if n >= 1 << 53 {
            return None;
        }
        if field == b"z" {
            sketch.add_zero(n);
            continue;
        }
        let i: i32 = std::str::from_utf8(field).ok()?.parse().ok()?;
        if !(MIN_INDEX..=MAX_INDEX).contains(&i) {
            return None;
        }
        sketch.add_bucket(i, n);
    }
    sketch.recount();
    Some(sketch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(pairs: &[(&str, &str)]) -> Value {
        Value::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| {
                    [
                        Value::BulkString(k.as_bytes().to_vec()),
                        Value::BulkString(v.as_bytes().to_vec()),
                    ]
                })
                .collect(),
        )
    }

    #[test]
    fn a_corrupt_bucket_leaves_its_signal_out_and_keeps_the_others() {
        let good = vec![
            hash(&[("0", "3"), ("z", "1")]),
            hash(&[("0", "4")]),
            hash(&[("0", "60")]),
            hash(&[("1", "240")]),
        ];
        let mut bad = good.clone();
        bad[2] = hash(&[("99999", "1")]);
        let mut worse = good.clone();
        worse[3] = hash(&[("!", "1")]);
        let (snap, corrupt) = decode(
            &[],
            vec![
                ("ok".into(), good),
                ("far".into(), bad),
                ("nan".into(), worse),
            ],
        )
        .unwrap();
        assert_eq!(corrupt, ["far", "nan"]);
        assert_eq!(snap.latencies.len(), 1);
        let w = snap.latencies[0].windows;
        assert_eq!([w[0].0, w[1].0, w[2].0], [8, 64, 244]);
        assert_eq!(
            decode(&[], vec![("short".into(), vec![hash(&[])])])
                .unwrap()
                .1,
            ["short"]
        );
    }

    #[test]
    fn a_malformed_gauge_entry_is_an_error_not_a_panic() {
        let e = decode(&["a".into(), "1".into()], vec![]).unwrap_err();
        assert!(e.starts_with("signals read: malformed gauge entry"), "{e}");
    }
}
