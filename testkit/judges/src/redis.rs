//! A throwaway Redis server (Debian's `redis-server`) on a free loopback port, stoppable and
//! restartable on the same port; no persistence.
use crate::process::{ChildGuard, free_addr, wait_for_port};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running (or stopped) Redis server of the test's own.
pub struct TempRedis {
    port: u16,
    child: Mutex<Option<ChildGuard>>,
}

impl TempRedis {
    /// Starts a server on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        let r = Self {
            port: free_addr().port(),
            child: Mutex::new(None),
        };
        r.resume();
        r
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (its data is gone: no persistence).
    pub fn stop(&self) {
        self.child.lock().unwrap().take();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "redis still up after stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same port.
    pub fn resume(&self) {
        *self.child.lock().unwrap() = Some(redis_server(self.port, &[]));
    }
}

/// A `redis-server` on `127.0.0.1:port` without persistence, with `extra` arguments (a replica's
/// `--replicaof`, a cluster node's `--cluster-enabled yes`), once it accepts connections.
pub fn redis_server(port: u16, extra: &[&str]) -> ChildGuard {
    let port_arg = port.to_string();
    let mut args = vec![
        "--port",
        &port_arg,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    args.extend_from_slice(extra);
    let child = ChildGuard::spawn_quiet("redis-server", &args);
    wait_for_port(
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        "redis-server (is it installed?)",
        Duration::from_secs(10),
    );
    child
}
