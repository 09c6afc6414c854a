//! Every environment variable the project reads, fed malformed values through the `vitals`
//! binary: start-up fails with exit 64, names the variable and the bad value (secrets withheld),
//! and nothing starts half-way (no listener, no "serving" log). The table is checked against the
//! source, so a new variable cannot be left out; every field of the aggregates file likewise.
use std::collections::BTreeSet;
use std::time::Duration;
use vitals_judges::{ChildGuard, free_addr, sqlite_url};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
const REDIS: (&str, &str) = ("VITALS_SIGNALS_REDIS_URL", "redis://127.0.0.1:1");
const PROXY: (&str, &str) = ("VITALS_SIGNALS_PROXY_URLS", "http://127.0.0.1:1/status");
const CLOUDWATCH: (&str, &str) = ("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "Shop/Signals");

/// A malformed value of a variable, the variables it needs beside it to be read at all, and
/// what the error shows of the value (the value itself, or `<withheld>` for a credential).
struct Case {
    var: &'static str,
    value: &'static str,
    with: &'static [(&'static str, &'static str)],
    shown: Option<&'static str>,
}

const fn case(var: &'static str, value: &'static str) -> Case {
    Case {
        var,
        value,
        with: &[],
        shown: None,
    }
}

const fn with(
    var: &'static str,
    value: &'static str,
    with: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        var,
        value,
        with,
        shown: None,
    }
}

