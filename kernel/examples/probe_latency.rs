//! Probe latency with a slow dependency: 20 checks, one of which takes 5 s. In background mode
//! `/ready` reads the latest readings and must answer in well under a millisecond; in on-request
//! mode it is bounded by the check timeout (1 s here). Prints p50/p99/max over HTTP on loopback.
//! Run: `cargo run --release -p vitals-kernel --example probe_latency`
//! (`PROBE_REQUESTS=200 PROBE_ON_REQUEST=2` for a smoke).
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, CheckerExt, check_fn};
use vitals_kernel::Kernel;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(background: bool, requests: usize) -> anyhow::Result<Vec<Duration>> {
    let mut builder = Kernel::builder()
        .bind("127.0.0.1:0".parse()?)
        .handle_signals(false)
        .workers(1)
        .check_timeout(Duration::from_secs(1));
    if background {
        builder = builder.background(Duration::from_secs(1), Some(Duration::from_secs(10)));
    }
    for i in 0..19 {
        builder = builder.checker(check_fn(format!("dep{i}"), || async {
            CheckOutcome::healthy()
        }));
    }
    builder = builder.checker(
        check_fn("slow", || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            CheckOutcome::healthy()
        })
        .non_critical(),
    );
    let running = builder.build()?.start().await?;
    let addr = running.addr();
    tokio::time::sleep(Duration::from_millis(1500)).await; // first background readings
    let mut times = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut times = Vec::with_capacity(requests);
        let mut buf = vec![0u8; 64 * 1024];
        for _ in 0..requests {
            let start = Instant::now();
            stream
                .write_all(b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            // Read until the end of one response (headers + Content-Length body).
            let mut got = Vec::new();
            loop {
                let n = stream.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            times.push(start.elapsed());
        }
        times
    })
    .await?;
    running.shutdown().await?;
    times.sort();
    Ok(times)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::var("PROBE_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let on_request: usize = std::env::var("PROBE_ON_REQUEST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for (mode, background, n) in [
        ("background", true, requests),
        ("on-request", false, on_request),
    ] {
        let t = measure(background, n).await?;
        println!(
            "{mode:>10}: {n} × GET /ready, 20 checks (one takes 5 s): p50 {:?}  p99 {:?}  max {:?}",
            percentile(&t, 0.5),
            percentile(&t, 0.99),
            t[t.len() - 1]
        );
    }
    Ok(())
}
