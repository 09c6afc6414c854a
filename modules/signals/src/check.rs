//! Readiness of the aggregating side: Redis answers `PING` within the deadline, or in proxy
//! mode every service's status document can be read.
use crate::connection::Redis;
use crate::source::Source;
use std::sync::Arc;
use vitals::{CheckOutcome, HealthChecker, check_fn};

pub(crate) fn redis_check(redis: Arc<Redis>) -> impl HealthChecker {
    check_fn("signals_redis", move || {
        let redis = redis.clone();
        async move {
            match redis.cmd::<String>(&redis::cmd("PING")).await {
                Ok(_) => CheckOutcome::healthy(),
                Err(e) => CheckOutcome::unhealthy(format!("redis unreachable: {e}")),
            }
        }
    })
}

pub(crate) fn sources_check(source: Arc<Source>) -> impl HealthChecker {
    check_fn("signals_sources", move || {
        let source = source.clone();
        async move {
            match source.read().await {
                Ok(_) => CheckOutcome::healthy(),
                Err(e) => CheckOutcome::unhealthy(e),
            }
        }
    })
}
