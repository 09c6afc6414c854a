//! A throwaway RabbitMQ node (Debian's `rabbitmq-server`) of the test's own: a private node name,
//! free AMQP and distribution ports, its data, logs, config and Erlang cookie in a temp
//! directory, no plugins, a user with a password. A system node, if any, is left alone.
//!
//! A node takes seconds to boot, so a test binary shares one ([`TempRabbitmq::shared`]) and
//! starts its own only to stop it. A watchdog shell, whose standard input is a pipe held by the
//! test process, kills the node and removes its directory when that pipe closes: when the
//! `TempRabbitmq` is dropped, or when the test process exits in any way (a shared node is never
//! dropped). Erlang's `epmd` daemon, shared by every node of the machine, stays.
use crate::process::free_addr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The user every `TempRabbitmq` has.
pub const RABBITMQ_USER: &str = "vitals";
/// That user's password.
pub const RABBITMQ_PASSWORD: &str = "s3cret-amqp";

/// Boot can take 5–15 s (more on a loaded machine).
const BOOT_LIMIT: Duration = Duration::from_secs(60);

/// The watchdog: starts the node, waits for its standard input to close, then kills it.
const WATCHDOG: &str = r#"
/usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >"$RABBITMQ_LOG_BASE/stdout" 2>&1 &
launcher=$!
cat >/dev/null
kill -KILL "$(cat "$RABBITMQ_PID_FILE" 2>/dev/null)" "$launcher" 2>/dev/null
wait "$launcher" 2>/dev/null
rm -rf "$VITALS_RABBITMQ_DIR"
"#;

/// A running (or stopped) RabbitMQ node.
pub struct TempRabbitmq {
    port: u16,
    dir: PathBuf,
    beam: u32,
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
}

impl TempRabbitmq {
    /// Starts a node and waits until it accepts AMQP connections.
    pub fn start() -> Self {
        Self::start_with("")
    }

    /// Starts a node whose AMQP listener queues at most `backlog` + 1 connections not yet
    /// accepted (Linux): stopped, it then leaves further connections unanswered.
    pub fn start_with_backlog(backlog: u32) -> Self {
        Self::start_with(&format!("tcp_listen_options.backlog = {backlog}\n"))
    }

    fn start_with(extra_config: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let tag = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("vitals-rabbitmq-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["home", "mnesia", "log"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let (port, dist) = (free_addr().port(), free_addr().port());
        let config = dir.join("rabbitmq.conf");
        std::fs::write(
            &config,
            format!(
                "listeners.tcp.default = 127.0.0.1:{port}\n\
                 default_user = {RABBITMQ_USER}\ndefault_pass = {RABBITMQ_PASSWORD}\n\
                 {extra_config}"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        let path = |p: &str| dir.join(p).to_str().unwrap().to_owned();
        let pid_file = dir.join("beam.pid");
        let mut child = Command::new("sh")
            .args(["-c", WATCHDOG])
            .env("HOME", path("home"))
            .env("RABBITMQ_NODENAME", format!("vitals-{tag}@localhost"))
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", dist.to_string())
            .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
            .env("RABBITMQ_LOG_BASE", path("log"))
            .env("RABBITMQ_CONFIG_FILE", &config)
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", &pid_file)
            .env("VITALS_RABBITMQ_DIR", &dir)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh");
        // Dropped on a panic below, this closes the pipe: the watchdog kills the node.
        let stdin = child.stdin.take().expect("piped");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let log = dir.join("log");
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < BOOT_LIMIT,
                "rabbitmq-server (is it installed?) did not start in {BOOT_LIMIT:?}; logs in {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let beam = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .expect("the node wrote its pid file");
        Self {
            port,
            dir,
            beam,
            watchdog: Mutex::new(Some((child, stdin))),
        }
    }

    /// One node shared by every test of the binary, started by the first that asks; killed
    /// when the test process exits.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<TempRabbitmq> = OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// `amqp://vitals:<password>@127.0.0.1:<port>/%2f`.
    pub fn url(&self) -> String {
        format!(
            "amqp://{RABBITMQ_USER}:{RABBITMQ_PASSWORD}@127.0.0.1:{}/%2f",
            self.port
        )
    }

    /// The URL without credentials, as a checker shows it.
    pub fn shown_url(&self) -> String {
        format!("amqp://127.0.0.1:{}/%2f", self.port)
    }

    /// The installed broker's version (`3.10.8`), from its Debian install directory
    /// (`/usr/lib/rabbitmq/lib/rabbitmq_server-<version>`).
    pub fn version() -> String {
        std::fs::read_dir("/usr/lib/rabbitmq/lib")
            .expect("rabbitmq-server is required (scripts/test.sh installs it)")
            .find_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                Some(name.strip_prefix("rabbitmq_server-")?.to_owned())
            })
            .expect("a rabbitmq_server-<version> directory")
    }

    /// The node's log so far.
    pub fn log(&self) -> String {
        std::fs::read_dir(self.dir.join("log"))
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends a signal by name (`STOP`, `CONT`) to the Erlang VM of the node. `STOP` returns once
    /// every thread of the VM is stopped (10 s at most): a thread that was not on a CPU when the
    /// signal came stops only when next scheduled, and a loaded machine may let the VM accept a
    /// few more connections meanwhile.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.beam.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {}", self.beam);
        if name == "STOP" {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !self.all_threads_stopped() {
                assert!(
                    Instant::now() < deadline,
                    "the VM {} did not stop",
                    self.beam
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Whether every thread of the VM is in state `T` (stopped), from `/proc`.
    fn all_threads_stopped(&self) -> bool {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.beam)) else {
            return false;
        };
        tasks.flatten().all(|task| {
            std::fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
                // The state follows the command name, which is in parentheses.
                stat.rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('T'))
            })
        })
    }

    /// Kills the node (its data goes with it) and waits until its port is closed.
    pub fn stop(&self) {
        if let Some((mut child, stdin)) = self.watchdog.lock().unwrap().take() {
            drop(stdin);
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        wait_for_port_closed(self.port);
    }
}

impl Drop for TempRabbitmq {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_for_port_closed(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "rabbitmq still up after stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}
