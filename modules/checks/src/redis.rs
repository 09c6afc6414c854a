//! Redis: `PING` answered within the timeout, the node's role and memory in details, degraded when
//! used memory passes a share of `maxmemory`.
use crate::masked;
use std::time::Duration;
use vitals::{CheckOutcome, Error, HealthChecker};

/// A checker of one Redis node (see [`redis()`]).
#[derive(Clone)]
pub struct RedisCheck {
    name: String,
    client: ::redis::Client,
    shown: String,
    timeout: Duration,
    degraded_above: f64,
}

/// A check named `redis` of the node at `url` (`redis://[user:password@]host:port[/db]`):
/// healthy when it answers `PING`; details `role` (`master`, `slave`), `used_memory_bytes` and,
/// when `maxmemory` is set, `maxmemory_bytes` and `memory_ratio`; degraded when the ratio is
/// above 0.9 (see [`degraded_above`](RedisCheck::degraded_above)). Every wait is bounded by 1 s
/// (see [`timeout`](RedisCheck::timeout)); a fresh connection per run, so a node that changed
/// never answers through an old socket.
///
/// ```
/// use vitals::CheckerExt;
/// let cache = vitals_module_checks::redis("redis://127.0.0.1:6379")?.named("cache").non_critical();
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidCheck`] naming the URL (credentials masked) when it is not a Redis URL.
pub fn redis(url: &str) -> Result<RedisCheck, Error> {
    let shown = masked(url);
    let client = ::redis::Client::open(url).map_err(|e| Error::InvalidCheck {
        name: "redis".into(),
        reason: format!("{shown}: {e}"),
    })?;
    Ok(RedisCheck {
        name: "redis".into(),
        client,
        shown,
        timeout: Duration::from_secs(1),
        degraded_above: 0.9,
    })
}

impl RedisCheck {
    /// The check's name. Defaults to `redis`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Bound of every wait of one run (connect, each reply). Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Used memory over `maxmemory` above which the check is degraded. Defaults to 0.9.
    pub fn degraded_above(mut self, ratio: f64) -> Self {
        self.degraded_above = ratio;
        self
    }

    async fn probe(&self) -> Result<(String, u64, u64), String> {
        let config = ::redis::AsyncConnectionConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        let mut c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        let _: String = ::redis::cmd("PING")
            .query_async(&mut c)
            .await
            .map_err(|e| e.to_string())?;
        let info: String = ::redis::cmd("INFO")
            .arg("replication")
            .arg("memory")
            .query_async(&mut c)
            .await
            .map_err(|e| e.to_string())?;
        let field = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(str::trim)
        };
        let role = field("role").unwrap_or("unknown").to_owned();
        let used = field("used_memory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let max = field("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok((role, used, max))
    }
}

/// Shows the URL masked: the client's own `Debug` prints the password.
impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCheck")
            .field("name", &self.name)
            .field("url", &self.shown)
            .field("timeout", &self.timeout)
            .field("degraded_above", &self.degraded_above)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl HealthChecker for RedisCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        // Bounded here too: connect and each reply are, and so is the whole run.
        let run = tokio::time::timeout(self.timeout * 3, self.probe()).await;
        let (role, used, max) = match run {
            Err(_) => {
                return CheckOutcome::unhealthy(format!(
                    "redis {}: no answer within {:?}",
                    self.shown,
                    self.timeout * 3
                ));
            }
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("redis {}: {e}", self.shown)),
            Ok(Ok(v)) => v,
        };
        let mut outcome = CheckOutcome::healthy();
        if max > 0 {
            let ratio = used as f64 / max as f64;
            if ratio > self.degraded_above {
                outcome = CheckOutcome::degraded(format!(
                    "redis {}: memory {used} of {max} bytes ({:.0}%)",
                    self.shown,
                    ratio * 100.0
                ));
            }
            outcome = outcome
                .with_detail("maxmemory_bytes", max)
                .with_detail("memory_ratio", ratio);
        }
        outcome
            .with_detail("role", role)
            .with_detail("used_memory_bytes", used)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_shows_the_url_masked() {
        let check = super::redis("redis://app:s3cret@cache:6379/0").unwrap();
        let shown = format!("{check:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("redis://cache:6379/0"), "{shown}");
    }
}
