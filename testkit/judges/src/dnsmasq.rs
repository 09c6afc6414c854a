//! A throwaway DNS server (Debian's `dnsmasq`) of the test's own on a free loopback port (UDP and
//! TCP): the records it is given and nothing else (authoritative for `vitals.test`, no upstream);
//! it can be hung (SIGSTOP) and let go (SIGCONT), and is killed on drop.
use crate::process::{ChildGuard, free_addr, wait_for_port};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running (or killed) `dnsmasq` answering for `vitals.test`.
pub struct TempDnsmasq {
    addr: SocketAddr,
    dir: PathBuf,
    child: Mutex<Option<ChildGuard>>,
}

impl TempDnsmasq {
    /// Starts `dnsmasq` with `records`, each a name and its addresses (`("orders.vitals.test",
    /// &["10.1.2.3"])`, as many as wanted, IPv4 and IPv6); any other name under `vitals.test` is
    /// answered NXDOMAIN, and a name outside it REFUSED. Returns once it accepts TCP connections
    /// (within 10 s).
    pub fn start(records: &[(&str, &[&str])]) -> Self {
        let addr = free_addr();
        let dir = std::env::temp_dir().join(format!(
            "vitals-dnsmasq-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let hosts = dir.join("hosts");
        let lines: String = records
            .iter()
            .flat_map(|(name, addrs)| addrs.iter().map(move |a| format!("{a} {name}\n")))
            .collect();
        std::fs::write(&hosts, lines).unwrap();
        let args = [
            "--no-daemon".to_owned(),
            "--conf-file=/dev/null".to_owned(),
            "--no-resolv".to_owned(),
            "--no-hosts".to_owned(),
            format!("--port={}", addr.port()),
            "--listen-address=127.0.0.1".to_owned(),
            "--bind-interfaces".to_owned(),
            "--user=root".to_owned(),
            "--group=root".to_owned(),
            "--pid-file=".to_owned(),
            "--local=/vitals.test/".to_owned(),
            format!("--addn-hosts={}", hosts.display()),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // In /usr/sbin, which is not on every user's `PATH`.
        let program = ["/usr/sbin/dnsmasq", "dnsmasq"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("dnsmasq");
        // Made before the wait, so that its drop cleans up if the server does not start.
        let server = Self {
            addr,
            dir,
            child: Mutex::new(Some(ChildGuard::spawn_quiet(program, &args))),
        };
        wait_for_port(
            addr,
            "dnsmasq (is it installed? it lives in /usr/sbin)",
            Duration::from_secs(10),
        );
        server
    }

    /// `127.0.0.1:<port>`, as a checker's `server` takes it.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    /// Hangs the server (SIGSTOP): queries are queued by the kernel and nothing answers.
    pub fn stop(&self) {
        self.signal("STOP");
        let pid = self.child.lock().unwrap().as_ref().expect("running").id();
        crate::mariadb::wait_until_stopped(pid);
    }

    /// Lets a stopped server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("CONT");
    }

    /// Kills the server (SIGKILL) and waits until its TCP port refuses connections (within 5 s).
    pub fn kill(&self) {
        self.child.lock().unwrap().take();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(self.addr).is_ok() {
            assert!(Instant::now() < deadline, "dnsmasq still up after kill");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) {
        self.child
            .lock()
            .unwrap()
            .as_ref()
            .expect("dnsmasq is running")
            .signal(name);
    }
}

impl Drop for TempDnsmasq {
    fn drop(&mut self) {
        // SIGKILL (the guard's drop) ends a stopped process too.
        self.child.get_mut().unwrap().take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
