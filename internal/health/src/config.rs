use crate::RunObserver;
use std::sync::Arc;
use std::time::Duration;
use vitals::{SimpleStatusAggregator, StatusAggregator};

/// How the registry runs its checks.
#[derive(Clone)]
pub struct RegistryConfig {
    /// Timeout for checks that do not set their own. Defaults to 1 s.
    pub default_timeout: Duration,
    /// Run checks on an interval and serve probes from the latest reading. Defaults to off.
    pub background: Option<BackgroundConfig>,
    /// Flap damping for the readiness group. Defaults to off.
    pub damping: Option<Damping>,
    /// Folds check statuses into a group status. Defaults to [`SimpleStatusAggregator`].
    pub aggregator: Arc<dyn StatusAggregator>,
    /// Told about every finished run, in order (the check metrics, a history). Defaults to
    /// none.
    pub observers: Vec<Arc<dyn RunObserver>>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            default_timeout: Duration::from_secs(1),
            background: None,
            damping: None,
            aggregator: Arc::new(SimpleStatusAggregator),
            observers: Vec::new(),
        }
    }
}

impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryConfig")
            .field("default_timeout", &self.default_timeout)
            .field("background", &self.background)
            .field("damping", &self.damping)
            .finish_non_exhaustive()
    }
}

/// Background mode: each check runs every `interval`; a reading older than `max_staleness` is
/// reported unhealthy with its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackgroundConfig {
    /// Time between the end of one run and the start of the next.
    pub interval: Duration,
    /// Oldest reading still trusted.
    pub max_staleness: Duration,
}

/// Flap damping on readiness: `failures` consecutive failures before a check that was passing is
/// reported unhealthy, `successes` consecutive passes before it is reported healthy again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damping {
    /// Consecutive failures needed to turn unhealthy (at least 1).
    pub failures: u32,
    /// Consecutive successes needed to recover (at least 1).
    pub successes: u32,
}
