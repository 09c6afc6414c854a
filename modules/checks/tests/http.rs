//! The HTTP checker against a server on loopback: the expected status and body, a wrong status,
//! a redirect answered (never followed unless allowed), a server that never answers (bounded
//! by the timeout), and credentials masked.
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use vitals::{HealthChecker, HealthStatus};
use vitals_module_checks::http;

/// A server answering each connection by path: `/ok` 200 "all good", `/teapot` 418, `/moved`
/// 302 to `/ok`, `/silent` never.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("").to_owned();
                let reply = match path.as_str() {
                    "/ok" => "HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nall good".to_owned(),
                    "/teapot" => "HTTP/1.1 418 I'm a teapot\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                    "/moved" => format!("HTTP/1.1 302 Found\r\nlocation: http://{addr}/ok\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
                    _ => {
                        std::thread::sleep(Duration::from_secs(5));
                        return;
                    }
                };
                let _ = s.write_all(reply.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn statuses_bodies_redirects_and_silence_are_told_apart() {
    let base = server();
    let ok = http(format!("{base}/ok"))
        .body_contains("good")
        .check()
        .await;
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    assert_eq!(ok.details()["status"], 200);
    let body = http(format!("{base}/ok"))
        .body_contains("bad")
        .check()
        .await;
    assert_eq!(
        body.error(),
        Some(format!("http {base}/ok: the body does not hold \"bad\"").as_str())
    );
    let teapot = http(format!("{base}/teapot")).check().await;
    assert_eq!(
        teapot.error(),
        Some(format!("http {base}/teapot: status 418, expected 200").as_str())
    );
    assert_eq!(
        http(format!("{base}/teapot"))
            .expect_status(418)
            .head()
            .check()
            .await
            .status(),
        HealthStatus::Healthy
    );
    let moved = http(format!("{base}/moved")).check().await;
    assert_eq!(
        moved.error(),
        Some(format!("http {base}/moved: status 302, expected 200").as_str())
    );
    let followed = http(format!("{base}/moved"))
        .follow_redirects(1)
        .check()
        .await;
    assert_eq!(followed.status(), HealthStatus::Healthy);
    let secret = base.replace("http://", "http://u:s3cret@");
    let started = Instant::now();
    let silent = http(format!("{secret}/silent"))
        .timeout(Duration::from_millis(300))
        .check()
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(silent.status(), HealthStatus::Unhealthy);
    let reason = silent.error().unwrap();
    assert!(
        reason.starts_with(&format!("http {base}/silent: ")),
        "{reason}"
    );
    assert!(!reason.contains("s3cret"));
}
