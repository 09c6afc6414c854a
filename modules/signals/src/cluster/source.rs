//! Where an aggregate comes from — Redis (every process publishes, any aggregator reads) or
//! proxy mode (each service's status document) — behind one `read`: under one deadline, timed
//! and counted, shared by the scrape and the readiness of the aggregation for the scrape TTL.
use super::figures::ClusterFigures;
use super::proxy::Proxy;
use super::redis::ClusterReader;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use vitals::Coalesced;
use vitals::metrics::{Counter, Gauge};

pub(crate) enum Origin {
    Redis(ClusterReader),
    Proxy(Arc<Proxy>),
}

struct Instruments {
    duration: Gauge,
    failures: Counter,
}

struct Inner {
    origin: Origin,
    deadline: Duration,
    instruments: OnceLock<Instruments>,
}

pub(crate) struct Source {
    inner: Arc<Inner>,
    cache: Coalesced<Result<Arc<ClusterFigures>, String>>,
    ttl: Duration,
}

impl Source {
    /// `origin`, each aggregation bounded by `deadline`, a result shared for `ttl`.
    pub(crate) fn new(origin: Origin, deadline: Duration, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                origin,
                deadline,
                instruments: OnceLock::new(),
            }),
            cache: Coalesced::new(),
            ttl,
        }
    }

    /// Declares the aggregation's duration gauge and failure counter (and the Redis
    /// aggregator's own counters).
    pub(crate) fn instrument(&self, metrics: &vitals::Metrics) -> Result<(), vitals::Error> {
        if let Origin::Redis(a) = &self.inner.origin {
            a.instrument(metrics)?;
        }
        let i = Instruments {
            duration: metrics.gauge(
                "vitals_signals_aggregation_duration_seconds",
                "How long the last aggregation of the signals took, failed or not.",
            )?,
            failures: metrics.counter(
                "vitals_signals_aggregation_failures_total",
                "Aggregations of the signals that failed or ran past their deadline.",
            )?,
        };
        let _ = self.inner.instruments.set(i);
        Ok(())
    }

    /// A new aggregation now (what each export sends).
    ///
    /// # Errors
    /// Redis unreachable or a call past its deadline (named), the services that could not be
    /// read, or the whole aggregation past its deadline.
    pub(crate) async fn read_fresh(&self) -> Result<ClusterFigures, String> {
        self.inner.read().await
    }

    /// The aggregation of the last scrape TTL, or a new one (the scrape's and readiness').
    ///
    /// # Errors
    /// As [`read_fresh`](Self::read_fresh); a panicked or cancelled run, named.
    pub(crate) async fn read(&self) -> Result<Arc<ClusterFigures>, String> {
        let (inner, ttl) = (self.inner.clone(), self.ttl);
        let lookup = self.cache.get(move || async move {
            let r = inner.read().await.map(Arc::new);
            let until = r.is_ok().then(|| tokio::time::Instant::now() + ttl);
            (r, until)
        });
        lookup
            .await
            .unwrap_or_else(|f| Err(format!("signals aggregation: {f}")))
    }
}

impl Inner {
    async fn read(&self) -> Result<ClusterFigures, String> {
        let started = Instant::now();
        let read = async {
            match &self.origin {
                Origin::Redis(a) => a.read().await,
                Origin::Proxy(p) => p.read().await,
            }
        };
        let r = match tokio::time::timeout(self.deadline, read).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "signals aggregation ran past its deadline of {:?}",
                self.deadline
            )),
        };
        if let Some(i) = self.instruments.get() {
            i.duration.set(started.elapsed().as_secs_f64());
            if r.is_err() {
                i.failures.inc();
            }
        }
        r
    }
}