const CASES: &[Case] = &[
    case("VITALS_BIND", "nowhere"),
    case("VITALS_BIND", "127.0.0.1:99999"),
    case("VITALS_GRPC_BIND", "grpc.local"),
    case("VITALS_CHECK_TIMEOUT", "fast"),
    case("VITALS_CHECK_TIMEOUT", "0s"),
    case("VITALS_DETAILS", "sometimes"),
    Case {
        var: "VITALS_TOKEN",
        value: "s3cret\n",
        with: &[],
        shown: Some("<withheld>"),
    },
    case("VITALS_BACKGROUND_INTERVAL", "often"),
    with(
        "VITALS_MAX_STALENESS",
        "-1s",
        &[("VITALS_BACKGROUND_INTERVAL", "1s")],
    ),
    case("VITALS_READY_FAILURES", "many"),
    case("VITALS_READY_SUCCESSES", "0"),
    case("VITALS_SHUTDOWN_DELAY", "later"),
    case("VITALS_SHUTDOWN_GRACE", "forever"),
    case("VITALS_LOG_FORMAT", "xml"),
    case("VITALS_HTTP_BUCKETS", "0.1,abc"),
    case("VITALS_HTTP_BUCKETS", "0.5,0.1"),
    case("VITALS_METRICS_PREFIX", "Shop-Metrics"),
    case("VITALS_SERIES_BUDGET", "lots"),
    case("VITALS_MAX_SCRAPES", "ten"),
    Case {
        var: "VITALS_METRICS_TOKEN",
        value: " tok ",
        with: &[],
        shown: Some("<withheld>"),
    },
    case("VITALS_METRICS_TRUSTED_CIDRS", "10.0.0.0/33"),
    case("VITALS_TRUSTED_PROXIES", "proxy.local"),
    case("VITALS_FORWARDED_HEADER", "x-real-ip"),
    case("VITALS_SERVICE_VERSION", "1.2.3"),
    case("VITALS_STATUS_PATH", "status"),
    case("VITALS_STATUS_PATH", "/ready/page"),
    case("VITALS_STATUS_PATH", "/status/"),
    case("VITALS_STATUS_HISTORY", "0"),
    case("VITALS_STATUS_HISTORY", "100000"),
    case("VITALS_STATUS_REFRESH", "200ms"),
    Case {
        var: "VITALS_NOTIFY_WEBHOOKS",
        value: "ops=xml:http://127.0.0.1:1/hook",
        with: &[],
        shown: Some("ops=xml:http://127.0.0.1:1/<withheld>"),
    },
    case("VITALS_NOTIFY_HOLD_READINGS", "0"),
    case("VITALS_NOTIFY_HOLD_TIME", "soon"),
    case("VITALS_NOTIFY_REPEAT", "never"),
    case("VITALS_NOTIFY_QUEUE", "0"),
    case("VITALS_NOTIFY_TIMEOUT", "0s"),
    case("VITALS_NOTIFY_BACKOFF_MAX", "10ms"),
    case("VITALS_NOTIFY_LINK", "status.internal"),
    case("DATABASE_URL", "mongodb://x"),
    case("RUST_LOG", "[[["),
    case("VITALS_AGGREGATES", "maybe"),
    case("VITALS_AGGREGATES_FILE", "/nonexistent/aggregates.toml"),
    case("VITALS_AGGREGATE_MODE", "sometimes"),
    case("VITALS_AGGREGATE_POOL_SIZE", "big"),
    case("VITALS_AGGREGATE_STORE_TIMEOUT", "soon"),
    Case {
        var: "VITALS_AGGREGATE_DATABASE_URL",
        value: "oracle://reader:s3cret@x/db",
        with: &[],
        shown: Some("oracle://reader:***@x/db"),
    },
    case("VITALS_DB_CHECK_CACHE_TTL", "often"),
    case("VITALS_SIGNALS_REDIS_URL", "http://cache:6379"),
    with("VITALS_TENANT", "Acme Corp", &[REDIS]),
    with("VITALS_PROJECT", "a/b", &[REDIS]),
    with("VITALS_SIGNALS_INSTANCE", "web 1", &[REDIS]),
    with("VITALS_SIGNALS_FLUSH_INTERVAL", "0s", &[REDIS]),
    with("VITALS_SIGNALS_MAX_NAMES", "1000", &[REDIS]),
    with("VITALS_SIGNALS_RECONNECT_AFTER", "0", &[REDIS]),
    case("VITALS_SIGNALS_REDIS_CLUSTER_URLS", "cache-0:6379"),
    case("VITALS_CHECKS_FILE", "/no/such/checks.toml"),
    with("VITALS_SIGNALS_MAX_AGE", "old", &[REDIS]),
    with("VITALS_SIGNALS_SCRAPE_TTL", "x", &[REDIS]),
    with("VITALS_SIGNALS_TIMEOUT", "0s", &[REDIS]),
    with("VITALS_SIGNALS_AGGREGATE", "perhaps", &[REDIS]),
    with("VITALS_SIGNALS_PUSHGATEWAY_URL", "pushgw:9091", &[REDIS]),
    with("VITALS_SIGNALS_PUSH_JOB", "Job Name", &[REDIS]),
    with("VITALS_SIGNALS_EXPORT_INTERVAL", "often", &[REDIS]),
    with("VITALS_SIGNALS_EXPORT_AT_START", "2", &[REDIS]),
    with("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "AWS/EC2", &[REDIS]),
    with(
        "VITALS_SIGNALS_CLOUDWATCH_REGION",
        "EU West",
        &[REDIS, CLOUDWATCH],
    ),
    with(
        "VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS",
        "Service=api",
        &[REDIS, CLOUDWATCH],
    ),
    with(
        "VITALS_SIGNALS_MAPPING_FILE",
        "/nonexistent/mapping.toml",
        &[REDIS],
    ),
    case("VITALS_SIGNALS_PROXY_URLS", "status.internal"),
    Case {
        var: "VITALS_SIGNALS_PROXY_HEADER",
        value: "Bearer s3cret",
        with: &[PROXY],
        shown: Some("<withheld>"),
    },
];

/// The fleet view's variables, read by `vitals-collector` only: fed to that binary.
const COLLECTOR: &str = env!("CARGO_BIN_EXE_vitals-collector");
const TARGETS: (&str, &str) = (
    "VITALS_STATUS_TARGETS",
    "api=http://127.0.0.1:1/status/history",
);
const COLLECTOR_CASES: &[Case] = &[
    case("VITALS_STATUS_TARGETS", "api"),
    Case {
        var: "VITALS_STATUS_TARGETS",
        value: "API=http://127.0.0.1:1/status/history",
        with: &[],
        shown: Some("\"API\""),
    },
    Case {
        var: "VITALS_STATUS_TARGETS",
        value: "api=ftp://127.0.0.1:1/status",
        with: &[],
        shown: Some("\"ftp://127.0.0.1:1/status\""),
    },
    with("VITALS_STATUS_POLL_INTERVAL", "often", &[TARGETS]),
    with("VITALS_STATUS_POLL_TIMEOUT", "1m", &[TARGETS]),
    with("VITALS_STATUS_RETENTION", "forever", &[TARGETS]),
    with("VITALS_STATUS_STORE_TIMEOUT", "0s", &[TARGETS]),
    Case {
        var: "VITALS_STATUS_POLL_HEADER",
        value: "Bearer s3cret",
        with: &[TARGETS],
        shown: Some("<withheld>"),
    },
    // Neither an aggregates file nor targets: nothing to collect.
    Case {
        var: "VITALS_AGGREGATES_FILE",
        value: "",
        with: &[],
        shown: Some("VITALS_STATUS_TARGETS"),
    },
];

/// Variables read with any value accepted (free text), so they have no malformed value.
const FREE_TEXT: &[&str] = &["VITALS_SERVICE_NAME"];
/// Names in the source that are not run-time settings of the binaries.
const NOT_SETTINGS: &[(&str, &str)] = &[
    ("VITALS_GIT_COMMIT", "set by build.rs at compile time"),
    ("VITALS_RUSTC_VERSION", "set by build.rs at compile time"),
    ("VITALS_TEST_DATABASE_URL", "the test suite's PostgreSQL"),
];

fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `"VITALS_…"` literal and `DATABASE_URL` in the library and binary sources.
fn variables_in_source() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![workspace().join("pkg/src"), workspace().join("kernel/src")];
    dirs.push(workspace().join("service/src"));
    for group in ["internal", "modules"] {
        for e in std::fs::read_dir(workspace().join(group)).unwrap() {
            dirs.push(e.unwrap().path().join("src"));
        }
    }
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("\"VITALS_") {
                    let rest = &text[i + 1..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                        .unwrap_or(rest.len());
                    if rest[end..].starts_with('"') {
                        found.insert(rest[..end].to_owned());
                    }
                }
                if text.contains("\"DATABASE_URL\"") {
                    found.insert("DATABASE_URL".to_owned());
                }
            }
        }
    }
    found
}

