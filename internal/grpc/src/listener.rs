//! The health service on a port of its own (the kernel's `VITALS_GRPC_BIND`).
use crate::GrpcHealth;
use std::net::SocketAddr;
use tonic::transport::server::TcpIncoming;

/// A bound listener serving [`GrpcHealth`] alone, over plain-text HTTP/2 (what Kubernetes'
/// `grpc:` probes speak).
#[derive(Debug)]
pub struct GrpcListener {
    incoming: TcpIncoming,
    addr: SocketAddr,
}

impl GrpcListener {
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
        Ok(Self { incoming, addr })
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
        tonic::transport::Server::builder()
            .serve_with_incoming_shutdown(health.server(), self.incoming, async move {
                shutdown.await;
                closer.close();
            })
            .await
            .map_err(std::io::Error::other)
    }
}
