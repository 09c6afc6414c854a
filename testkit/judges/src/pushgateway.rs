//! A throwaway Prometheus Pushgateway (Debian's `prometheus-pushgateway`) on a free loopback
//! port, in memory only.
use crate::process::{ChildGuard, free_addr, wait_for_port};
use std::time::Duration;

/// A running Pushgateway of the test's own; killed on drop.
pub struct TempPushgateway {
    addr: std::net::SocketAddr,
    _child: ChildGuard,
}

impl TempPushgateway {
    /// Starts one and waits until it accepts connections.
    pub fn start() -> Self {
        let addr = free_addr();
        let listen = format!("--web.listen-address={addr}");
        let child = ChildGuard::spawn_quiet("prometheus-pushgateway", &[&listen]);
        wait_for_port(addr, "prometheus-pushgateway", Duration::from_secs(10));
        Self {
            addr,
            _child: child,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
