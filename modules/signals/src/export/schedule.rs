//! The export schedule: every interval, aligned on Redis' clock, each aggregator claims the
//! interval and the one that wins exports it — one export per interval cluster-wide however
//! many aggregators run; a killed winner only loses its own interval. Each export is a task of
//! its own under a deadline that ends with its interval (a push not sent by then is not sent),
//! so a late export never lands on top of the next one. On a clean stop the last exporter deletes the Pushgateway group; the others
//! leave it to whoever still exports.
use super::exports::Exports;
use crate::cluster::Source;
use crate::connection::Redis;
use crate::keys::Keys;
use crate::scripts::{CLAIM, RETIRE};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Who competes for intervals: the exporters of one tenant/project, through Redis.
pub(crate) struct Claims {
    pub(crate) redis: Arc<Redis>,
    pub(crate) keys: Keys,
    pub(crate) exporter: String,
}

impl Claims {
    /// Claims the current interval: Redis' time (ms), the interval's number, whether it is
    /// ours.
    async fn claim(&self, every: Duration) -> Result<(u64, u64, bool), String> {
        let mut call = CLAIM.key(self.keys.exporters());
        call.arg(self.keys.prefix())
            .arg(&self.exporter)
            .arg(every.as_millis() as u64);
        let (now, slot, won): (u64, u64, u8) = self
            .redis
            .call("signals export claim", |mut c| async move {
                call.invoke_async(&mut c).await
            })
            .await?;
        Ok((now, slot, won == 1))
    }

    /// Leaves the exporters; whether any other claimed within the last two intervals.
    async fn others(&self, every: Duration) -> Result<bool, String> {
        let mut call = RETIRE.key(self.keys.exporters());
        call.arg(&self.exporter).arg(every.as_millis() as u64);
        let n: u64 = self
            .redis
            .call("signals export retire", |mut c| async move {
                call.invoke_async(&mut c).await
            })
            .await?;
        Ok(n > 0)
    }

    async fn now_ms(&self) -> Result<u64, String> {
        let (s, us): (u64, u64) = self.redis.cmd("TIME", &redis::cmd("TIME")).await?;
        Ok(s * 1000 + us / 1000)
    }
}

/// From Redis time `now` to just after the start of the next interval.
fn until_next(now: u64, every: Duration) -> Duration {
    let every = every.as_millis().max(1) as u64;
    Duration::from_millis(every - now % every + 10)
}

pub(crate) struct Schedule {
    source: Arc<Source>,
    exports: Arc<Exports>,
    every: Duration,
    at_start: bool,
    claims: Option<Arc<Claims>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Schedule {
    pub(crate) fn new(
        source: Arc<Source>,
        exports: Arc<Exports>,
        every: Duration,
        at_start: bool,
        claims: Option<Claims>,
    ) -> Self {
        Self {
            source,
            exports,
            every,
            at_start,
            claims: claims.map(Arc::new),
            task: Mutex::new(None),
        }
    }

    /// Starts the loop (once).
    pub(crate) fn start(&self) {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_some() {
            return;
        }
        let (source, exports, claims) = (
            self.source.clone(),
            self.exports.clone(),
            self.claims.clone(),
        );
        let (every, at_start) = (self.every, self.at_start);
        *task = Some(tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let mut next = match (&claims, at_start) {
                (_, true) => start,
                (Some(c), false) => {
                    start + c.now_ms().await.map_or(every, |n| until_next(n, every))
                }
                (None, false) => start + every,
            };
            let mut failing = false;
            loop {
                tokio::time::sleep_until(next).await;
                let started = tokio::time::Instant::now();
                next = started + every;
                let (s, x) = (source.clone(), exports.clone());
                let run = match &claims {
                    None => None,
                    Some(c) => match c.claim(every).await {
                        Ok((now, _, won)) => {
                            next = started + until_next(now, every);
                            if !won {
                                continue;
                            }
                            None
                        }
                        // Nothing can be coordinated, nor aggregated from Redis: every
                        // aggregator reports the failure alone (`up 0`), never data.
                        Err(e) => Some(e),
                    },
                };
                // The export must be over before the next interval's may start.
                let deadline = next;
                let task = tokio::spawn(async move {
                    if let Some(e) = run {
                        return Err(x.failed(&format!("export claim: {e}"), deadline).await);
                    }
                    tokio::time::timeout_at(deadline, x.run(&s, deadline))
                        .await
                        .unwrap_or_else(|_| {
                            Err("export ran past the end of its interval".to_owned())
                        })
                });
                let outcome = match task.await {
                    Ok(r) => r,
                    Err(p) => Err(exports.failed(&format!("export panicked: {p}"), next).await),
                };
                // Logged once per change between exporting and failing.
                match outcome {
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "signals exports fail");
                    }
                    Ok(()) if failing => {
                        failing = false;
                        tracing::info!("signals exports work again");
                    }
                    _ => {}
                }
            }
        }));
    }

    /// Ends the loop; the last exporter (or the only one, in proxy mode) deletes the
    /// Pushgateway group. An export still in flight cannot re-create it (see `Pushgateway`).
    pub(crate) async fn stop(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(task) = task else { return };
        task.abort();
        let _ = task.await;
        let last = match &self.claims {
            None => true,
            Some(c) => match c.others(self.every).await {
                Ok(others) => !others,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell whether another exporter goes on: the Pushgateway group is left");
                    false
                }
            },
        };
        if last {
            self.exports.withdraw().await;
        } else {
            tracing::info!("another exporter goes on: the Pushgateway group is left to it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_interval_starts_on_its_boundary() {
        let s = Duration::from_secs(30);
        assert_eq!(until_next(60_000, s), Duration::from_millis(30_010));
        assert_eq!(until_next(89_999, s), Duration::from_millis(11));
    }
}
