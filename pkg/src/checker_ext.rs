use crate::{CheckOutcome, Dependency, HealthChecker, HealthGroup};
use std::time::Duration;

/// A checker with some of its settings overridden; built by [`CheckerExt`].
pub struct Configured<C> {
    inner: C,
    groups: Option<Vec<HealthGroup>>,
    timeout: Option<Duration>,
    critical: Option<bool>,
    dependency: Option<Dependency>,
    cache_ttl: Option<Duration>,
}

/// Builder-style overrides for any [`HealthChecker`].
///
/// ```
/// use std::time::Duration;
/// use vitals::{check_fn, CheckOutcome, CheckerExt, HealthChecker, HealthGroup};
///
/// let cache = check_fn("cache", || async { CheckOutcome::healthy() })
///     .non_critical()
///     .with_cache_ttl(Duration::from_secs(5))
///     .with_groups([HealthGroup::Readiness, HealthGroup::custom("backing")]);
/// assert!(!cache.critical());
/// assert_eq!(cache.groups().len(), 2);
/// ```
pub trait CheckerExt: HealthChecker + Sized {
    /// Sets the groups the check belongs to (replacing the checker's own).
    fn with_groups(self, groups: impl IntoIterator<Item = HealthGroup>) -> Configured<Self> {
        Configured::new(self).with_groups(groups)
    }
    /// Sets the check's timeout.
    fn with_timeout(self, timeout: Duration) -> Configured<Self> {
        Configured::new(self).with_timeout(timeout)
    }
    /// Makes a failure degrade its group instead of failing it.
    fn non_critical(self) -> Configured<Self> {
        Configured::new(self).non_critical()
    }
    /// Declares what the check depends on.
    fn with_dependency(self, dependency: Dependency) -> Configured<Self> {
        Configured::new(self).with_dependency(dependency)
    }
    /// Reuses a result for `ttl` before running the check again.
    fn with_cache_ttl(self, ttl: Duration) -> Configured<Self> {
        Configured::new(self).with_cache_ttl(ttl)
    }
}

impl<C: HealthChecker> CheckerExt for C {}

impl<C: HealthChecker> Configured<C> {
    fn new(inner: C) -> Self {
        Self {
            inner,
            groups: None,
            timeout: None,
            critical: None,
            dependency: None,
            cache_ttl: None,
        }
    }
    /// See [`CheckerExt::with_groups`].
    pub fn with_groups(mut self, groups: impl IntoIterator<Item = HealthGroup>) -> Self {
        self.groups = Some(groups.into_iter().collect());
        self
    }
    /// See [`CheckerExt::with_timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// See [`CheckerExt::non_critical`].
    pub fn non_critical(mut self) -> Self {
        self.critical = Some(false);
        self
    }
    /// See [`CheckerExt::with_dependency`].
    pub fn with_dependency(mut self, dependency: Dependency) -> Self {
        self.dependency = Some(dependency);
        self
    }
    /// See [`CheckerExt::with_cache_ttl`].
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }
}

#[async_trait::async_trait]
impl<C: HealthChecker> HealthChecker for Configured<C> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    async fn check(&self) -> CheckOutcome {
        self.inner.check().await
    }
    fn groups(&self) -> Vec<HealthGroup> {
        self.groups.clone().unwrap_or_else(|| self.inner.groups())
    }
    fn timeout(&self) -> Option<Duration> {
        self.timeout.or_else(|| self.inner.timeout())
    }
    fn critical(&self) -> bool {
        self.critical.unwrap_or_else(|| self.inner.critical())
    }
    fn dependency(&self) -> Dependency {
        self.dependency.unwrap_or_else(|| self.inner.dependency())
    }
    fn cache_ttl(&self) -> Duration {
        self.cache_ttl.unwrap_or_else(|| self.inner.cache_ttl())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_fn;

    #[test]
    fn overrides_replace_defaults_and_keep_the_rest() {
        let c = check_fn("x", || async { CheckOutcome::healthy() })
            .with_timeout(Duration::from_millis(5))
            .with_dependency(Dependency::Local);
        assert_eq!(c.timeout(), Some(Duration::from_millis(5)));
        assert_eq!(c.dependency(), Dependency::Local);
        assert!(c.critical());
        assert_eq!(c.groups(), vec![HealthGroup::Readiness]);
        assert_eq!(c.cache_ttl(), Duration::ZERO);
    }
}
