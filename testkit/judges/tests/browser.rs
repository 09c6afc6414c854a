//! The browser judge cannot lie: against a loopback server of the test's own, serving fixed HTML
//! with chosen headers, each thing the judge reports is shown to follow what the page did.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use vitals_judges::browser::{self, BrowserOptions};

/// A tiny HTTP/1.1 server answering every path but `/favicon.ico` (404) with one fixed page,
/// recording each request's head.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let mut head = format!("HTTP/1.1 {status} Whatever\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let page = format!(
            "{head}Content-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (page, seen) = (page.clone(), Arc::clone(&seen));
                // A thread each: Chromium opens spare connections it may never use.
                std::thread::spawn(move || answer(stream, &page, &seen));
            }
        });
        Self { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}/page", self.addr)
    }

    /// The heads of the requests for `/page`.
    fn page_requests(&self) -> Vec<String> {
        let all = self.requests.lock().unwrap();
        all.iter()
            .filter(|r| r.starts_with("GET /page "))
            .cloned()
            .collect()
    }
}

fn answer(mut stream: TcpStream, page: &str, seen: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let reply = if head.starts_with("GET /favicon.ico ") {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    } else {
        page
    };
    seen.lock().unwrap().push(head);
    let _ = stream.write_all(reply.as_bytes());
}

const SCRIPTED: &str = "<!doctype html><html><head><title>before</title></head>\
    <body><p>scripted</p><script>document.title = \"ran\";</script></body></html>";

#[test]
fn an_inline_script_runs() {
    let server = Server::start(200, &[], SCRIPTED);
    let page = browser::load(&server.url(), &BrowserOptions::new("judge-script-runs"));
    assert_eq!(page.title, "ran");
    assert!(page.csp_violations().is_empty(), "{:#?}", page.console);
    assert!(page.html.contains("<title>ran</title>"), "{}", page.html);
}

#[test]
fn a_content_security_policy_blocks_the_script_and_the_violation_is_reported() {
    let csp = [("Content-Security-Policy", "script-src 'none'")];
    let server = Server::start(200, &csp, SCRIPTED);
    let page = browser::load(&server.url(), &BrowserOptions::new("judge-csp-blocks"));
    assert_eq!(page.title, "before");
    let violations = page.csp_violations();
    assert_eq!(violations.len(), 1, "{:#?}", page.console);
    assert_eq!(violations[0].level, "SEVERE");
    assert!(
        violations[0].message.contains("script-src 'none'"),
        "{violations:#?}"
    );
    assert_eq!(
        page.header("content-security-policy"),
        Some("script-src 'none'")
    );
}

#[test]
fn console_errors_are_reported() {
    let body = "<!doctype html><title>c</title><body><script>console.error(\"x\"); \
                console.log(\"quiet\");</script></body>";
    let server = Server::start(200, &[], body);
    let page = browser::load(&server.url(), &BrowserOptions::new("judge-console"));
    let errors = page.console_errors();
    assert_eq!(errors.len(), 1, "{:#?}", page.console);
    assert_eq!(errors[0].source, "console-api");
    assert!(errors[0].message.ends_with("\"x\""), "{errors:#?}");
    assert!(
        page.console
            .iter()
            .any(|e| e.level == "INFO" && e.message.ends_with("\"quiet\"")),
        "{:#?}",
        page.console
    );
}

