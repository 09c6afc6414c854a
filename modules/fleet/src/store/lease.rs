//! The poller's lease: one row, its holder's token and its expiry on the database's clock. A
//! collector polls only while it holds it; the others serve the pages from the database.
use super::{FleetStore, StoreError};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A holder token unique across processes and calls: `<pid>-<nanoseconds>-<counter>`.
pub fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

impl FleetStore {
    /// Takes the lease for `token` for `lease` (on the database's clock) when nobody holds it or
    /// its holder's expired, or renews it when `token` holds it. Returns whether `token` holds
    /// it now.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn claim(&self, token: &str, lease: Duration) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let row = self
            .bounded(self.db.query_one_raw(self.stmt(
                &format!(
                    "INSERT INTO fleet_lease (name, holder, expires_at_ms)
                     VALUES ('poller', $1, {now} + $2)
                     ON CONFLICT (name) DO UPDATE
                        SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
                        WHERE fleet_lease.holder = excluded.holder
                           OR fleet_lease.expires_at_ms < {now}
                     RETURNING holder"
                ),
                vec![token.into(), ms(lease).into()],
            )))
            .await?;
        Ok(row.is_some())
    }

    /// Gives the lease up (at shutdown), so that another collector takes over at once.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn release(&self, token: &str) -> Result<(), StoreError> {
        self.bounded(self.db.execute_raw(self.stmt(
            "DELETE FROM fleet_lease WHERE name = 'poller' AND holder = $1",
            vec![token.into()],
        )))
        .await?;
        Ok(())
    }

    /// A write's transaction, begun with the lease renewed if `token` still holds it unexpired;
    /// `None` (rolled back) when it was lost (expired and taken over), and the write must be
    /// abandoned.
    pub(super) async fn begin_held(
        &self,
        token: &str,
        lease: Duration,
    ) -> Result<Option<DatabaseTransaction>, sea_orm::DbErr> {
        let tx = self.db.begin().await?;
        if self.still_held(&tx, token, lease).await? {
            Ok(Some(tx))
        } else {
            tx.rollback().await?;
            Ok(None)
        }
    }

    /// Inside a write: renews the lease if `token` still holds it unexpired; `false` when it was
    /// lost (expired and taken over), and the write must be abandoned.
    async fn still_held(
        &self,
        tx: &DatabaseTransaction,
        token: &str,
        lease: Duration,
    ) -> Result<bool, sea_orm::DbErr> {
        let now = self.now_ms();
        let done = tx
            .execute_raw(self.stmt(
                &format!(
                    "UPDATE fleet_lease SET expires_at_ms = {now} + $2
                     WHERE name = 'poller' AND holder = $1 AND expires_at_ms >= {now}"
                ),
                vec![token.into(), ms(lease).into()],
            ))
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
