use crate::{ChildGuard, free_addr};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run_with_stdin(program: &str, args: &[&str], input: &[u8]) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is required (scripts/test.sh installs it): {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs a judge (`promtool`, `kubernetes-validate`, …) in `dir`; returns whether it passed and
/// what it printed (stdout, then stderr). A missing program fails the test: the test script
/// installs every judge.
pub fn run_judge(program: &str, args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required (scripts/test.sh installs it): {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs `promtool check metrics` on an exposition; returns whether it passed and what it printed.
pub fn promtool_check(exposition: &str) -> (bool, String) {
    run_with_stdin("promtool", &["check", "metrics"], exposition.as_bytes())
}

/// Asserts that `promtool check metrics` passes an exposition with no findings at all.
pub fn assert_promtool_clean(exposition: &str) {
    let (ok, findings) = promtool_check(exposition);
    assert!(ok && findings.trim().is_empty(), "promtool: {findings}");
}

/// One sample as Python's `prometheus_client` parser read it.
#[derive(Debug, Clone)]
pub struct ParsedSample {
    /// Family name (without `_total` for counters, as the parser reports it).
    pub family: String,
    /// Family type.
    pub kind: String,
    /// Sample name (`x_total`, `x_bucket`, …).
    pub name: String,
    /// Labels.
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// Value.
    pub value: f64,
}

/// Parses an exposition with Python's `prometheus_client.parser`; panics when it refuses it.
pub fn python_parse(exposition: &str) -> Vec<ParsedSample> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("judges/parse_metrics.py");
    let (ok, out) = run_with_stdin(
        "python3",
        &[script.to_str().unwrap()],
        exposition.as_bytes(),
    );
    assert!(ok, "prometheus_client refused the exposition: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("parser output");
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| ParsedSample {
            family: s["family"].as_str().unwrap().to_owned(),
            kind: s["type"].as_str().unwrap().to_owned(),
            name: s["name"].as_str().unwrap().to_owned(),
            labels: s["labels"].as_object().unwrap().clone(),
            value: s["value"].as_f64().unwrap_or(f64::NAN),
        })
        .collect()
}

/// The value of the parsed sample `name` with all of `labels`.
pub fn parsed_value(samples: &[ParsedSample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).and_then(|x| x.as_str()) == Some(*v))
        })
        .map(|s| s.value)
}

/// A real Prometheus server on loopback scraping `targets` every second; killed on drop.
pub struct PrometheusServer {
    _child: ChildGuard,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    dir: PathBuf,
}

impl PrometheusServer {
    /// Starts Prometheus (Debian's `prometheus` package) with a fresh data directory and waits
    /// until it is ready.
    pub async fn start(targets: &[String]) -> Self {
        Self::start_with_token(targets, None).await
    }

    /// Like [`start`](Self::start), scraping with `authorization: {credentials_file: …}` when a
    /// token is given (written to a file in the server's directory).
    pub async fn start_with_token(targets: &[String], token: Option<&str>) -> Self {
        let addr = free_addr();
        let dir = std::env::temp_dir().join(format!(
            "vitals-prometheus-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
        let auth = match token {
            Some(t) => {
                let file = dir.join("token");
                std::fs::write(&file, t).unwrap();
                format!(
                    "    authorization:\n      credentials_file: {}\n",
                    file.display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: vitals\n{auth}    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = ChildGuard::spawn_quiet(
            "prometheus",
            &[
                &format!("--config.file={}", config_path.display()),
                &format!("--storage.tsdb.path={}", dir.join("data").display()),
                &format!("--web.listen-address={addr}"),
            ],
        );
        let url = format!("http://{addr}");
        crate::wait_until_ok(&format!("{url}/-/ready"), Duration::from_secs(30)).await;
        Self {
            _child: child,
            url,
            dir,
        }
    }

    /// Runs an instant query; returns the result vector.
    pub async fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let q: String = form_encode(promql);
        let resp = crate::get(&format!("{}/api/v1/query?query={q}", self.url)).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Polls `promql` until its first result's value is `want` or `limit` passes.
    pub async fn wait_for_value(&self, promql: &str, want: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let r = self.query(promql).await;
            if r.first().and_then(|x| x["value"][1].as_str()) == Some(want) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
