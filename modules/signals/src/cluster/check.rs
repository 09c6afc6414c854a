//! The health of the aggregation, where aggregation runs: the check `signals` in its own group
//! (`/health/signals`), never in readiness — an app replica's `/ready` does not depend on
//! Redis or on the services proxy mode reads. It shares the scrape's aggregation.
use super::source::Source;
use std::sync::Arc;
use vitals::{CheckOutcome, CheckerExt, HealthChecker, HealthGroup, check_fn};

/// The group the check is served in.
pub(crate) const GROUP: &str = "signals";

pub(crate) fn aggregation_check(source: Arc<Source>) -> impl HealthChecker {
    check_fn("signals", move || {
        let source = source.clone();
        async move {
            match source.read().await {
                Ok(_) => CheckOutcome::healthy(),
                Err(e) => CheckOutcome::unhealthy(e),
            }
        }
    })
    .with_groups([HealthGroup::custom(GROUP)])
}
