//! Writes sample pages (service, fleet, target) and the policy into a folder, to look at them in
//! a browser: `cargo run -p vitals-status --example preview -- target/status-preview`.
use vitals_status::page::{self, PageOptions};
use vitals_status::{
    CheckDocument, FleetDocument, GroupDocument, Incident, ReadingDocument, ServiceInfo,
    StatusDocument, TargetDocument, TransitionDocument, Uptime, Word,
};

const NOW_MS: u64 = 1_796_198_400_000;

fn readings(n: usize, seed: u64, fail_from: Option<usize>, reason: &str) -> Vec<ReadingDocument> {
    (0..n)
        .map(|i| {
            let wobble = ((i as u64 * 2_654_435_761 + seed) % 97) as f64 / 97.0;
            let status = match fail_from {
                Some(f) if i >= f && i < f + 9 => Word::Fail,
                Some(f) if i == f + 9 => Word::Warn,
                _ => Word::Pass,
            };
            ReadingDocument {
                at_ms: NOW_MS - (n - i) as u64 * 10_000,
                status,
                duration_seconds: 0.003
                    + wobble * 0.012
                    + if status == Word::Fail { 0.9 } else { 0.0 },
                reason: (status != Word::Pass).then(|| reason.to_owned()),
            }
        })
        .collect()
}

fn check(
    name: &str,
    groups: &[&str],
    status: Option<Word>,
    readings: Vec<ReadingDocument>,
) -> CheckDocument {
    CheckDocument {
        name: name.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        status,
        reason: readings.last().and_then(|r| r.reason.clone()),
        details: serde_json::Map::new(),
        readings,
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/status-preview".to_owned());
    std::fs::create_dir_all(&dir).expect("create the folder");
    let mut db = check(
        "db",
        &["readiness"],
        Some(Word::Pass),
        readings(
            120,
            1,
            Some(70),
            "connection refused: <script>alert(1)</script>",
        ),
    );
    db.details
        .insert("pool".to_owned(), serde_json::json!({"idle": 3, "busy": 1}));
    db.details
        .insert("server".to_owned(), "postgres 16.4".into());
    let doc = StatusDocument {
        service: Some(ServiceInfo {
            name: "orders".to_owned(),
            version: "1.4.2".to_owned(),
        }),
        generated_at_ms: NOW_MS,
        started_at_ms: NOW_MS - 3_723_000,
        status: Word::Warn,
        details: true,
        capacity: 120,
        groups: vec![
            GroupDocument {
                name: "liveness".to_owned(),
                status: Word::Pass,
            },
            GroupDocument {
                name: "readiness".to_owned(),
                status: Word::Warn,
            },
            GroupDocument {
                name: "startup".to_owned(),
                status: Word::Pass,
            },
        ],
        checks: vec![
            db,
            check(
                "redis",
                &["readiness", "liveness"],
                Some(Word::Pass),
                readings(120, 7, None, ""),
            ),
            check(
                "payments-api",
                &["readiness"],
                Some(Word::Warn),
                readings(120, 3, Some(110), "slow: p99 820 ms"),
            ),
            check(
                "disk",
                &["liveness"],
                Some(Word::Pass),
                readings(40, 5, None, ""),
            ),
            check("warmup", &["startup"], None, vec![]),
        ],
        transitions: vec![
            TransitionDocument {
                check: "db".to_owned(),
                from: Some(Word::Pass),
                to: Word::Fail,
                at_ms: NOW_MS - 500_000,
                reason: Some("connection refused".to_owned()),
            },
            TransitionDocument {
                check: "db".to_owned(),
                from: Some(Word::Fail),
                to: Word::Warn,
                at_ms: NOW_MS - 410_000,
                reason: Some("connection refused".to_owned()),
            },
            TransitionDocument {
                check: "db".to_owned(),
                from: Some(Word::Warn),
                to: Word::Pass,
                at_ms: NOW_MS - 400_000,
                reason: None,
            },
            TransitionDocument {
                check: "payments-api".to_owned(),
                from: Some(Word::Pass),
                to: Word::Warn,
                at_ms: NOW_MS - 100_000,
                reason: Some("slow: p99 820 ms".to_owned()),
            },
        ],
    };
    let opts = PageOptions {
        base: "/status",
        refresh_seconds: 0,
    };
    let service = page::service(&doc, &opts);
    std::fs::write(format!("{dir}/service.html"), &service).expect("write");
    let target = |name: &str, status, day, week, month, open: bool| TargetDocument {
        name: name.to_owned(),
        url: format!("http://{name}:8080/status/history"),
        service: Some(ServiceInfo {
            name: name.split('-').next().unwrap_or(name).to_owned(),
            version: "2.0.1".to_owned(),
        }),
        status,
        polled_at_ms: status.map(|_| NOW_MS - 4_000),
        poll_error: (status == Some(Word::Fail)).then(|| "connection refused".to_owned()),
        uptime: Uptime { day, week, month },
        checks: doc.checks.clone(),
        incidents: if open {
            vec![
                Incident {
                    started_at_ms: NOW_MS - 125_000,
                    ended_at_ms: None,
                    checks: vec!["poll".to_owned()],
                },
                Incident {
                    started_at_ms: NOW_MS - 90_000_000,
                    ended_at_ms: Some(NOW_MS - 89_000_000),
                    checks: vec!["db".to_owned(), "redis".to_owned()],
                },
            ]
        } else {
            vec![]
        },
    };
    let fleet = FleetDocument {
        generated_at_ms: NOW_MS,
        details: true,
        unavailable: false,
        targets: vec![
            target(
                "orders-eu",
                Some(Word::Pass),
                Some(1.0),
                Some(0.99953),
                Some(0.9991),
                false,
            ),
            target(
                "orders-us",
                Some(Word::Warn),
                Some(0.9981),
                Some(0.9972),
                Some(0.98),
                false,
            ),
            target(
                "billing",
                Some(Word::Fail),
                Some(0.9025),
                Some(0.987),
                Some(0.99),
                true,
            ),
            target("new-one", None, None, None, None, false),
        ],
    };
    std::fs::write(format!("{dir}/fleet.html"), page::fleet(&fleet, &opts)).expect("write");
    std::fs::write(
        format!("{dir}/target.html"),
        page::target(&fleet, "billing", &opts).expect("billing"),
    )
    .expect("write");
    std::fs::write(format!("{dir}/csp.txt"), page::content_security_policy()).expect("write");
    println!("{dir}: service page {} B", service.len());
}
