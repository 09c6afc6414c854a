//! Hostile HTTP input on every endpoint the kernel serves: malformed and huge query strings,
//! non-UTF-8 bytes, unknown check and group names, every method but GET/HEAD, absurd headers
//! (huge, repeated, malformed `Authorization`, scrape timeout, `Accept-Encoding`, forwarded
//! headers) and broken request lines. Never a 5xx, never a panic; the named cases get their
//! 4xx with a reason; afterwards the scrape still passes promtool with bounded labels.
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;
use vitals::settings::Environment;
use vitals::{CheckOutcome, CheckerExt, HealthGroup, check_fn};
use vitals_judges::{assert_promtool_clean, python_parse};
use vitals_kernel::{Config, Kernel};

const TOKEN: &str = "s3cret";

const PATHS: &[&str] = &[
    "/healthz",
    "/livez",
    "/ready",
    "/readyz",
    "/startupz",
    "/health",
    "/health/billing",
    "/ready/ping",
    "/health/billing/ledger",
    "/metrics",
];

fn queries() -> Vec<Vec<u8>> {
    let mut q: Vec<Vec<u8>> = [
        "?verbose",
        "?verbose=true&verbose=false",
        "?exclude=ping&exclude=ping&exclude=nope",
        "?unknown=1&other",
        "?&&&==&=&",
        "?exclude=%00%0a%22",
        "?%ff%fe=%c3%28",
        "?verbose=%ff",
        "?exclude=ping%",
        "?exclude=a&",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    q.push(format!("?exclude={}", "a".repeat(10_000)).into_bytes());
    q.push(format!("?{}", "exclude=x&".repeat(1_000)).into_bytes());
    q.push(b"?verbose=\xff\xfe\x00".to_vec());
    q
}

fn headers() -> Vec<String> {
    let mut h: Vec<String> = [
        "Authorization: Bearer",
        "Authorization: Bearer wrong",
        "Authorization: Basic !!!",
        "Authorization: Bearer s3cret extra",
        "X-Prometheus-Scrape-Timeout-Seconds: -1",
        "X-Prometheus-Scrape-Timeout-Seconds: NaN",
        "X-Prometheus-Scrape-Timeout-Seconds: 1e309",
        "X-Prometheus-Scrape-Timeout-Seconds: ten",
        "Accept-Encoding: gzip;q=abc, *;q=-1, ,,,",
        "Accept-Encoding: identity;q=0, gzip;q=0",
        "X-Forwarded-For: garbage, , 999.1.1.1",
        "Forwarded: for=\"[::1; by=, proto=",
        "Accept: */*;q=nope",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    h.push(format!("X-Huge: {}", "h".repeat(7_000)));
    h.push(format!("Cookie: {}", "c=1; ".repeat(1_500)));
    h.push(vec!["Authorization: Bearer s3cret"; 50].join("\r\n"));
    h
}

/// Sends `head` (request line and headers, without the final blank line) on a connection of its
/// own; returns the status and the response text.
fn send(addr: SocketAddr, head: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = head.to_vec();
    req.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let _ = s.write_all(&req);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(addr: SocketAddr, target: &[u8], extra: &str) -> (u16, String) {
    let mut head = b"GET ".to_vec();
    head.extend_from_slice(target);
    head.extend_from_slice(format!(" HTTP/1.1\r\nHost: {addr}").as_bytes());
    if !extra.is_empty() {
        head.extend_from_slice(b"\r\n");
        head.extend_from_slice(extra.as_bytes());
    }
    send(addr, &head)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_4xx_with_reasons_and_never_a_5xx() {
    let env = Environment::from_lookup(|k| match k {
        "VITALS_BIND" => Some("127.0.0.1:0".into()),
        "VITALS_METRICS_TOKEN" => Some(TOKEN.into()),
        "VITALS_TRUSTED_PROXIES" => Some("127.0.0.1/32".into()),
        "VITALS_DETAILS" => Some("authorized".into()),
        "VITALS_TOKEN" => Some("details".into()),
        _ => None,
    });
    let running = Kernel::builder()
        .config(Config::from_environment(&env).unwrap())
        .handle_signals(false)
        .workers(2)
        .checker(
            check_fn("ledger", || async { CheckOutcome::healthy() })
                .with_groups([HealthGroup::custom("billing")]),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let addr = running.addr();
    let mut sent = 0;
    let check = move |what: String, (status, text): (u16, String)| {
        assert!((200..500).contains(&status), "{what}: {status}\n{text}");
        text
    };
    let hostile = tokio::task::spawn_blocking(move || {
        for path in PATHS {
            for q in queries() {
                let mut target = path.as_bytes().to_vec();
                target.extend_from_slice(&q);
                let what = format!(
                    "GET {path}{}",
                    String::from_utf8_lossy(&q[..q.len().min(40)])
                );
                check(what, get(addr, &target, ""));
                sent += 1;
            }
            for h in headers() {
                let what = format!("GET {path} with {}", &h[..h.len().min(50)]);
                check(what, get(addr, path.as_bytes(), &h));
                sent += 1;
            }
            for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"] {
                let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0");
                let (status, text) = send(addr, head.as_bytes());
                assert_eq!(status, 405, "{method} {path}: {text}");
                let allow = text.lines().find_map(|l| l.strip_prefix("allow: "));
                assert_eq!(allow, Some("GET, HEAD"), "{method} {path}: {text}");
                sent += 1;
            }
        }
        // Named refusals carry their reason.
        let (s, t) = get(addr, b"/ready/nope", "");
        assert!(s == 404 && t.contains("nope"), "{t}");
        let (s, t) = get(addr, b"/health/nogroup", "");
        assert!(s == 404 && t.contains("nogroup"), "{t}");
        let (s, t) = get(addr, b"/health/billing/nope", "");
        assert!(s == 404 && t.contains("nope"), "{t}");
        let (s, t) = get(addr, b"/ready?verbose=maybe", "");
        assert!(s == 400 && t.contains("verbose"), "{t}");
        let (s, t) = get(addr, b"/ready?exclude=", "");
        assert!(s == 400 && t.contains("exclude"), "{t}");
        let (s, _) = get(addr, b"/metrics", "");
        assert_eq!(s, 401, "a scrape without the token");
        // Broken request lines and framing.
        let long_path = format!("GET /{} HTTP/1.1\r\nHost: x", "p".repeat(70_000));
        for raw in [
            b"GET /ready\xff\xfe HTTP/1.1\r\nHost: x".to_vec(),
            b"GET /%ff%fe%00 HTTP/1.1\r\nHost: x".to_vec(),
            b"GET / HTTP/9.9\r\nHost: x".to_vec(),
            b"GET /ready HTTP/1.1\r\nno colon here".to_vec(),
            b"GET /ready HTTP/1.1\r\nHost: x\r\nContent-Length: -5".to_vec(),
            b"GET /ready HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip".to_vec(),
            b"\x00\x01\x02 / HTTP/1.1".to_vec(),
            long_path.into_bytes(),
        ] {
            let (status, text) = send(addr, &raw);
            assert!(
                status == 0 || (400..500).contains(&status),
                "{status}: {text}"
            );
            sent += 1;
        }
        sent
    });
    let sent = hostile.await.unwrap();
    assert!(sent > 300, "{sent} hostile requests");

    // Still serving, and the scrape is clean with bounded labels.
    let (status, _) = get(addr, b"/healthz", "");
    assert_eq!(status, 200);
    let auth = format!("Authorization: Bearer {TOKEN}");
    let (status, text) = get(addr, b"/metrics", &auth);
    assert_eq!(status, 200);
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    assert_promtool_clean(&body);
    let samples = python_parse(&body);
    let five_xx = samples
        .iter()
        .filter(|s| s.name == "http_server_requests_total")
        .filter(|s| {
            s.labels["status"]
                .as_str()
                .is_some_and(|v| v.starts_with('5'))
        })
        .count();
    assert_eq!(five_xx, 0);
    println!("{sent} hostile requests: no 5xx, scrape clean");
    running.shutdown().await.unwrap();
}
