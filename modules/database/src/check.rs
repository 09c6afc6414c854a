use crate::PoolStatus;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, Dependency, HealthChecker, HealthGroup, async_trait};

/// The `db` readiness check: a ping, then `SELECT 1`; reports latency and pool status.
pub struct DbCheck {
    conn: DatabaseConnection,
    timeout: Duration,
}

impl DbCheck {
    /// A check over `conn` with its own timeout.
    pub fn new(conn: DatabaseConnection, timeout: Duration) -> Self {
        Self { conn, timeout }
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
        Some(self.timeout)
    }

    fn dependency(&self) -> Dependency {
        Dependency::External
    }
}

impl DbCheck {
    async fn run(&self) -> CheckOutcome {
        let start = Instant::now();
        if let Err(e) = self.conn.ping().await {
            return CheckOutcome::unhealthy(format!("ping failed: {e}"));
        }
        let backend = self.conn.get_database_backend();
        let select = Statement::from_string(backend, "SELECT 1");
        match self.conn.query_one_raw(select).await {
            Ok(Some(_)) => {}
            Ok(None) => return CheckOutcome::unhealthy("SELECT 1 returned no row"),
            Err(e) => return CheckOutcome::unhealthy(format!("SELECT 1 failed: {e}")),
        }
        let latency = start.elapsed();
        let mut outcome = CheckOutcome::healthy()
            .with_detail("backend", format!("{backend:?}").to_lowercase())
            .with_detail("latency_seconds", latency.as_secs_f64());
        if let Some(pool) = PoolStatus::of(&self.conn) {
            outcome = outcome
                .with_detail("pool_idle", pool.idle)
                .with_detail("pool_in_use", pool.in_use)
                .with_detail("pool_max", pool.max);
        }
        outcome
    }
}
