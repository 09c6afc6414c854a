//! The crate graph holds (docs/architecture.md): read from `cargo metadata`, every normal
//! dependency between the workspace's crates is one the map allows, and the facade depends on no
//! crate of the workspace. A new edge fails here until the map (and this table) say it is meant.
use std::collections::{BTreeMap, BTreeSet};

/// Package → the workspace packages it may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("service-vitals", &[]),
    ("vitals-testkit", &["service-vitals"]),
    ("vitals-health", &["service-vitals"]),
    ("vitals-prometheus", &["service-vitals"]),
    ("vitals-status", &["service-vitals", "vitals-health"]),
    ("vitals-notify", &["service-vitals"]),
    (
        "vitals-http",
        &[
            "service-vitals",
            "vitals-health",
            "vitals-prometheus",
            "vitals-status",
        ],
    ),
    ("vitals-grpc", &["service-vitals", "vitals-health"]),
    (
        "vitals-kernel",
        &[
            "service-vitals",
            "vitals-health",
            "vitals-prometheus",
            "vitals-http",
            "vitals-grpc",
            "vitals-status",
            "vitals-notify",
        ],
    ),
    ("vitals-module-database", &["service-vitals"]),
    ("vitals-module-signals", &["service-vitals"]),
    ("vitals-module-checks", &["service-vitals"]),
    (
        "vitals-module-fleet",
        &["service-vitals", "vitals-status", "vitals-notify"],
    ),
    (
        "vitals-service",
        &[
            "service-vitals",
            "vitals-kernel",
            "vitals-module-database",
            "vitals-module-signals",
            "vitals-module-checks",
            "vitals-module-fleet",
        ],
    ),
    ("vitals-judges", &["vitals-testkit"]),
];

fn metadata() -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_edge_between_workspace_crates_is_one_the_map_allows() {
    let meta = metadata();
    let packages = meta["packages"].as_array().unwrap();
    let ours: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in packages {
        let name = p["name"].as_str().unwrap();
        let deps = edges.entry(name).or_default();
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if d["kind"].is_null() && ours.contains(dep) {
                deps.insert(dep);
            }
        }
    }
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(p, deps)| (*p, deps.iter().copied().collect()))
        .collect();
    assert_eq!(
        edges.keys().collect::<Vec<_>>(),
        allowed.keys().collect::<Vec<_>>(),
        "every workspace crate has a row in the map"
    );
    for (package, deps) in &edges {
        let extra: Vec<_> = deps.difference(&allowed[package]).collect();
        assert!(
            extra.is_empty(),
            "{package} depends on {extra:?}, which the map forbids"
        );
    }
}