#[test]
fn every_variable_in_the_source_has_a_malformed_case() {
    let tabled: BTreeSet<&str> = CASES
        .iter()
        .chain(COLLECTOR_CASES)
        .map(|c| c.var)
        .chain(FREE_TEXT.iter().copied())
        .chain(NOT_SETTINGS.iter().map(|(v, _)| *v))
        .collect();
    let missing: Vec<String> = variables_in_source()
        .into_iter()
        .filter(|v| !tabled.contains(v.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "variables without a malformed case: {missing:?}"
    );
}

/// Starts `bin` once per case, all at once, and lists every case that did not exit 64 naming the
/// variable and the value shown, that started half-way, or whose error carries a secret.
fn failures_of(bin: &str, cases: &[Case], db: &str) -> Vec<String> {
    let runs: Vec<(&Case, std::net::SocketAddr, ChildGuard)> = cases
        .iter()
        .map(|c| {
            let bind = free_addr();
            let bind_s = bind.to_string();
            let mut env: Vec<(&str, &str)> = vec![("DATABASE_URL", db), ("VITALS_BIND", &bind_s)];
            env.retain(|(k, _)| *k != c.var);
            env.extend(c.with.iter().copied());
            env.push((c.var, c.value));
            (c, bind, ChildGuard::spawn(bin, &env))
        })
        .collect();
    let mut failures = Vec::new();
    for (c, bind, child) in runs {
        let (code, stdout, stderr) = child.wait_output(Duration::from_secs(30));
        let shown = c.shown.unwrap_or(c.value);
        let named = stderr.contains(&format!("invalid {}", c.var)) && stderr.contains(shown);
        let half_started = std::net::TcpStream::connect(bind).is_ok()
            || stdout.contains("listening")
            || stdout.contains("serving");
        if code != Some(64) || !named || half_started || stderr.contains("s3cret") {
            failures.push(format!(
                "{}={:?}: exit {code:?}, named {named}, half-started {half_started}: {stderr}",
                c.var, c.value
            ));
        }
    }
    failures
}

#[test]
fn every_malformed_value_exits_64_naming_the_variable_and_the_value() {
    let failures = failures_of(BIN, CASES, &sqlite_url("bad-config"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One aggregate entry with one field made bad, and the words the error must contain.
const FIELDS: &[(&str, &str, &str)] = &[
    ("name", "name = \"Bad Name\"", "Bad Name"),
    ("help", "help = \"\"", "help is empty"),
    ("sql", "sql = \"\"", "sql is empty"),
    ("labels", "labels = [\"le\"]", "le"),
    ("values", "values = []", "needs at least one value column"),
    ("ttl", "ttl = \"soon\"", "soon"),
    ("timeout", "timeout = \"0s\"", "timeout"),
    ("max_staleness", "max_staleness = \"stale\"", "stale"),
    ("max_rows", "max_rows = 0", "max_rows must be at least 1"),
    ("max_rows type", "max_rows = -1", "expected usize"),
    (
        "unknown field",
        "colour = \"red\"",
        "unknown field `colour`",
    ),
];

#[test]
fn every_field_of_the_aggregates_file_is_validated_at_start() {
    let dir = std::env::temp_dir().join(format!("vitals-bad-agg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = sqlite_url("bad-agg");
    let good = [
        ("name", "name = \"jobs_pending\""),
        ("help", "help = \"Jobs pending.\""),
        ("sql", "sql = \"SELECT 1 AS value\""),
    ];
    let mut failures = Vec::new();
    for (field, line, must) in FIELDS {
        let mut lines: Vec<&str> = good
            .iter()
            .filter(|(f, _)| f != field)
            .map(|(_, l)| *l)
            .collect();
        lines.push(line);
        let path = dir.join(format!("{}.toml", field.replace(' ', "_")));
        std::fs::write(&path, format!("[[aggregate]]\n{}\n", lines.join("\n"))).unwrap();
        let path_s = path.to_string_lossy().into_owned();
        let bind = free_addr().to_string();
        let env = [
            ("DATABASE_URL", db.as_str()),
            ("VITALS_BIND", &bind),
            ("VITALS_AGGREGATES_FILE", &path_s),
        ];
        let (code, stderr) = ChildGuard::spawn(BIN, &env).wait_exit(Duration::from_secs(20));
        if code != Some(64) || !stderr.contains(must) || !stderr.contains(&path_s) {
            failures.push(format!("{field}: exit {code:?}: {stderr}"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_malformed_fleet_value_stops_the_collector_with_64_naming_it() {
    let failures = failures_of(
        COLLECTOR,
        COLLECTOR_CASES,
        &sqlite_url("bad-config-collector"),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
