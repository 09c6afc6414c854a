use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A loopback address with a port that was free a moment ago, for a server a test starts.
///
/// The port is taken from the 12,000 below the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by default), in turn from a place set by
/// the process id. A port the kernel picked (`bind` to port 0) could be picked again, or taken by
/// one of the many outgoing connections a test makes, between now and the server's own bind;
/// ports below that range are never picked so, and handing them out in turn keeps two servers a
/// test starts at once apart.
pub fn free_addr() -> SocketAddr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static FIRST: OnceLock<(u32, u32)> = OnceLock::new();
    let &(low, span) = FIRST.get_or_init(|| {
        let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
            .unwrap_or(32_768);
        let low = ephemeral.saturating_sub(12_000).max(1_024);
        let span = ephemeral.saturating_sub(low).max(1);
        NEXT.store(
            std::process::id().wrapping_mul(7_919) % span,
            Ordering::Relaxed,
        );
        (low, span)
    });
    for _ in 0..span {
        let port = low + NEXT.fetch_add(1, Ordering::Relaxed) % span;
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port as u16)) {
            return l.local_addr().expect("local addr");
        }
    }
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr")
}

/// Waits until `addr` accepts connections; panics with `what` after `limit`.
pub fn wait_for_port(addr: SocketAddr, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process that is killed when dropped (so a failing test leaves no server behind).
pub struct ChildGuard {
    child: Option<Child>,
}

impl ChildGuard {
    /// Starts a server `program` with arguments; its output goes to the null device.
    pub fn spawn_quiet(program: &str, args: &[&str]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        Self {
            child: Some(cmd.spawn().unwrap_or_else(|e| {
                panic!("{program} is required (scripts/test.sh installs it): {e}")
            })),
        }
    }

    /// Starts `program` with arguments and `envs` added to the environment; its output goes to
    /// the null device.
    pub fn spawn_quiet_with(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self {
            child: Some(cmd.spawn().unwrap_or_else(|e| {
                panic!("{program} is required (scripts/test.sh installs it): {e}")
            })),
        }
    }

    /// Starts `program` with `envs`, stdout and stderr captured.
    pub fn spawn(program: &str, envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self {
            child: Some(
                cmd.spawn()
                    .unwrap_or_else(|e| panic!("spawn {program}: {e}")),
            ),
        }
    }

    /// Whether the process has exited (a server that could not bind its port, say).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    /// Waits until every one of `ports` on loopback accepts connections, for at most `limit`:
    /// `false` as soon as the process exits first (a port taken by another process between
    /// [`free_addr`] and the server's bind: start it again on other ports), a panic naming
    /// `what` once `limit` has passed.
    pub fn wait_for_ports(&mut self, ports: &[u16], what: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        for p in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], *p));
            while std::net::TcpStream::connect(addr).is_err() {
                if self.exited() {
                    return false;
                }
                assert!(Instant::now() < deadline, "{what} did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // A port answered by another process while this one failed to bind the next.
        !self.exited()
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal by name (`TERM`, `INT`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits up to `limit` for exit; returns the exit code and captured stderr.
    pub fn wait_exit(self, limit: Duration) -> (Option<i32>, String) {
        let (code, _, stderr) = self.wait_output(limit);
        (code, stderr)
    }

    /// Waits up to `limit` for exit; returns the exit code, stdout and stderr.
    pub fn wait_output(mut self, limit: Duration) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                use std::io::Read;
                let (mut out, mut err) = (String::new(), String::new());
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (status.code(), out, err);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("process did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `url` until it answers (any status) or `limit` passes.
pub async fn wait_until_up(url: &str, limit: Duration) {
    wait_for(url, limit, |_| true).await;
}

/// Polls `url` until it answers 200 (e.g. Prometheus' `/-/ready`, which answers 503 while it
/// starts) or `limit` passes.
pub async fn wait_until_ok(url: &str, limit: Duration) {
    wait_for(url, limit, |status| status == 200).await;
}

async fn wait_for(url: &str, limit: Duration, good: fn(u16) -> bool) {
    let deadline = Instant::now() + limit;
    loop {
        let u = url.to_owned();
        let up = tokio::task::spawn_blocking(move || {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(2)))
                .build()
                .new_agent();
            agent
                .get(&u)
                .call()
                .is_ok_and(|r| good(r.status().as_u16()))
        })
        .await
        .unwrap_or(false);
        if up {
            return;
        }
        assert!(Instant::now() < deadline, "{url} not up within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The PostgreSQL URL for tests, from `VITALS_TEST_DATABASE_URL`. PostgreSQL tests are required:
/// without it they fail (the README's test command starts a server and sets it).
pub fn postgres_url() -> String {
    std::env::var("VITALS_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "VITALS_TEST_DATABASE_URL is not set: PostgreSQL tests are required. \
             Run the README's test command (scripts/test.sh), which starts PostgreSQL and sets it."
        )
    })
}

/// Starts `program` on a free loopback address (`VITALS_BIND`) with `envs`, waits until its
/// `/healthz` answers, and returns it with its base URL.
pub async fn start_service(program: &str, envs: &[(&str, &str)]) -> (ChildGuard, String) {
    let addr = free_addr().to_string();
    let mut all: Vec<(&str, &str)> = vec![("VITALS_BIND", &addr)];
    all.extend_from_slice(envs);
    let child = ChildGuard::spawn(program, &all);
    let base = format!("http://{addr}");
    wait_until_up(&format!("{base}/healthz"), Duration::from_secs(30)).await;
    (child, base)
}

/// A SQLite URL in a directory of this test process's own (created on first use).
pub fn sqlite_url(tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!("vitals-test-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}?mode=rwc", dir.join("vitals.db").display())
}
