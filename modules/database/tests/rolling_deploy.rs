//! A rolling deploy that changes an aggregate's declaration, on a real PostgreSQL: replicas of
//! the old and new declarations share one results table, and every scrape of every replica
//! serves its own declaration's values or none, with `up`, and never panics.
mod common;

use common::{scrape, start_module, tag};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use vitals::metrics::CollectedFamily;
use vitals_judges::postgres_url;
use vitals_module_database::{AggregateMode, DatabaseConfig, SqlAggregate};
use vitals_prometheus::PrometheusRecorder;

/// A declaration and the exact samples it must serve: (family, label name, label value, value).
struct Version {
    aggregate: SqlAggregate,
    samples: Vec<(String, &'static str, &'static str, f64)>,
}

fn versions(name: &str) -> [Version; 3] {
    let ttl = Duration::from_millis(300);
    let family = |column: &str| format!("{name}_{column}");
    [
        // The old declaration: two value columns.
        Version {
            aggregate: SqlAggregate::new(name, "Jobs.", "SELECT 'done' AS status, 1 AS n, 2 AS m")
                .labels(["status"])
                .values(["n", "m"])
                .ttl(ttl),
            samples: vec![
                (family("n"), "status", "done", 1.0),
                (family("m"), "status", "done", 2.0),
            ],
        },
        // The new one: a third value column.
        Version {
            aggregate: SqlAggregate::new(
                name,
                "Jobs.",
                "SELECT 'done' AS status, 1 AS n, 2 AS m, 3 AS k",
            )
            .labels(["status"])
            .values(["n", "m", "k"])
            .ttl(ttl),
            samples: vec![
                (family("n"), "status", "done", 1.0),
                (family("m"), "status", "done", 2.0),
                (family("k"), "status", "done", 3.0),
            ],
        },
        // Same shape as the old one, another label and other values: a mix-up would show.
        Version {
            aggregate: SqlAggregate::new(name, "Jobs.", "SELECT 'ok' AS state, 10 AS n, 20 AS m")
                .labels(["state"])
                .values(["n", "m"])
                .ttl(ttl),
            samples: vec![
                (family("n"), "state", "ok", 10.0),
                (family("m"), "state", "ok", 20.0),
            ],
        },
    ]
}

/// Checks one scrape: `up` present; the aggregate's families either absent or exactly the
/// version's samples. Returns whether the values were served.
fn check(f: &[CollectedFamily], name: &str, v: &Version, replica: usize) -> bool {
    let up = f
        .iter()
        .find(|fam| fam.name == "vitals_db_aggregate_up")
        .and_then(|fam| fam.samples.iter().find(|(l, _)| l == &[name.to_owned()]));
    assert!(up.is_some(), "replica {replica}: no up in the scrape");
    let mine: BTreeMap<&str, &CollectedFamily> = f
        .iter()
        .filter(|fam| fam.name.starts_with(&format!("{name}_")))
        .map(|fam| (fam.name.as_str(), fam))
        .collect();
    if mine.is_empty() {
        return false;
    }
    assert_eq!(mine.len(), v.samples.len(), "replica {replica}: {mine:?}");
    for (family, label, label_value, want) in &v.samples {
        let fam = mine
            .get(family.as_str())
            .unwrap_or_else(|| panic!("replica {replica}: no {family} in {mine:?}"));
        assert_eq!(
            fam.label_names,
            [label.to_string()],
            "replica {replica}: {family}"
        );
        assert_eq!(
            fam.samples,
            [(vec![label_value.to_string()], *want)],
            "replica {replica}: {family}"
        );
    }
    true
}

async fn accepted_runs(url: &str, table: &str, name: &str) -> Vec<i64> {
    let db = Database::connect(url).await.unwrap();
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT accepted_runs FROM \"{table}\" WHERE name = $1 ORDER BY fingerprint"),
        [name.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("", "accepted_runs").unwrap())
    .collect()
}

#[tokio::test]
async fn old_and_new_declarations_share_the_results_table_without_mixing_or_fighting() {
    let url = postgres_url();
    let name = tag("deploy_jobs");
    let table = tag("results_deploy");
    let versions = versions(&name);
    let mut replicas: Vec<(usize, PrometheusRecorder)> = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let mut config = DatabaseConfig::new(&url);
        config.aggregates.mode = AggregateMode::Cluster;
        config.aggregates.table = table.clone();
        let (_, metrics, _) = start_module(config, vec![v.aggregate.clone()])
            .await
            .unwrap();
        replicas.push((i, metrics));
    }
    // During the deploy: all three serve, scraped in turn for 3 s (10 windows).
    let mut served = [0u32; 3];
    let mut scrapes = 0;
    let during = Duration::from_secs(3);
    let started = Instant::now();
    while started.elapsed() < during {
        for (i, metrics) in &replicas {
            let f = scrape(metrics).await;
            scrapes += 1;
            if check(&f, &name, &versions[*i], *i) {
                served[*i] += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(
        served.iter().all(|n| *n * 10 > scrapes / 3 * 9),
        "each replica served its values in at least 90% of its scrapes: {served:?} of {scrapes}"
    );
    // One run per window per declaration: 3 s / 300 ms, no fight over the row.
    let runs = accepted_runs(&url, &table, &name).await;
    eprintln!("served {served:?} of {scrapes} scrapes; accepted runs per declaration {runs:?}");
    assert_eq!(runs.len(), 3, "a row per declaration: {runs:?}");
    let windows = (during.as_millis() / 300) as i64;
    assert!(
        runs.iter().all(|r| (windows - 2..=windows + 2).contains(r)),
        "runs per declaration {runs:?}, windows {windows}"
    );
    // After the deploy: only the new declaration is left, and it carries on.
    let (_, new) = replicas.remove(1);
    drop(replicas);
    let after = Instant::now();
    while after.elapsed() < Duration::from_secs(1) {
        assert!(check(&scrape(&new).await, &name, &versions[1], 1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(&format!("DROP TABLE \"{table}\""))
        .await
        .unwrap();
}
