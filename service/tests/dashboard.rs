//! The Grafana dashboard, judged two ways: every panel expression (template variables filled in)
//! runs against a real Prometheus that scraped a service under a short load and returns data; and
//! a lint of the rules of Grafana's dashboard linter that apply.
use actix_web::web;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vitals::metrics::Jobs;
use vitals::{Module, ModuleContext};
use vitals_judges::{PrometheusServer, get};
use vitals_kernel::Kernel;
use vitals_module_database::sea_orm::{ConnectionTrait, DbBackend, Statement};
use vitals_module_database::{DatabaseConfig, DatabaseModule, SqlAggregate, TimedConnection};

fn dashboard() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/grafana/vitals-dashboard.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every panel's target expressions, with the panel's unit.
fn expressions(d: &Value) -> Vec<(String, String, String)> {
    d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap_or("").to_owned();
            let unit = p["fieldConfig"]["defaults"]["unit"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            p["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |t| {
                    (
                        title.clone(),
                        unit.clone(),
                        t["expr"].as_str().unwrap_or("").to_owned(),
                    )
                })
        })
        .collect()
}

/// The metric names a `rate(` or `increase(` applies to.
fn rated(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for f in ["rate(", "increase("] {
        for (i, _) in expr.match_indices(f) {
            if i > 0 && expr.as_bytes()[i - 1].is_ascii_alphabetic() {
                continue; // irate( is not rate(
            }
            let rest = &expr[i + f.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn the_dashboard_follows_the_linter_rules_that_apply() {
    let d = dashboard();
    let vars = d["templating"]["list"].as_array().unwrap();
    let var = |name: &str| vars.iter().find(|v| v["name"] == name);
    assert_eq!(var("datasource").unwrap()["type"], "datasource");
    assert_eq!(var("datasource").unwrap()["query"], "prometheus");
    assert!(var("job").is_some() && var("instance").is_some());
    let panels = d["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 10);
    for p in panels {
        let title = p["title"].as_str().unwrap();
        assert_eq!(
            p["datasource"]["uid"], "${datasource}",
            "{title}: datasource variable"
        );
        assert!(
            p["fieldConfig"]["defaults"]["unit"]
                .as_str()
                .is_some_and(|u| !u.is_empty()),
            "{title}: no unit"
        );
        for t in p["targets"].as_array().unwrap() {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{title}");
        }
    }
    for (title, _, expr) in expressions(&d) {
        assert!(
            expr.contains("job=\"$job\""),
            "{title}: {expr} lacks the job variable"
        );
        assert!(
            expr.contains("instance=~\"$instance\""),
            "{title}: {expr} lacks the instance variable"
        );
        for name in rated(&expr) {
            assert!(
                ["_total", "_count", "_bucket", "_sum"]
                    .iter()
                    .any(|s| name.ends_with(s)),
                "{title}: rate() over {name}, not a counter"
            );
        }
        if !rated(&expr).is_empty() {
            assert!(expr.contains("[$__rate_interval]"), "{title}: {expr}");
        }
    }
}

struct Work;

impl Module for Work {
    fn name(&self) -> &str {
        "work"
    }
    fn register(&self, ctx: &ModuleContext) -> Result<(), vitals::Error> {
        ctx.provide(ctx.metrics().jobs(&["email"])?)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_expression_returns_data_from_a_real_prometheus() {
    let dir = std::env::temp_dir().join(format!("vitals-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config =
        DatabaseConfig::new(format!("sqlite://{}?mode=rwc", dir.join("d.db").display()));
    config.aggregates.mode = vitals_module_database::AggregateMode::Local;
    let db = DatabaseModule::connect(config).await.unwrap();
    db.declare_aggregate(
        SqlAggregate::new("answer", "The answer.", "SELECT 42 AS value")
            .ttl(Duration::from_secs(1)),
    )
    .unwrap();
    let kernel = Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .module(db)
        .module(Work)
        .build()
        .unwrap();
    let conn = kernel.service::<TimedConnection>().unwrap();
    let jobs = kernel.service::<Jobs>().unwrap();
    let running = kernel
        .start_with(|cfg: &mut web::ServiceConfig| {
            cfg.route("/orders/{id}", web::get().to(|| async { "order" }));
        })
        .await
        .unwrap();
    let base = format!("http://{}", running.addr());
    let prom = PrometheusServer::start(&[running.addr().to_string()]).await;
    assert!(
        prom.wait_for_value("up{job=\"vitals\"}", "1", Duration::from_secs(30))
            .await,
        "Prometheus never scraped the service"
    );
    // A short load: requests, probes, queries and jobs while Prometheus scrapes every second.
    let until = Instant::now() + Duration::from_secs(6);
    let mut n = 0;
    while Instant::now() < until {
        get(&format!("{base}/orders/{n}")).await;
        if n % 10 == 0 {
            get(&format!("{base}/ready")).await; // as the kubelet probes
        }
        let select = Statement::from_string(DbBackend::Sqlite, "SELECT 1");
        conn.query_one_raw(select).await.unwrap();
        jobs.start("email").unwrap().ok();
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Two more scrapes after the load.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let d = dashboard();
    for (title, _, expr) in expressions(&d) {
        let q = expr
            .replace("$job", "vitals")
            .replace("$instance", ".*")
            .replace("$__rate_interval", "30s");
        let result = prom.query(&q).await;
        assert!(!result.is_empty(), "{title}: no data for {q}");
    }
    drop(prom);
    running.shutdown().await.unwrap();
}
