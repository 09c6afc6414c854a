use crate::{CheckOutcome, HealthGroup};
use std::time::Duration;

/// Whether a checker depends on a system outside this process.
///
/// Checkers that depend on an external system (a database, another service) are refused in the
/// liveness group: an outage there must not restart every replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// Looks only at this process (memory, threads, an internal queue).
    Local,
    /// Talks to something outside the process. The default, so that a checker has to state that
    /// it is local before it may join the liveness group.
    External,
}

/// One health check: a stable name and an async `check`.
///
/// Only `name` and `check` are required. The rest have defaults: readiness group, critical,
/// external dependency, kernel default timeout, no caching.
///
/// ```
/// use vitals::{async_trait, CheckOutcome, HealthChecker};
///
/// struct Queue { depth: usize }
///
/// #[async_trait]
/// impl HealthChecker for Queue {
///     fn name(&self) -> &str { "queue" }
///     async fn check(&self) -> CheckOutcome {
///         if self.depth < 1000 {
///             CheckOutcome::healthy().with_detail("depth", self.depth)
///         } else {
///             CheckOutcome::degraded(format!("queue depth {}", self.depth))
///         }
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(Queue { depth: 3 }.check().await.error().is_none());
/// # }
/// ```
#[async_trait::async_trait]
pub trait HealthChecker: Send + Sync + 'static {
    /// A stable name: lower-case letters, digits, `_`, `-` and `.`; unique in the kernel.
    fn name(&self) -> &str;

    /// Runs the check once.
    async fn check(&self) -> CheckOutcome;

    /// The groups this check belongs to. Defaults to readiness only.
    fn groups(&self) -> Vec<HealthGroup> {
        vec![HealthGroup::Readiness]
    }

    /// Per-check timeout; `None` uses the kernel's default (1 s unless configured).
    fn timeout(&self) -> Option<Duration> {
        None
    }

    /// Whether a failure fails its group (`true`, the default) or only degrades it.
    fn critical(&self) -> bool {
        true
    }

    /// What the check depends on. Defaults to [`Dependency::External`].
    fn dependency(&self) -> Dependency {
        Dependency::External
    }

    /// How long a result may be reused before the check runs again. Defaults to zero: no cache.
    fn cache_ttl(&self) -> Duration {
        Duration::ZERO
    }
}

#[async_trait::async_trait]
impl<T: HealthChecker + ?Sized> HealthChecker for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn check(&self) -> CheckOutcome {
        (**self).check().await
    }
    fn groups(&self) -> Vec<HealthGroup> {
        (**self).groups()
    }
    fn timeout(&self) -> Option<Duration> {
        (**self).timeout()
    }
    fn critical(&self) -> bool {
        (**self).critical()
    }
    fn dependency(&self) -> Dependency {
        (**self).dependency()
    }
    fn cache_ttl(&self) -> Duration {
        (**self).cache_ttl()
    }
}
