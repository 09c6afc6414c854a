//! Real reverse proxies in front of a service (Debian's `nginx` and `haproxy`), each on a free
//! loopback port with its configuration in a directory of its own, and a client that connects
//! from a chosen loopback source address.
use crate::process::{ChildGuard, free_addr};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The address every proxy connects to the service from (`proxy_bind`, `source`), so the service
/// can trust exactly this one.
pub const PROXY_SOURCE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Which header a proxy writes toward the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// Appends the client's address to `X-Forwarded-For` (nginx's
    /// `$proxy_add_x_forwarded_for`, HAProxy's `option forwardfor`); a client's `Forwarded`
    /// passes through untouched.
    XForwardedFor,
    /// Replaces `Forwarded` with `for=<client>`; a client's `X-Forwarded-For` passes through
    /// untouched.
    Forwarded,
}

/// A running nginx or HAProxy of the test's own; killed (and its directory removed) on drop.
pub struct TempProxy {
    addr: SocketAddr,
    dir: PathBuf,
    _child: ChildGuard,
}

impl TempProxy {
    /// nginx (`nginx -c conf -p dir -g 'daemon off;'`) forwarding every request to `upstream`.
    /// One process (`master_process off`): killing it leaves no worker behind.
    pub fn nginx(upstream: SocketAddr, writes: Writes) -> Self {
        let header = match writes {
            Writes::XForwardedFor => "X-Forwarded-For $proxy_add_x_forwarded_for",
            Writes::Forwarded => "Forwarded \"for=$remote_addr\"",
        };
        Self::start("nginx", |addr, dir| {
            let d = dir.display();
            let conf = format!(
                "master_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n  \
                 proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
                 uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
                 server {{\n    listen {addr};\n    location / {{\n      \
                 proxy_pass http://{upstream};\n      proxy_bind {PROXY_SOURCE};\n      \
                 proxy_set_header {header};\n    }}\n  }}\n}}\n"
            );
            let path = dir.join("nginx.conf");
            std::fs::write(&path, conf).expect("write nginx.conf");
            let (path, prefix) = (path.display().to_string(), format!("{d}/"));
            let log = format!("{d}/error.log");
            let args = ["-c", &path, "-p", &prefix, "-e", &log, "-g", "daemon off;"];
            ChildGuard::spawn_quiet(&program("nginx"), &args)
        })
    }

    /// HAProxy (`haproxy -f conf -db`, in the foreground) forwarding every request to
    /// `upstream`.
    pub fn haproxy(upstream: SocketAddr, writes: Writes) -> Self {
        let header = match writes {
            Writes::XForwardedFor => "option forwardfor",
            Writes::Forwarded => "http-request set-header Forwarded for=%[src]",
        };
        Self::start("haproxy", |addr, dir| {
            let conf = format!(
                "global\n  maxconn 64\n\
                 defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  \
                 timeout server 30s\n\
                 frontend front\n  bind {addr}\n  {header}\n  default_backend service\n\
                 backend service\n  server vitals {upstream} source {PROXY_SOURCE}\n"
            );
            let path = dir.join("haproxy.cfg");
            std::fs::write(&path, conf).expect("write haproxy.cfg");
            let path = path.display().to_string();
            ChildGuard::spawn_quiet(&program("haproxy"), &["-f", &path, "-db"])
        })
    }

    fn start(kind: &str, spawn: impl FnOnce(SocketAddr, &PathBuf) -> ChildGuard) -> Self {
        let addr = free_addr();
        let dir = std::env::temp_dir().join(format!(
            "vitals-{kind}-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).expect("proxy directory");
        let child = spawn(addr, &dir);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                panic!("{kind} did not start on {addr} (is it installed?): {log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            addr,
            dir,
            _child: child,
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Debian installs both servers in `/usr/sbin`, which is not on every user's `PATH`.
fn program(name: &str) -> String {
    let sbin = std::path::Path::new("/usr/sbin").join(name);
    if sbin.exists() {
        sbin.display().to_string()
    } else {
        name.to_owned()
    }
}

impl Drop for TempProxy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `GET path` to `addr` over a connection bound to `source` (any of 127.0.0.0/8 on Linux), with
/// `headers` written as given, byte for byte (a value may hold bytes that are not UTF-8, such as
/// `b"\xff"`; repeated names stay separate lines). Returns the status and body.
pub async fn get_from(
    source: IpAddr,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &[u8])],
) -> (u16, String) {
    let socket = match source {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .expect("socket");
    socket
        .bind(SocketAddr::new(source, 0))
        .unwrap_or_else(|e| panic!("bind {source}: {e}"));
    let mut stream = socket
        .connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr} from {source}: {e}"));
    let mut head =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    for (k, v) in headers {
        head.extend_from_slice(format!("{k}: ").as_bytes());
        head.extend_from_slice(v);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    stream.write_all(&head).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("answer within 30 s")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
