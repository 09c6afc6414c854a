//! Memory: use against the cgroup v2 limit (`memory.current` over `memory.max`) when the process
//! runs under one, else the host's (`MemTotal` less `MemAvailable` of `/proc/meminfo`); the
//! process's RSS in details. Degraded and unhealthy above thresholds. Reads run off the async
//! workers.
use vitals::{CheckOutcome, HealthChecker};

/// A checker of the memory the process may use (see [`memory()`]).
#[derive(Debug, Clone)]
pub struct MemoryCheck {
    name: String,
    degraded_above: f64,
    unhealthy_above: f64,
}

/// A check named `memory`: details `scope` (`cgroup` or `host`), `used_bytes`, `limit_bytes`,
/// `used_ratio` and the process's `rss_bytes`; degraded above 0.90 of the limit, unhealthy above
/// 0.95 (see [`degraded_above`](MemoryCheck::degraded_above),
/// [`unhealthy_above`](MemoryCheck::unhealthy_above)). A cgroup without a limit (`max`) counts
/// against the host.
///
/// ```
/// let mem = vitals_module_checks::memory().degraded_above(0.8);
/// ```
pub fn memory() -> MemoryCheck {
    MemoryCheck {
        name: "memory".into(),
        degraded_above: 0.90,
        unhealthy_above: 0.95,
    }
}

impl MemoryCheck {
    /// The check's name. Defaults to `memory`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Used share above which the check is degraded. Defaults to 0.90.
    pub fn degraded_above(mut self, ratio: f64) -> Self {
        self.degraded_above = ratio;
        self
    }

    /// Used share above which the check is unhealthy. Defaults to 0.95.
    pub fn unhealthy_above(mut self, ratio: f64) -> Self {
        self.unhealthy_above = ratio;
        self
    }
}

struct Reading {
    scope: &'static str,
    used: u64,
    limit: u64,
    rss: Option<u64>,
}

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A `Key:   123 kB` line of a `/proc` file, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let rest = text
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?;
    let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

fn read() -> Result<Reading, String> {
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| kib_field(&s, "VmRSS"));
    if let (Some(used), Some(limit)) = (
        read_u64("/sys/fs/cgroup/memory.current"),
        read_u64("/sys/fs/cgroup/memory.max"),
    ) {
        return Ok(Reading {
            scope: "cgroup",
            used,
            limit,
            rss,
        });
    }
    let info =
        std::fs::read_to_string("/proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
    let total = kib_field(&info, "MemTotal").ok_or("/proc/meminfo: no MemTotal")?;
    let available = kib_field(&info, "MemAvailable").ok_or("/proc/meminfo: no MemAvailable")?;
    Ok(Reading {
        scope: "host",
        used: total.saturating_sub(available),
        limit: total,
        rss,
    })
}

#[async_trait::async_trait]
impl HealthChecker for MemoryCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let r = match tokio::task::spawn_blocking(read).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("memory: {e}")),
            Err(e) => return CheckOutcome::unhealthy(format!("memory: {e}")),
        };
        let ratio = if r.limit == 0 {
            1.0
        } else {
            r.used as f64 / r.limit as f64
        };
        let said = format!(
            "memory ({}): {} of {} bytes used ({:.1}%)",
            r.scope,
            r.used,
            r.limit,
            ratio * 100.0
        );
        let mut outcome = if ratio > self.unhealthy_above {
            CheckOutcome::unhealthy(said)
        } else if ratio > self.degraded_above {
            CheckOutcome::degraded(said)
        } else {
            CheckOutcome::healthy()
        };
        if let Some(rss) = r.rss {
            outcome = outcome.with_detail("rss_bytes", rss);
        }
        outcome
            .with_detail("scope", r.scope)
            .with_detail("used_bytes", r.used)
            .with_detail("limit_bytes", r.limit)
            .with_detail("used_ratio", ratio)
    }
}
