//! A throwaway MariaDB server (Debian's `mariadb-server`) of the test's own: a datadir in a
//! temporary directory, loopback only, a user with a password (so masking is proved); it can be
//! hung (SIGSTOP) and let go (SIGCONT); killed and removed on drop.
use crate::process::{ChildGuard, free_addr, wait_for_port};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The user of [`TempMariadb::url`].
pub const MARIADB_USER: &str = "vitals";
/// The password of [`TempMariadb::url`]: no reason or detail may show it.
pub const MARIADB_PASSWORD: &str = "mdb-s3cret";

/// A running (or killed) MariaDB server with a database `vitals` and the user
/// [`MARIADB_USER`] / [`MARIADB_PASSWORD`].
pub struct TempMariadb {
    dir: PathBuf,
    port: u16,
    child: Mutex<Option<ChildGuard>>,
}

impl TempMariadb {
    /// Initialises a datadir (`mariadb-install-db`) and starts `mariadbd` on a free loopback
    /// port; returns once the port accepts connections (within 30 s).
    pub fn start() -> Self {
        let port = free_addr().port();
        let dir =
            std::env::temp_dir().join(format!("vitals-mariadb-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Made first, so that its drop removes the directory if a step below fails.
        let db = Self {
            dir: dir.clone(),
            port,
            child: Mutex::new(None),
        };
        let data = dir.join("data");
        // Its own temporary directory: bootstraps run side by side clash on names in /tmp.
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let installed = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=4M",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("mariadb-install-db (scripts/test.sh installs it): {e}"));
        assert!(
            installed.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&installed.stdout),
            String::from_utf8_lossy(&installed.stderr)
        );
        let init = dir.join("init.sql");
        std::fs::write(
            &init,
            format!(
                "CREATE DATABASE IF NOT EXISTS vitals;\n\
                 CREATE USER IF NOT EXISTS '{MARIADB_USER}'@'127.0.0.1' \
                 IDENTIFIED BY '{MARIADB_PASSWORD}';\n\
                 GRANT ALL ON vitals.* TO '{MARIADB_USER}'@'127.0.0.1';\n"
            ),
        )
        .unwrap();
        let args = [
            "--no-defaults".to_owned(),
            format!("--datadir={}", data.display()),
            format!("--port={port}"),
            "--bind-address=127.0.0.1".to_owned(),
            format!("--tmpdir={}", tmp.display()),
            format!("--socket={}", dir.join("sock").display()),
            format!("--pid-file={}", dir.join("pid").display()),
            format!("--log-error={}", dir.join("error.log").display()),
            format!("--init-file={}", init.display()),
            "--user=root".to_owned(),
            "--skip-name-resolve".to_owned(),
            "--skip-log-bin".to_owned(),
            "--innodb-buffer-pool-size=16M".to_owned(),
            "--innodb-log-file-size=4M".to_owned(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // In /usr/sbin, which is not on every user's `PATH`.
        let program = ["/usr/sbin/mariadbd", "mariadbd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("mariadbd");
        *db.child.lock().unwrap() = Some(ChildGuard::spawn_quiet(program, &args));
        wait_for_port(
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            "mariadbd (is mariadb-server installed?)",
            Duration::from_secs(30),
        );
        db
    }

    /// `mysql://vitals:<password>@127.0.0.1:<port>/vitals`.
    pub fn url(&self) -> String {
        format!(
            "mysql://{MARIADB_USER}:{MARIADB_PASSWORD}@127.0.0.1:{}/vitals",
            self.port
        )
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Hangs the server (SIGSTOP): connections stay open, new ones are queued by the kernel, and
    /// nothing answers.
    pub fn stop(&self) {
        self.signal("STOP");
        wait_until_stopped(self.pid());
    }

    /// Lets a stopped server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("CONT");
    }

    /// Kills the server (SIGKILL) and waits until its port refuses connections (within 5 s).
    pub fn kill(&self) {
        self.child.lock().unwrap().take();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "mariadbd still up after kill"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> u32 {
        self.child
            .lock()
            .unwrap()
            .as_ref()
            .expect("mariadbd is running")
            .id()
    }

    fn signal(&self, name: &str) {
        self.child
            .lock()
            .unwrap()
            .as_ref()
            .expect("mariadbd is running")
            .signal(name);
    }
}

impl Drop for TempMariadb {
    fn drop(&mut self) {
        // SIGKILL (the guard's drop) ends a stopped process too.
        self.child.get_mut().unwrap().take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits (up to 5 s) until every thread of `pid` is stopped (state `T` in `/proc`): `kill`
/// returns before a SIGSTOP has taken hold of a busy process.
pub(crate) fn wait_until_stopped(pid: u32) {
    let stopped = |task: std::fs::DirEntry| {
        std::fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task");
        if tasks.filter_map(Result::ok).all(stopped) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} not stopped within 5 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
