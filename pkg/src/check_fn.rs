use crate::{CheckOutcome, HealthChecker};
use std::future::Future;

/// A [`HealthChecker`] made from a name and an async closure; see [`check_fn`].
pub struct FnChecker<F> {
    name: String,
    f: F,
}

/// Wraps a closure returning a future of [`CheckOutcome`] as a checker.
///
/// Combine with [`CheckerExt`](crate::CheckerExt) to set groups, timeout and the rest.
///
/// ```
/// use vitals::{check_fn, CheckOutcome, HealthChecker};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ping = check_fn("ping", || async { CheckOutcome::healthy() });
/// assert_eq!(ping.check().await, CheckOutcome::healthy());
/// # }
/// ```
pub fn check_fn<F, Fut>(name: impl Into<String>, f: F) -> FnChecker<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckOutcome> + Send + 'static,
{
    FnChecker {
        name: name.into(),
        f,
    }
}

#[async_trait::async_trait]
impl<F, Fut> HealthChecker for FnChecker<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckOutcome> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        (self.f)().await
    }
}
