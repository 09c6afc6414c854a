//! The process's one Redis connection: a single node, a primary among its replicas, or a Redis
//! Cluster; opened on first use (Redis down at start never stops the service), every call under
//! a deadline, and replaced — never kept — after a run of timeouts or an error that says the
//! node is no longer the one to talk to (`READONLY` after a failover, `MOVED`, a dropped socket).
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};
use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use vitals::metrics::Counter;

/// A failed Redis call: the message names the call and is for logs, never a label.
pub(crate) type RedisResult<T> = Result<T, String>;

/// Which Redis to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One node, or a primary and its replicas: the node answering `ROLE` with `master` is
    /// used, found again after a failover (`VITALS_SIGNALS_REDIS_URL`, comma-separated).
    Nodes(Vec<String>),
    /// Seed nodes of a Redis Cluster (`VITALS_SIGNALS_REDIS_CLUSTER_URLS`).
    Cluster(Vec<String>),
}

impl Target {
    /// Every URL, for validation and messages.
    pub fn urls(&self) -> &[String] {
        match self {
            Target::Nodes(u) | Target::Cluster(u) => u,
        }
    }
}

/// The connection a call runs on.
#[derive(Clone)]
pub(crate) enum Conn {
    Node(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Node(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Node(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Node(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

enum Clients {
    Nodes(Vec<(redis::Client, String)>),
    Cluster(Box<redis::cluster::ClusterClient>),
}

/// Counters of the connection's trouble, set once the module registers its metrics.
struct Counters {
    timeouts: Counter,
    reconnects: Counter,
}

pub(crate) struct Redis {
    clients: Clients,
    conn: Mutex<Option<Conn>>,
    timeout: Duration,
    reconnect_after: u32,
    timeouts_in_a_row: AtomicU32,
    counters: OnceLock<Counters>,
}

/// A URL without its credentials, for messages.
pub(crate) fn shown(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end], &url[scheme_end + at + 1..]),
        None => url.to_owned(),
    }
}

impl Redis {
    pub(crate) fn new(
        target: &Target,
        timeout: Duration,
        reconnect_after: u32,
    ) -> RedisResult<Self> {
        let clients = match target {
            Target::Nodes(urls) => Clients::Nodes(
                urls.iter()
                    .map(|u| Ok((redis::Client::open(u.as_str())?, shown(u))))
                    .collect::<Result<_, RedisError>>()
                    .map_err(|e| e.to_string())?,
            ),
            Target::Cluster(urls) => Clients::Cluster(Box::new(
                redis::cluster::ClusterClient::builder(urls.iter().map(String::as_str))
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(2)
                    .min_retry_wait(50)
                    .max_retry_wait(250)
                    .build()
                    .map_err(|e| e.to_string())?,
            )),
        };
        Ok(Self {
            clients,
            conn: Mutex::new(None),
            timeout,
            reconnect_after: reconnect_after.max(1),
            timeouts_in_a_row: AtomicU32::new(0),
            counters: OnceLock::new(),
        })
    }

    /// Declares `vitals_signals_redis_timeouts_total` and `…_reconnects_total`.
    pub(crate) fn instrument(&self, metrics: &vitals::Metrics) -> Result<(), vitals::Error> {
        let counters = Counters {
            timeouts: metrics.counter(
                "vitals_signals_redis_timeouts_total",
                "Redis calls of the signals module that ran past their deadline.",
            )?,
            reconnects: metrics.counter(
                "vitals_signals_redis_reconnects_total",
                "Redis connections of the signals module dropped to be opened anew (timeouts in a row, READONLY, MOVED, a broken socket).",
            )?,
        };
        let _ = self.counters.set(counters);
        Ok(())
    }

    async fn connect(&self) -> RedisResult<Conn> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        match &self.clients {
            Clients::Cluster(c) => c
                .get_async_connection()
                .await
                .map(Conn::Cluster)
                .map_err(|e| format!("cluster: {e}")),
            Clients::Nodes(nodes) if nodes.len() == 1 => nodes[0]
                .0
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map(Conn::Node)
                .map_err(|e| format!("{}: {e}", nodes[0].1)),
            Clients::Nodes(nodes) => {
                // Every node is asked at once, each under the deadline: a node that stopped
                // answering (a dead primary without a RST) never hides the promoted one.
                let mut asks = tokio::task::JoinSet::new();
                for (client, url) in nodes {
                    let (client, url, config) = (client.clone(), url.clone(), config.clone());
                    let limit = self.timeout;
                    asks.spawn(async move {
                        let ask = async {
                            let mut c = client
                                .get_multiplexed_async_connection_with_config(&config)
                                .await?;
                            let role: Vec<Value> = redis::cmd("ROLE").query_async(&mut c).await?;
                            Ok::<_, RedisError>((c, role))
                        };
                        match tokio::time::timeout(limit, ask).await {
                            Err(_) => Err(format!("{url}: timed out after {limit:?}")),
                            Ok(Err(e)) => Err(format!("{url}: {e}")),
                            Ok(Ok((c, role))) => match role.first() {
                                Some(Value::BulkString(r)) if r == b"master" => Ok(c),
                                _ => Err(format!("{url}: not the primary")),
                            },
                        }
                    });
                }
                let mut why = Vec::new();
                while let Some(done) = asks.join_next().await {
                    match done {
                        Ok(Ok(c)) => return Ok(Conn::Node(c)),
                        Ok(Err(e)) => why.push(e),
                        Err(e) => why.push(format!("ROLE probe failed: {e}")),
                    }
                }
                Err(format!("no primary: {}", why.join("; ")))
            }
        }
    }

    async fn connection(&self) -> RedisResult<Conn> {
        let mut slot = tokio::time::timeout(self.timeout, self.conn.lock())
            .await
            .map_err(|_| "timed out waiting for the connection".to_owned())?;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| format!("connect timed out after {:?}", self.timeout))??;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Drops the connection so the next call opens a new one (and finds the primary again).
    async fn reset(&self) {
        if let Ok(mut slot) = tokio::time::timeout(self.timeout, self.conn.lock()).await
            && slot.take().is_some()
        {
            self.timeouts_in_a_row.store(0, Ordering::Relaxed);
            if let Some(c) = self.counters.get() {
                c.reconnects.inc();
            }
        }
    }

    async fn timed_out(&self) {
        if let Some(c) = self.counters.get() {
            c.timeouts.inc();
        }
        if self.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1 >= self.reconnect_after {
            self.reset().await;
        }
    }

    /// Runs `f` on the connection under the deadline; `what` names the call in errors.
    pub(crate) async fn call<T, F, Fut>(&self, what: &str, f: F) -> RedisResult<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self
            .connection()
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        match tokio::time::timeout(self.timeout, f(conn)).await {
            Err(_) => {
                self.timed_out().await;
                Err(format!("{what}: timed out after {:?}", self.timeout))
            }
            Ok(Err(e)) => {
                if e.is_timeout() {
                    self.timed_out().await;
                } else if replace_after(&e) {
                    self.reset().await;
                }
                Err(format!("{what}: {e}"))
            }
            Ok(Ok(v)) => {
                self.timeouts_in_a_row.store(0, Ordering::Relaxed);
                Ok(v)
            }
        }
    }

    /// Runs `pipe` in one round trip; `what` names it in errors.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        what: &str,
        pipe: &Pipeline,
    ) -> RedisResult<T> {
        self.call(what, |mut c| async move { pipe.query_async(&mut c).await })
            .await
    }

    /// Runs one command; `what` names it in errors.
    pub(crate) async fn cmd<T: redis::FromRedisValue>(
        &self,
        what: &str,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        self.call(what, |mut c| async move { cmd.query_async(&mut c).await })
            .await
    }
}

/// Errors after which the connection is not to be trusted again: the node is a replica now,
/// the slot moved, the cluster is reconfiguring, or the socket is gone.
fn replace_after(e: &RedisError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ReadOnly
            | ErrorKind::Moved
            | ErrorKind::Ask
            | ErrorKind::ClusterDown
            | ErrorKind::TryAgain
            | ErrorKind::MasterDown
    ) || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_left_out_of_messages() {
        assert_eq!(shown("redis://u:secret@h:6379/0"), "redis://h:6379/0");
        assert_eq!(shown("redis://h:6379"), "redis://h:6379");
        assert_eq!(shown("redis://:p@ss@h"), "redis://h");
    }
}
