//! Label values from the three places the outside world writes them: check names, route
//! templates and DB rows. Newlines, quotes, backslashes and 10 kB strings are refused where they
//! enter (check names) or come out escaped in a scrape that promtool and Python's
//! prometheus_client both accept, reading back the same value; a DB value that is not UTF-8
//! makes its aggregate read down, never a broken scrape.
use actix_web::{App, HttpServer, web};
use std::time::Duration;
use vitals::{CheckOutcome, check_fn};
use vitals_judges::{
    ChildGuard, assert_promtool_clean, get, parsed_value, python_parse, sqlite_url, start_service,
};
use vitals_kernel::Kernel;

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

#[test]
fn hostile_check_names_are_refused_at_registration() {
    for name in [
        "a\"b",
        "back\\slash",
        "new\nline",
        "Upper",
        &"x".repeat(10_000),
    ] {
        let shown = &name[..name.len().min(20)];
        let built = Kernel::builder()
            .checker(check_fn(name, || async { CheckOutcome::healthy() }))
            .build();
        let err = built.err().unwrap_or_else(|| panic!("{shown:?} accepted"));
        assert!(
            err.to_string().contains("invalid health check name"),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_route_templates_come_out_escaped_and_read_back_the_same() {
    let long = format!("/{}", "r".repeat(10_000));
    let templates = [
        "/q\"uote/{id}",
        "/back\\slash",
        "/uni/caf\u{e9}/{id}",
        long.as_str(),
    ];
    let vitals = Kernel::builder()
        .handle_signals(false)
        .build()
        .unwrap()
        .embed()
        .await
        .unwrap();
    let v = vitals.clone();
    let routes: Vec<String> = templates.iter().map(|t| (*t).to_owned()).collect();
    let server = HttpServer::new(move || {
        routes.iter().fold(v.mount(App::new()), |app, t| {
            app.route(t, web::get().to(|| async { "ok" }))
        })
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let serving = tokio::spawn(vitals.serve(server));
    vitals_judges::wait_until_up(&format!("{base}/healthz"), Duration::from_secs(10)).await;
    for path in [
        "/q%22uote/1",
        "/back%5Cslash",
        "/uni/caf%C3%A9/2",
        long.as_str(),
    ] {
        assert_eq!(get(&format!("{base}{path}")).await.status, 200, "{path}");
    }
    let text = get(&format!("{base}/metrics")).await.text();
    assert_promtool_clean(&text);
    let samples = python_parse(&text);
    for t in templates {
        let labels = [("method", "GET"), ("route", t), ("status", "200")];
        let n = parsed_value(&samples, "http_server_requests_total", &labels);
        assert_eq!(n, Some(1.0), "route {:?}", &t[..t.len().min(20)]);
    }
    serving.abort();
}

#[tokio::test]
async fn hostile_db_values_come_out_escaped_or_reported_never_a_broken_scrape() {
    let dir = std::env::temp_dir().join(format!("vitals-labels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("aggregates.toml");
    // Quotes, a backslash, a newline, a 10 kB value and a multibyte one in labels; a second
    // aggregate yields bytes that are not UTF-8.
    std::fs::write(
        &file,
        r#"
[[aggregate]]
name = "hostile_rows"
help = "Rows with hostile label values."
sql = '''
SELECT 'say "hi"' AS kind, 1 AS value
UNION ALL SELECT 'back\slash', 2
UNION ALL SELECT 'new' || char(10) || 'line', 3
UNION ALL SELECT printf('%.*c', 10000, 'x'), 4
UNION ALL SELECT 'caf' || char(233), 5
'''
labels = ["kind"]
ttl = "1s"

[[aggregate]]
name = "invalid_utf8_rows"
help = "A row whose label is not UTF-8."
sql = "SELECT CAST(x'fffe41' AS TEXT) AS kind, 1 AS value"
labels = ["kind"]
ttl = "1s"
"#,
    )
    .unwrap();
    let db = sqlite_url("labels");
    let file_s = file.to_string_lossy().into_owned();
    let (_service, base): (ChildGuard, String) = start_service(
        BIN,
        &[("DATABASE_URL", &db), ("VITALS_AGGREGATES_FILE", &file_s)],
    )
    .await;
    let text = get(&format!("{base}/metrics")).await.text();
    assert_promtool_clean(&text);
    let samples = python_parse(&text);
    let long = "x".repeat(10_000);
    for (kind, v) in [
        ("say \"hi\"", 1.0),
        ("back\\slash", 2.0),
        ("new\nline", 3.0),
        (long.as_str(), 4.0),
        ("caf\u{e9}", 5.0),
    ] {
        let got = parsed_value(&samples, "hostile_rows", &[("kind", kind)]);
        assert_eq!(got, Some(v), "{:?}", &kind[..kind.len().min(20)]);
    }
    // Not UTF-8: the row cannot be decoded as text, so that aggregate reads down (and its
    // reason is logged); nothing of it reaches the scrape, and the other aggregate is unharmed.
    let up = |name: &str| parsed_value(&samples, "vitals_db_aggregate_up", &[("aggregate", name)]);
    assert_eq!(up("hostile_rows"), Some(1.0));
    assert_eq!(up("invalid_utf8_rows"), Some(0.0));
    let invalid = samples
        .iter()
        .filter(|s| s.name == "invalid_utf8_rows")
        .count();
    assert_eq!(invalid, 0);
    let _ = std::fs::remove_dir_all(dir);
}
