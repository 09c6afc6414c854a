//! Readiness of the aggregating side: Redis answers `PING` within the deadline.
use crate::connection::Redis;
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
