//! A throwaway Prometheus Pushgateway (Debian's `prometheus-pushgateway`) on a free loopback
//! port, in memory only.
use crate::process::{ChildGuard, free_addr};
use std::time::{Duration, Instant};

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
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "prometheus-pushgateway did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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
