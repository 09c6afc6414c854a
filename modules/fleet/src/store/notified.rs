//! What notifications last said of each target (`fleet_notified`): written by the lease holder
//! whenever it changes, read by the next holder when it takes the lease, so that whoever polls
//! a target tells its recovery from a `down` another collector sent.
use super::{FleetStore, StoreError};
use sea_orm::ConnectionTrait;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vitals_notify::Notified;
use vitals_status::{Word, unix_ms};

fn to_ms(t: Option<SystemTime>) -> Option<i64> {
    t.map(|t| i64::try_from(unix_ms(t)).unwrap_or(i64::MAX))
}

fn from_ms(ms: Option<i64>) -> Option<SystemTime> {
    ms.map(|ms| UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

impl FleetStore {
    /// The last notified state of each of `targets` that has one. Rows of other targets (no
    /// longer configured: one of the same name added later starts afresh) and rows that cannot
    /// be read (logged) are deleted, never restored.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`].
    pub async fn notified(&self, targets: &[&str]) -> Result<Vec<(String, Notified)>, StoreError> {
        let rows = self
            .bounded(self.db.query_all_raw(self.stmt(
                "SELECT target, status, since_ms, last_message_ms FROM fleet_notified",
                vec![],
            )))
            .await?;
        let mut kept = Vec::with_capacity(rows.len());
        for r in &rows {
            let target: String = r.try_get("", "target").map_err(StoreError::Db)?;
            let read = || -> Result<Notified, String> {
                let status: String = r.try_get("", "status").map_err(|e| e.to_string())?;
                let status = super::read::word(&status).ok_or(format!("status {status:?}"))?;
                let ms = |col| r.try_get::<Option<i64>>("", col).map_err(|e| e.to_string());
                Ok(Notified {
                    status: status.into(),
                    since: from_ms(ms("since_ms")?),
                    last_message: from_ms(ms("last_message_ms")?),
                })
            };
            match read() {
                Ok(n) if targets.contains(&target.as_str()) => kept.push((target, n)),
                Ok(_) => self.forget_notified(&target).await?,
                Err(e) => {
                    tracing::warn!(target_name = %target, "fleet view: unreadable notified state deleted: {e}");
                    self.forget_notified(&target).await?;
                }
            }
        }
        Ok(kept)
    }

    async fn forget_notified(&self, target: &str) -> Result<(), StoreError> {
        self.bounded(self.db.execute_raw(self.stmt(
            "DELETE FROM fleet_notified WHERE target = $1",
            vec![target.into()],
        )))
        .await?;
        Ok(())
    }

    /// Writes `states` under `token`'s lease (renewed to `lease`). Returns `false`, having
    /// written nothing, when `token` no longer holds the lease.
    ///
    /// # Errors
    /// The database's error, or [`StoreError::Deadline`] (the transaction is rolled back).
    pub async fn save_notified(
        &self,
        token: &str,
        lease: Duration,
        states: &[(String, Notified)],
    ) -> Result<bool, StoreError> {
        self.bounded(async {
            let Some(tx) = self.begin_held(token, lease).await? else {
                return Ok(false);
            };
            for (target, n) in states {
                tx.execute_raw(self.stmt(
                    "INSERT INTO fleet_notified (target, status, since_ms, last_message_ms)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (target) DO UPDATE SET status = excluded.status,
                        since_ms = excluded.since_ms, last_message_ms = excluded.last_message_ms",
                    vec![
                        target.as_str().into(),
                        Word::from(n.status).as_str().into(),
                        to_ms(n.since).into(),
                        to_ms(n.last_message).into(),
                    ],
                ))
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}
