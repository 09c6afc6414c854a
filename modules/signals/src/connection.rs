//! One Redis connection per process, opened on first use (Redis down at start never stops the
//! service) and re-established by the connection manager; every call under a deadline.
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;
use tokio::sync::Mutex;

/// A failed Redis call: the message is for logs and readiness, never a label.
pub(crate) type RedisResult<T> = Result<T, String>;

pub(crate) struct Redis {
    client: redis::Client,
    manager: Mutex<Option<ConnectionManager>>,
    timeout: Duration,
}

impl Redis {
    pub(crate) fn new(url: &str, timeout: Duration) -> RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url).map_err(|e| e.to_string())?,
            manager: Mutex::new(None),
            timeout,
        })
    }

    async fn connection(&self) -> RedisResult<ConnectionManager> {
        let mut slot = tokio::time::timeout(self.timeout, self.manager.lock())
            .await
            .map_err(|_| "timed out waiting for the connection".to_owned())?;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        // Reconnects are quick and few: a retry every 100–500 ms, so that service comes back
        // within a flush or two of Redis, and every wait stays under the deadline.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_factor(100)
            .set_max_delay(500)
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        let manager = ConnectionManager::new_with_config(self.client.clone(), config);
        let c = tokio::time::timeout(self.timeout, manager)
            .await
            .map_err(|_| format!("connect timed out after {:?}", self.timeout))?
            .map_err(|e| e.to_string())?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs `pipe` atomically-enough (one round trip) under the deadline.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> RedisResult<T> {
        let mut c = self.connection().await?;
        tokio::time::timeout(self.timeout, pipe.query_async(&mut c))
            .await
            .map_err(|_| format!("redis call timed out after {:?}", self.timeout))?
            .map_err(|e| e.to_string())
    }

    /// Runs one command under the deadline.
    pub(crate) async fn cmd<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> RedisResult<T> {
        let mut c = self.connection().await?;
        tokio::time::timeout(self.timeout, cmd.query_async(&mut c))
            .await
            .map_err(|_| format!("redis call timed out after {:?}", self.timeout))?
            .map_err(|e| e.to_string())
    }
}
