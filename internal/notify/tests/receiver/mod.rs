//! A real HTTP/1.1 receiver on loopback for the notifier's tests: records every request (path,
//! `Idempotency-Key`, body, arrival time) in order and answers `200` — or, stalling, accepts
//! connections and never answers.
#![allow(dead_code)]
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) at: Instant,
    pub(crate) path: String,
    pub(crate) key: Option<String>,
    pub(crate) body: String,
    /// The status it was answered with.
    pub(crate) status: u16,
}

impl Received {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A listening receiver; dropping it closes the listener.
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    accepted: Arc<Mutex<Vec<Instant>>>,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn listen(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(64).unwrap()
}

/// A loopback port held bound but not listening: connections to it are refused, and no other
/// socket can take it (as one could a port merely bound once and closed) until a receiver is
/// started there with [`Receiver::answering_at`].
pub(crate) struct Refusing {
    pub(crate) addr: SocketAddr,
    socket: TcpSocket,
}

/// A loopback port that refuses connections until a receiver takes it.
pub(crate) fn refusing_port() -> Refusing {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    Refusing {
        addr: socket.local_addr().unwrap(),
        socket,
    }
}

impl Receiver {
    /// Answers `200` to every POST at `addr` (`127.0.0.1:0` for any port).
    pub(crate) fn answering(addr: SocketAddr) -> Self {
        Self::start(addr, Some(Vec::new()))
    }

    /// Answers `200` to every POST at the port `refusing` held until now.
    pub(crate) fn answering_at(refusing: Refusing) -> Self {
        let Refusing { addr, socket } = refusing;
        drop(socket);
        Self::answering(addr)
    }

    /// Answers the first requests with `statuses`, in order, then `200`.
    pub(crate) fn answering_with(addr: SocketAddr, statuses: Vec<u16>) -> Self {
        Self::start(addr, Some(statuses))
    }

    /// Accepts connections at `addr` and never answers.
    pub(crate) fn stalling(addr: SocketAddr) -> Self {
        Self::start(addr, None)
    }

    fn start(addr: SocketAddr, answers: Option<Vec<u16>>) -> Self {
        let listener = listen(addr);
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let (r, a) = (received.clone(), accepted.clone());
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            let mut answers = answers.map(|a| a.into_iter());
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                a.lock().unwrap().push(Instant::now());
                match answers.as_mut() {
                    Some(next) => {
                        let status = next.next().unwrap_or(200);
                        tokio::spawn(serve(stream, status, r.clone()));
                    }
                    None => held.push(stream),
                }
            }
        });
        Self {
            addr,
            received,
            accepted,
            task,
        }
    }

    /// The URL of `path` on this receiver.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// When each connection was accepted.
    pub(crate) fn accepted(&self) -> Vec<Instant> {
        self.accepted.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until `n` requests have arrived; returns what has.
    pub(crate) async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let give_up = Instant::now() + limit;
        while self.received.lock().unwrap().len() < n && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

/// Reads one request (head, then `Content-Length` bytes), records it, answers `status` and
/// closes.
async fn serve(mut stream: TcpStream, status: u16, received: Arc<Mutex<Vec<Received>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    received.lock().unwrap().push(Received {
        at: Instant::now(),
        path,
        key: header("idempotency-key"),
        body,
        status,
    });
    let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
