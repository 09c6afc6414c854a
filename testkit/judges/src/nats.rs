//! A throwaway NATS server (Debian's `nats-server`) on free loopback ports, with its monitoring
//! endpoint (to count the connections it holds), optionally requiring a user and password.
use crate::process::{ChildGuard, free_addr};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// `max_payload` of every `TempNats` (not the server's default, so a client showing it read it
/// from the server).
pub const NATS_MAX_PAYLOAD: u64 = 524_288;

/// A running (or stopped) `nats-server` of the test's own.
pub struct TempNats {
    port: u16,
    monitor: u16,
    config: PathBuf,
    child: Mutex<Option<ChildGuard>>,
}

impl TempNats {
    /// Starts a server named `vitals-<port>` without authentication, once it accepts
    /// connections.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts a server that requires `user` and `password`.
    pub fn start_with_password(user: &str, password: &str) -> Self {
        Self::start_with(Some((user, password)))
    }

    fn start_with(auth: Option<(&str, &str)>) -> Self {
        // A port taken between `free_addr` and the server's bind (tests start servers in
        // parallel) makes it exit: start it again on other ports.
        for _ in 0..5 {
            if let Some(nats) = Self::try_start(auth) {
                return nats;
            }
        }
        panic!("nats-server exited at start five times (is it installed?)");
    }

    fn try_start(auth: Option<(&str, &str)>) -> Option<Self> {
        let (port, monitor) = (free_addr().port(), free_addr().port());
        if port == monitor {
            return None;
        }
        let config =
            std::env::temp_dir().join(format!("vitals-nats-{}-{port}.conf", std::process::id()));
        std::fs::write(&config, format!("max_payload: {NATS_MAX_PAYLOAD}\n")).unwrap();
        let (port_arg, monitor_arg, name) = (
            port.to_string(),
            monitor.to_string(),
            format!("vitals-{port}"),
        );
        let mut args = vec![
            "-c",
            config.to_str().unwrap(),
            "-a",
            "127.0.0.1",
            "-p",
            &port_arg,
            "-m",
            &monitor_arg,
            "-n",
            &name,
        ];
        if let Some((user, password)) = auth {
            args.extend_from_slice(&["--user", user, "--pass", password]);
        }
        let mut child = ChildGuard::spawn_quiet("nats-server", &args);
        if !child.wait_for_ports(
            &[port, monitor],
            "nats-server (is it installed?)",
            Duration::from_secs(20),
        ) {
            let _ = std::fs::remove_file(&config);
            return None;
        }
        Some(Self {
            port,
            monitor,
            config,
            child: Mutex::new(Some(child)),
        })
    }

    /// `nats://127.0.0.1:<port>` (no credentials).
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The name the server reports (`vitals-<port>`).
    pub fn name(&self) -> String {
        format!("vitals-{}", self.port)
    }

    /// The installed server's version, as `nats-server --version` prints it (`2.9.10`).
    pub fn version() -> String {
        let out = std::process::Command::new("nats-server")
            .arg("--version")
            .output()
            .expect("nats-server is required (scripts/test.sh installs it)");
        let text = String::from_utf8(out.stdout).unwrap();
        text.trim()
            .rsplit(' ')
            .next()
            .unwrap()
            .trim_start_matches('v')
            .to_owned()
    }

    /// The client connections the server holds now, from its monitoring endpoint (`/connz`).
    pub async fn connections(&self) -> u64 {
        let url = format!("http://127.0.0.1:{}/connz", self.monitor);
        let body: serde_json::Value =
            serde_json::from_str(&crate::get(&url).await.text()).expect("connz is JSON");
        body["num_connections"].as_u64().expect("num_connections")
    }

    /// Sends a signal by name (`STOP`, `CONT`) to the server.
    pub fn signal(&self, name: &str) {
        self.child
            .lock()
            .unwrap()
            .as_ref()
            .expect("running")
            .signal(name);
    }

    /// Kills the server.
    pub fn stop(&self) {
        self.child.lock().unwrap().take();
    }
}

impl Drop for TempNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.config);
    }
}
