//! What the drain tells: a shutdown whose requests finish within the grace period logs that
//! they drained; one whose grace period ends with connections still open logs how many it
//! closed. One test per binary: it installs the process's log subscriber.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vitals_judges::get;
use vitals_kernel::Kernel;

/// The log, as the subscriber writes it.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A kernel on a free port with `/slow`, which counts the requests it has begun in `entered`
/// and answers after `slow`.
async fn kernel(
    grace: Duration,
    slow: Duration,
    entered: Arc<AtomicUsize>,
) -> vitals_kernel::Running {
    Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .shutdown_grace(grace)
        .build()
        .unwrap()
        .start_with(move |cfg: &mut actix_web::web::ServiceConfig| {
            cfg.route(
                "/slow",
                actix_web::web::get().to({
                    let entered = entered.clone();
                    move || {
                        entered.fetch_add(1, Ordering::SeqCst);
                        async move {
                            tokio::time::sleep(slow).await;
                            "done"
                        }
                    }
                }),
            );
        })
        .await
        .unwrap()
}

/// Sends `GET /slow` on a connection of its own (closed by the server once answered) and
/// leaves it waiting for the answer.
fn send_slow(addr: std::net::SocketAddr) -> TcpStream {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    conn
}

/// Waits (at most 10 s) until the handler has begun `n` requests: they are being served, not
/// waiting in a queue.
async fn until_entered(entered: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while entered.load(Ordering::SeqCst) < n {
        assert!(
            Instant::now() < deadline,
            "{n} requests never reached the handler"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_logs_that_it_drained_or_how_many_connections_it_cut_off() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    // Within the grace period: the request is answered and the drain is logged as complete.
    let entered = Arc::new(AtomicUsize::new(0));
    let running = kernel(
        Duration::from_secs(5),
        Duration::from_millis(300),
        entered.clone(),
    )
    .await;
    let addr = running.addr();
    let mut conn = send_slow(addr);
    until_entered(&entered, 1).await;
    running.shutdown().await.unwrap();
    let mut answer = String::new();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.ends_with("done"), "{answer}");
    let text = log.text();
    assert!(
        text.contains("shutdown: in-flight requests drained"),
        "{text}"
    );
    assert!(!text.contains("still open"), "{text}");

    // Two requests that outlast a 1 s grace period, a connection that finished its request
    // before the shutdown, and one kept alive idle (closed by actix as the drain begins): the
    // log names the two connections still serving.
    let entered = Arc::new(AtomicUsize::new(0));
    let running = kernel(
        Duration::from_secs(1),
        Duration::from_secs(30),
        entered.clone(),
    )
    .await;
    let addr = running.addr();
    let base = format!("http://{addr}");
    assert_eq!(get(&format!("{base}/healthz")).await.status, 200);
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let held = [send_slow(addr), send_slow(addr)];
    until_entered(&entered, 2).await;
    let started = Instant::now();
    running.shutdown().await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    let text = log.text();
    assert!(
        text.contains("2 connection(s) still open as the grace period ended")
            && text.contains("connections=2"),
        "{text}"
    );
    drop((held, idle));
}
