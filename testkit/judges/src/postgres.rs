use crate::free_addr;
use std::path::PathBuf;
use std::process::Command;

/// A throwaway PostgreSQL server of its own (initdb in a temporary directory, loopback only,
/// trust authentication), for tests that stop and restart the database. Stopped and removed on
/// drop. Runs the server as the `postgres` user when the test runs as root.
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn pg_bin() -> PathBuf {
    let root = PathBuf::from("/usr/lib/postgresql");
    let mut versions: Vec<_> = std::fs::read_dir(&root)
        .expect(
            "PostgreSQL server binaries under /usr/lib/postgresql (scripts/test.sh installs them)",
        )
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    versions.sort();
    root.join(versions.last().expect("a PostgreSQL version").to_string())
        .join("bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl TempPostgres {
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        cmd.args(args);
        cmd
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let status = self
            .command(tool, args)
            .status()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(status.success(), "{tool} {args:?} failed");
    }

    /// Creates and starts a fresh cluster on a free loopback port.
    pub fn start() -> Self {
        let port = free_addr().port();
        let dir = std::env::temp_dir().join(format!("vitals-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres", dir.to_str().unwrap()])
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown {dir:?}");
        }
        let pg = Self {
            dir,
            bin: pg_bin(),
            port,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        pg.resume();
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Starts the server again on the same port.
    pub fn resume(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={}",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
    }
}

impl TempPostgres {
    /// The server's processes: the postmaster and its children (backends, background workers).
    fn processes(&self) -> Vec<String> {
        let pidfile = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .expect("postmaster.pid: is the server running?");
        let main = pidfile.lines().next().unwrap().trim().to_owned();
        let children = Command::new("pgrep").args(["-P", &main]).output().unwrap();
        let mut all = vec![main];
        all.extend(
            String::from_utf8_lossy(&children.stdout)
                .split_whitespace()
                .map(str::to_owned),
        );
        all
    }

    fn signal_all(&self, signal: &str) -> bool {
        let pids = self.processes();
        Command::new("kill")
            .arg(signal)
            .args(&pids)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Hangs the server without closing anything: every process stopped (SIGSTOP), so
    /// connections stay open and new ones are queued by the kernel, and nothing answers.
    pub fn freeze(&self) {
        assert!(
            self.signal_all("-STOP"),
            "could not stop the server's processes"
        );
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        assert!(
            self.signal_all("-CONT"),
            "could not continue the server's processes"
        );
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if self.dir.join("data/postmaster.pid").exists() {
            self.signal_all("-CONT"); // a frozen server cannot stop
        }
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
