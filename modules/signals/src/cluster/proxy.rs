//! Proxy mode: no Redis; every read fetches each service's JSON status document (with the
//! configured header) and sums it. A service that cannot be read fails the whole read, naming
//! the service and why: a sum that silently left a replica out would under-report.
//!
//! The document: `{"gauges": {"sse.connections": 12}, "latencies": {"http.request":
//! {"count": 120, "p50": 0.012, "p95": 0.2, "p99": 0.41}}}`, both maps optional.
use super::figures::{ClusterFigures, GaugeSignal, LatencySignal, MAX_SIGNALS};
use crate::config::ProxyConfig;
use crate::keys::valid_name;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
struct Status {
    #[serde(default)]
    gauges: BTreeMap<String, f64>,
    #[serde(default)]
    latencies: BTreeMap<String, Latency>,
}

#[derive(Debug, Deserialize)]
struct Latency {
    count: u64,
    p50: f64,
    p95: f64,
    p99: f64,
}

pub(crate) struct Proxy {
    urls: Vec<String>,
    header: Option<(String, String)>,
    agent: ureq::Agent,
}

impl Proxy {
    pub(crate) fn new(config: &ProxyConfig, timeout: Duration) -> Self {
        let agent = crate::export::http_agent(timeout);
        Self {
            urls: config.urls.clone(),
            header: config.header.clone(),
            agent,
        }
    }

    fn fetch(&self, url: &str) -> Result<Status, String> {
        let mut req = self.agent.get(url).header("Accept", "application/json");
        if let Some((name, value)) = &self.header {
            req = req.header(name, value);
        }
        let mut resp = req.call().map_err(|e| format!("{url}: unreachable: {e}"))?;
        match resp.status().as_u16() {
            200 => {}
            s @ 300..=399 => {
                // Never followed: the credential header stays with the configured origin.
                let to = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("(no Location)");
                return Err(format!(
                    "{url}: HTTP {s}: redirects are not followed (Location: {to})"
                ));
            }
            401 | 403 if self.header.is_some() => {
                return Err(format!(
                    "{url}: HTTP {}: the service refused the credentials of VITALS_SIGNALS_PROXY_HEADER",
                    resp.status().as_u16()
                ));
            }
            401 | 403 => {
                return Err(format!(
                    "{url}: HTTP {}: the service wants credentials: set VITALS_SIGNALS_PROXY_HEADER",
                    resp.status().as_u16()
                ));
            }
            s => return Err(format!("{url}: HTTP {s}")),
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| format!("{url}: reading the status document: {e}"))?;
        serde_json::from_str(&body).map_err(|e| format!("{url}: not a status document: {e}"))
    }

    /// Fetches every document (in parallel, each under the deadline) and sums them.
    ///
    /// # Errors
    /// Every service that could not be read, each named with its reason.
    pub(crate) async fn read(self: &std::sync::Arc<Self>) -> Result<ClusterFigures, String> {
        let fetches: Vec<_> = (0..self.urls.len())
            .map(|i| {
                let me = self.clone();
                tokio::task::spawn_blocking(move || me.fetch(&me.urls[i]))
            })
            .collect();
        let (mut docs, mut errors) = (Vec::new(), Vec::new());
        for f in fetches {
            match f.await {
                Ok(Ok(d)) => docs.push(d),
                Ok(Err(e)) => errors.push(e),
                Err(e) => errors.push(format!("fetch panicked: {e}")),
            }
        }
        if errors.is_empty() {
            Ok(merge(docs))
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Gauges summed over the services reporting them; latency counts summed and each percentile
/// the highest of the services' (an upper bound: percentiles do not add).
fn merge(docs: Vec<Status>) -> ClusterFigures {
    let mut gauges: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut latencies: BTreeMap<String, (u64, [f64; 3])> = BTreeMap::new();
    for d in docs {
        for (name, v) in d.gauges {
            if valid_name(&name) && v.is_finite() {
                let g = gauges.entry(name).or_default();
                g.0 += v;
                g.1 += 1;
            }
        }
        for (name, l) in d.latencies {
            let qs = [l.p50, l.p95, l.p99];
            if valid_name(&name) && qs.iter().all(|q| q.is_finite()) {
                let e = latencies.entry(name).or_insert((0, [f64::MIN; 3]));
                e.0 = e.0.saturating_add(l.count);
                for (m, q) in e.1.iter_mut().zip(qs) {
                    *m = m.max(q);
                }
            }
        }
    }
    let cut =
        gauges.len().saturating_sub(MAX_SIGNALS) + latencies.len().saturating_sub(MAX_SIGNALS);
    ClusterFigures {
        cut,
        gauges: gauges
            .into_iter()
            .take(MAX_SIGNALS)
            .map(|(name, (sum, publishers))| GaugeSignal {
                name,
                sum,
                publishers,
                max: [None; 3],
            })
            .collect(),
        latencies: latencies
            .into_iter()
            .take(MAX_SIGNALS)
            .map(|(name, (count, qs))| LatencySignal {
                name,
                windows: [((count), (count > 0).then_some(qs)), (0, None), (0, None)],
            })
            .collect(),
        history: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_sum_gauges_and_take_the_worst_percentile() {
        let docs: Vec<Status> = [
            r#"{"gauges": {"sse.connections": 3, "Bad Name": 1}, "latencies": {"http": {"count": 10, "p50": 0.1, "p95": 0.5, "p99": 0.9}}}"#,
            r#"{"gauges": {"sse.connections": 4.5}, "latencies": {"http": {"count": 5, "p50": 0.2, "p95": 0.3, "p99": 1.5}}}"#,
            r#"{}"#,
        ]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
        let snap = merge(docs);
        assert_eq!(
            snap.gauges,
            [GaugeSignal {
                name: "sse.connections".into(),
                sum: 7.5,
                publishers: 2,
                max: [None; 3]
            }]
        );
        assert_eq!(snap.latencies[0].windows[0], (15, Some([0.2, 0.5, 1.5])));
        assert_eq!(snap.windows(), 1);
    }
}
