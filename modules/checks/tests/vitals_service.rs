//! The checker of another Vitals service against health documents served on loopback: passing,
//! degraded, failing with the failing checks named, an unreadable answer, and the token sent.
use std::io::{Read, Write};
use std::net::TcpListener;
use vitals::{HealthChecker, HealthStatus};
use vitals_module_checks::vitals_service;

/// Serves `/ready` with `ready` (status, body), `/health/billing` with a warning; records
/// whether a bearer token arrived.
fn service(ready: (u16, &'static str)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = req.split_whitespace().nth(1).unwrap_or("").to_owned();
            let authorised = req.to_lowercase().contains("authorization: bearer t0ken");
            let (status, body) = match path.as_str() {
                "/ready" => ready,
                "/health/billing" if authorised => (
                    200,
                    r#"{"status":"warn","checks":{"ledger":[{"status":"warn"}]}}"#,
                ),
                _ => (401, "{}"),
            };
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/health+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn passing_degraded_and_failing_services_are_told_apart_with_failing_checks_named() {
    let ok = service((
        200,
        r#"{"status":"pass","checks":{"db":[{"status":"pass"}]}}"#,
    ));
    assert_eq!(
        vitals_service(&ok).check().await.status(),
        HealthStatus::Healthy
    );
    let warn = vitals_service(&ok)
        .group("billing")
        .token("t0ken")
        .check()
        .await;
    assert_eq!(warn.status(), HealthStatus::Degraded);
    let no_token = vitals_service(&ok).group("billing").check().await;
    assert_eq!(no_token.status(), HealthStatus::Unhealthy);
    let failing = service((
        503,
        r#"{"status":"fail","checks":{"db":[{"status":"fail"}],"cache":[{"status":"pass"}],"queue":[{"status":"fail"}]}}"#,
    ));
    let down = vitals_service(&failing).named("orders").check().await;
    assert_eq!(down.status(), HealthStatus::Unhealthy);
    assert_eq!(
        down.error(),
        Some(format!("vitals {failing}/ready: HTTP 503, fail; failing: db, queue").as_str())
    );
    assert_eq!(
        down.details()["failing"],
        serde_json::json!(["db", "queue"])
    );
    let garbage = service((200, "not json"));
    let unread = vitals_service(&garbage).check().await;
    assert_eq!(
        unread.error(),
        Some(format!("vitals {garbage}/ready: HTTP 200: not a health document").as_str())
    );
}