#[test]
fn escaped_markup_is_text_not_markup() {
    let body = "<!doctype html><title>esc</title><body>\
                <p>&lt;script&gt;document.title = \"ran\"&lt;/script&gt;</p></body>";
    let server = Server::start(200, &[], body);
    let page = browser::load(&server.url(), &BrowserOptions::new("judge-escaped"));
    assert_eq!(
        page.text.trim(),
        "<script>document.title = \"ran\"</script>"
    );
    assert_eq!(page.title, "esc");
    assert!(page.html.contains("&lt;script&gt;"), "{}", page.html);
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "{} bytes is no PNG", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn the_screenshot_is_a_png_of_the_window_or_of_the_whole_page() {
    let body = "<!doctype html><title>tall</title><body style=\"margin:0\">\
                <h1>Fleet</h1><div style=\"height:3000px;background:linear-gradient(red,blue)\">\
                </div></body>";
    let server = Server::start(200, &[], body);
    let window = browser::load(
        &server.url(),
        &BrowserOptions::new("judge-screenshot-window").window(800, 600),
    );
    let bytes = std::fs::read(&window.screenshot).unwrap();
    assert!(bytes.len() > 2_000, "{} bytes", bytes.len());
    assert_eq!(png_size(&bytes), (800, 600));
    assert!(
        window
            .screenshot
            .ends_with("screenshots/judge-screenshot-window.png")
    );

    let full = browser::load(
        &server.url(),
        &BrowserOptions::new("judge-screenshot-full")
            .window(800, 600)
            .full_page(),
    );
    let bytes = std::fs::read(&full.screenshot).unwrap();
    let (width, height) = png_size(&bytes);
    assert_eq!(width, 800);
    assert!(height > 3_000, "full page {width}x{height}");
    println!(
        "screenshots: {} ({} bytes), {} ({} bytes, {width}x{height})",
        window.screenshot.display(),
        std::fs::metadata(&window.screenshot).unwrap().len(),
        full.screenshot.display(),
        bytes.len()
    );
}

#[test]
fn the_main_documents_status_and_headers_are_reported() {
    let server = Server::start(200, &[("X-Probe", "1")], SCRIPTED);
    let page = browser::load(&server.url(), &BrowserOptions::new("judge-headers"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("X-Probe"), Some("1"));
    assert_eq!(
        page.header("content-length"),
        Some(SCRIPTED.len().to_string().as_str())
    );
    assert_eq!(page.body_bytes, SCRIPTED.len() as u64);
    assert!(page.transfer_bytes > page.body_bytes, "{page:#?}");
    assert!(page.load_ms > 0.0 && page.load_ms < 60_000.0, "{page:#?}");
    println!(
        "load_ms {:.1}, transfer_bytes {}, body_bytes {}",
        page.load_ms, page.transfer_bytes, page.body_bytes
    );

    let missing = Server::start(404, &[("X-Probe", "2")], "<!doctype html><p>gone</p>");
    let page = browser::load(&missing.url(), &BrowserOptions::new("judge-headers-404"));
    assert_eq!(page.status, 404);
    assert_eq!(page.header("x-probe"), Some("2"));
    assert_eq!(page.text.trim(), "gone");
}

#[test]
fn extra_request_headers_reach_the_server() {
    let server = Server::start(200, &[], SCRIPTED);
    let opts = BrowserOptions::new("judge-request-headers").header("Authorization", "Bearer x");
    browser::load(&server.url(), &opts);
    let requests = server.page_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let authorization = requests[0]
        .lines()
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .map(|(_, v)| v);
    assert_eq!(authorization, Some("Bearer x"), "{requests:#?}");

    let bare = Server::start(200, &[], SCRIPTED);
    browser::load(
        &bare.url(),
        &BrowserOptions::new("judge-no-request-headers"),
    );
    let requests = bare.page_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        !requests[0].to_ascii_lowercase().contains("authorization:"),
        "{requests:#?}"
    );
}

#[test]
#[should_panic(expected = "browser judge failed")]
fn a_refused_connection_fails_instead_of_judging_chromiums_error_page() {
    let addr = vitals_judges::free_addr();
    browser::load(
        &format!("http://{addr}/"),
        &BrowserOptions::new("judge-refused"),
    );
}

#[test]
#[should_panic(expected = "deadline of 3 s passed")]
fn a_page_that_never_answers_fails_at_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and holds every connection without a word.
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().flatten().collect();
        drop(held);
    });
    let opts = BrowserOptions::new("judge-deadline").deadline(std::time::Duration::from_secs(3));
    browser::load(&format!("http://{addr}/"), &opts);
}
