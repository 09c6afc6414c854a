//! The browser judge: loads a page in a real headless Chromium and reports what the browser saw.
//!
//! [`load`] runs `python3 scripts/browser.py` (selenium driving Debian's `chromium` through its
//! `chromedriver`, a fresh profile every time; `scripts/test.sh` installs all three). The page
//! is read after `document.readyState` is `complete` and the load event has run: its title,
//! rendered text (`innerText`), the DOM as HTML, every browser log entry (console calls, uncaught
//! errors, Content-Security-Policy violations), the Navigation Timing figures, and the status and
//! headers of the main document as Chromium received them. A screenshot is written under the
//! target directory (`target/screenshots/<name>.png`, `CARGO_TARGET_DIR` honoured) for CI to
//! keep as an artifact.
//!
//! There is no skipping: a missing Chromium, a refused connection, Chromium's own error page or
//! a page that does not load within the deadline fails the test with the script's message.
//!
//! ```no_run
//! use vitals_judges::{BrowserOptions, browser};
//! let page = browser::load(
//!     "http://127.0.0.1:8080/status",
//!     &BrowserOptions::new("status-page").header("Authorization", "Bearer t"),
//! );
//! assert_eq!(page.status, 200);
//! assert!(page.console_errors().is_empty(), "{:#?}", page.console);
//! ```
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to load a page.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The screenshot's file name, without `.png` (under `target/screenshots/`).
    pub name: String,
    /// Extra request headers sent with every request of the page (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// Window width and height in CSS pixels.
    pub window: (u32, u32),
    /// Screenshot the whole page instead of the window.
    pub full_page: bool,
    /// The deadline of the whole run (browser start, load, screenshot, shut-down).
    pub deadline: Duration,
}

impl BrowserOptions {
    /// A 1280×800 window, no extra headers, a window-sized screenshot named `name`, 60 s.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            headers: Vec::new(),
            window: (1280, 800),
            full_page: false,
            deadline: Duration::from_secs(60),
        }
    }

    /// Adds an extra request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the window size.
    pub fn window(mut self, width: u32, height: u32) -> Self {
        self.window = (width, height);
        self
    }

    /// Screenshots the whole page.
    pub fn full_page(mut self) -> Self {
        self.full_page = true;
        self
    }

    /// Sets the deadline of the whole run.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self::new("page")
    }
}

/// One browser log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleEntry {
    /// `SEVERE` (console.error, uncaught errors, CSP violations), `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// Where it came from: `console-api`, `javascript`, `security`, `network`, …
    pub source: String,
    /// The message, prefixed by Chromium with the URL and position.
    pub message: String,
}

/// What the browser saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageLoad {
    /// `document.title` after the page's scripts ran.
    pub title: String,
    /// `document.body.innerText`: the rendered text, entities decoded, hidden elements left out.
    pub text: String,
    /// `document.documentElement.outerHTML`: the DOM after the scripts ran.
    pub html: String,
    /// Every browser log entry, in order.
    pub console: Vec<ConsoleEntry>,
    /// Navigation Timing `loadEventEnd - startTime`, in milliseconds.
    pub load_ms: f64,
    /// Navigation Timing `transferSize`: response headers and encoded body.
    pub transfer_bytes: u64,
    /// Navigation Timing `decodedBodySize`: the document's body after decoding.
    pub body_bytes: u64,
    /// The main document's HTTP status (after redirects).
    pub status: u16,
    /// The main document's response headers, names lower-cased, repeated ones joined by `\n`.
    pub headers: BTreeMap<String, String>,
    /// The PNG written.
    pub screenshot: PathBuf,
}

impl PageLoad {
    /// The response header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `SEVERE` entries: console errors, uncaught exceptions, CSP violations, failed loads.
    pub fn console_errors(&self) -> Vec<&ConsoleEntry> {
        self.console
            .iter()
            .filter(|e| e.level == "SEVERE")
            .collect()
    }

    /// The Content-Security-Policy violations Chromium reported.
    pub fn csp_violations(&self) -> Vec<&ConsoleEntry> {
        self.console
            .iter()
            .filter(|e| e.message.contains("Content Security Policy"))
            .collect()
    }
}

/// Loads `url` in headless Chromium; panics with the script's message when the page cannot be
/// loaded (Chromium missing, connection refused, deadline passed, …).
pub fn load(url: &str, opts: &BrowserOptions) -> PageLoad {
    let script = workspace_root().join("scripts/browser.py");
    let shot = screenshot_dir().join(format!("{}.png", opts.name));
    let mut args: Vec<String> = vec![
        script.display().to_string(),
        url.to_owned(),
        "--screenshot".into(),
        shot.display().to_string(),
        "--window".into(),
        format!("{}x{}", opts.window.0, opts.window.1),
        "--deadline".into(),
        opts.deadline.as_secs_f64().to_string(),
    ];
    for (name, value) in &opts.headers {
        args.push("--header".into());
        args.push(format!("{name}: {value}"));
    }
    if opts.full_page {
        args.push("--full-page".into());
    }
    let (ok, out, err) = run(&args, opts.deadline + Duration::from_secs(15));
    assert!(ok, "browser judge failed on {url}:\n{err}");
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("browser judge printed no page for {url} ({e}):\n{out}\n{err}"))
}

/// Runs the script in a process group of its own (the script's own deadline kills that group:
/// chromedriver and Chromium with it); past `limit` this side kills the group. Output is read on
/// threads, so a page bigger than a pipe's buffer cannot stall it.
fn run(args: &[String], limit: Duration) -> (bool, String, String) {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("python3")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required (scripts/test.sh installs it): {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for browser.py") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("browser.py did not finish within {limit:?}: killed it and its browser");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.success(),
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

/// The workspace root: the nearest ancestor of this crate holding `scripts/browser.py`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("scripts/browser.py").is_file())
        .unwrap_or_else(|| panic!("no scripts/browser.py above {}", manifest.display()))
        .to_path_buf()
}

/// `<target>/screenshots`: `CARGO_TARGET_DIR` when set (relative to the workspace root), else
/// the directory cargo marked with `CACHEDIR.TAG` above the running test binary, else
/// `<workspace>/target`.
fn screenshot_dir() -> PathBuf {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| root.join("target"));
    target.join("screenshots")
}
