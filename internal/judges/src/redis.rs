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
        let port = self.port.to_string();
        let child = ChildGuard::spawn_quiet(
            "redis-server",
            &[
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        );
        *self.child.lock().unwrap() = Some(child);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        wait_for_port(
            addr,
            "redis-server (is it installed?)",
            Duration::from_secs(10),
        );
    }
}
