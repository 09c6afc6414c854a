use crate::PoolStatus;
use crate::timing::QueryMetrics;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, Dependency, HealthChecker, HealthGroup, async_trait};

/// The `db` readiness check: a ping, then `SELECT 1`, on a connection of its own (so that a
/// request pool saturated by traffic does not turn every replica unready at once: the check
/// measures the database, not the pool); then the request pool's state: exhausted → degraded.
///
/// Its reading is cached (2 s by default, `VITALS_DB_CHECK_CACHE_TTL`): `/ready` is anonymous
/// and often reachable by load balancers or the internet, and a flood of it must not become a
/// flood of queries: whatever the probe rate, a replica sends at most one `SELECT 1` per period.
pub struct DbCheck {
    own: DatabaseConnection,
    requests: DatabaseConnection,
    timing: Arc<OnceLock<QueryMetrics>>,
    timeout: Option<Duration>,
    cache_ttl: Duration,
}

impl DbCheck {
    /// A check that queries over `own` (a one-connection pool of its own) and reports the state
    /// of the `requests` pool and its latest wait, with its own timeout and cache TTL.
    pub(crate) fn new(
        own: DatabaseConnection,
        requests: DatabaseConnection,
        timing: Arc<OnceLock<QueryMetrics>>,
        timeout: Option<Duration>,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            own,
            requests,
            timing,
            timeout,
            cache_ttl,
        }
    }
}

#[async_trait]
impl HealthChecker for DbCheck {
    fn name(&self) -> &str {
        "db"
    }

    async fn check(&self) -> CheckOutcome {
        crate::timing::uncounted(self.run()).await
    }

    fn groups(&self) -> Vec<HealthGroup> {
        vec![HealthGroup::Readiness]
    }

    fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    fn dependency(&self) -> Dependency {
        Dependency::External
    }

    fn cache_ttl(&self) -> Duration {
        self.cache_ttl
    }
}

impl DbCheck {
    async fn run(&self) -> CheckOutcome {
        let start = Instant::now();
        if let Err(e) = self.own.ping().await {
            return CheckOutcome::unhealthy(format!("ping failed: {e}"));
        }
        let backend = self.own.get_database_backend();
        let select = Statement::from_string(backend, "SELECT 1");
        match self.own.query_one_raw(select).await {
            Ok(Some(_)) => {}
            Ok(None) => return CheckOutcome::unhealthy("SELECT 1 returned no row"),
            Err(e) => return CheckOutcome::unhealthy(format!("SELECT 1 failed: {e}")),
        }
        let latency = start.elapsed();
        let mut outcome = CheckOutcome::healthy();
        if let Some(pool) = PoolStatus::of(&self.requests) {
            if pool.in_use >= pool.max {
                outcome = CheckOutcome::degraded(format!(
                    "request pool exhausted: {} of {} connections in use; queries wait for one",
                    pool.in_use, pool.max
                ));
            }
            if let Some(t) = self.timing.get() {
                outcome =
                    outcome.with_detail("pool_last_wait_seconds", t.last_wait().as_secs_f64());
            }
            outcome = outcome
                .with_detail("pool_idle", pool.idle)
                .with_detail("pool_in_use", pool.in_use)
                .with_detail("pool_max", pool.max);
        }
        outcome
            .with_detail("backend", format!("{backend:?}").to_lowercase())
            .with_detail("latency_seconds", latency.as_secs_f64())
    }
}
