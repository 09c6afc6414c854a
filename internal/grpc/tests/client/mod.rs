//! Drives `health_client.py` (grpcio-health-checking, an independent client) from a test: one
//! process per call, its stdout read line by line with a deadline on every read.
#![allow(dead_code, unreachable_pub)]
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

fn script() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|p| p.join("internal/grpc/tests/health_client.py"))
        .find(|p| p.exists())
        .expect("internal/grpc/tests/health_client.py")
}

/// A running client; killed when dropped.
pub struct Client {
    child: Child,
    lines: Receiver<(Instant, String)>,
}

impl Client {
    /// Starts `health_client.py` with `args` (`check ADDR NAME…`, `watch ADDR NAME`, …).
    pub fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new("python3")
            .arg(script())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with grpcio-health-checking (scripts/services.sh installs it)");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The client's process id (to stop it with a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line and when it arrived; panics after `within`.
    pub fn line_at(&self, within: Duration) -> (Instant, String) {
        self.lines
            .recv_timeout(within)
            .unwrap_or_else(|e| panic!("no line from the client within {within:?}: {e}"))
    }

    /// The next line; panics after `within`.
    pub fn line(&self, within: Duration) -> String {
        self.line_at(within).1
    }

    /// Every line until the client exits; panics after `within`.
    pub fn rest(mut self, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((_, line)) => out.push(line),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(e) => panic!("client still running after {within:?} ({e}): {out:?}"),
            }
        }
        let _ = self.child.wait();
        out
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Check` of every name, one line each: `'name' STATUS` or `'name' CODE`.
pub fn check(addr: &str, names: &[&str]) -> Vec<String> {
    let mut args = vec!["check", addr];
    args.extend(names);
    Client::spawn(&args).rest(Duration::from_secs(20))
}
