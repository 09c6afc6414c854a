//! Disk space: free bytes and share of the filesystem holding a path, degraded and unhealthy
//! below thresholds. The `statvfs` call runs off the async workers.
use std::path::PathBuf;
use vitals::{CheckOutcome, HealthChecker};

/// A checker of the filesystem holding one path (see [`disk()`]).
#[derive(Debug, Clone)]
pub struct DiskCheck {
    name: String,
    path: PathBuf,
    degraded_below: f64,
    unhealthy_below: f64,
}

/// A check named `disk` of the filesystem holding `path`: details `free_bytes`, `total_bytes`
/// and `free_ratio`; degraded when the free share is below 0.10, unhealthy below 0.05 (see
/// [`degraded_below`](DiskCheck::degraded_below), [`unhealthy_below`](DiskCheck::unhealthy_below)).
///
/// ```
/// let data = vitals_module_checks::disk("/var/lib/app").degraded_below(0.2).unhealthy_below(0.1);
/// ```
pub fn disk(path: impl Into<PathBuf>) -> DiskCheck {
    DiskCheck {
        name: "disk".into(),
        path: path.into(),
        degraded_below: 0.10,
        unhealthy_below: 0.05,
    }
}

impl DiskCheck {
    /// The check's name. Defaults to `disk`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Free share below which the check is degraded. Defaults to 0.10.
    pub fn degraded_below(mut self, ratio: f64) -> Self {
        self.degraded_below = ratio;
        self
    }

    /// Free share below which the check is unhealthy. Defaults to 0.05.
    pub fn unhealthy_below(mut self, ratio: f64) -> Self {
        self.unhealthy_below = ratio;
        self
    }
}

#[async_trait::async_trait]
impl HealthChecker for DiskCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let path = self.path.clone();
        let space = tokio::task::spawn_blocking(move || {
            Ok::<_, std::io::Error>((fs4::available_space(&path)?, fs4::total_space(&path)?))
        })
        .await;
        let shown = self.path.display();
        let (free, total) = match space {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("disk {shown}: {e}")),
            Err(e) => return CheckOutcome::unhealthy(format!("disk {shown}: {e}")),
        };
        let ratio = if total == 0 {
            0.0
        } else {
            free as f64 / total as f64
        };
        let said = format!(
            "disk {shown}: {free} of {total} bytes free ({:.1}%)",
            ratio * 100.0
        );
        let outcome = if ratio < self.unhealthy_below {
            CheckOutcome::unhealthy(said)
        } else if ratio < self.degraded_below {
            CheckOutcome::degraded(said)
        } else {
            CheckOutcome::healthy()
        };
        outcome
            .with_detail("free_bytes", free)
            .with_detail("total_bytes", total)
            .with_detail("free_ratio", ratio)
    }
}
