//! The health service on a port of its own (the kernel's `VITALS_GRPC_BIND`).
use crate::GrpcHealth;
use std::net::SocketAddr;
use std::time::Duration;
use tonic::transport::server::TcpIncoming;

/// A bound listener serving [`GrpcHealth`] alone, over plain-text HTTP/2 (what Kubernetes'
/// `grpc:` probes speak).
///
/// Connections are pinged ([`KEEPALIVE_INTERVAL`](Self::KEEPALIVE_INTERVAL),
/// [`KEEPALIVE_TIMEOUT`](Self::KEEPALIVE_TIMEOUT)): a `Watch` stream
/// sends nothing while the status holds, so without pings the stream of a client that vanished
/// without closing its connection (a node lost, a partition) would stay open until shutdown.
#[derive(Debug)]
pub struct GrpcListener {
    incoming: TcpIncoming,
    addr: SocketAddr,
    keepalive: (Duration, Duration),
}

impl GrpcListener {
    /// How long a connection may send nothing before it is pinged (HTTP/2 `PING`), by default.
    pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
    /// How long a ping may go unanswered before the connection is closed, by default.
    pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

    /// Binds `addr` now (port 0 picks a free port), so a taken port fails before anything
    /// serves.
    ///
    /// # Errors
    /// The OS error when the address cannot be bound.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let incoming = TcpIncoming::bind(addr)?.with_nodelay(Some(true));
        let addr = incoming.local_addr()?;
        Ok(Self {
            incoming,
            addr,
            keepalive: (Self::KEEPALIVE_INTERVAL, Self::KEEPALIVE_TIMEOUT),
        })
    }

    /// Pings each connection after `interval` without a frame from the client and closes it
    /// when a ping goes unanswered for `timeout`, ending its streams.
    pub fn keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.keepalive = (interval, timeout);
        self
    }

    /// The bound address (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `health` until `shutdown` resolves; then every `Watch` stream ends
    /// ([`GrpcHealth::close`]), the listener closes and open calls finish.
    ///
    /// # Errors
    /// A server failure, as an I/O error.
    pub async fn serve(
        self,
        health: GrpcHealth,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let closer = health.clone();
        let (interval, timeout) = self.keepalive;
        tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(interval))
            .http2_keepalive_timeout(Some(timeout))
            .serve_with_incoming_shutdown(health.server(), self.incoming, async move {
                shutdown.await;
                closer.close();
            })
            .await
            .map_err(std::io::Error::other)
    }
}
