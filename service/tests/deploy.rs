//! The Kubernetes manifests, judged by a real validator (`kubernetes-validate --strict`, the
//! Kubernetes schemas), and their probe paths and ports called on the binaries they run.
use std::path::PathBuf;
use std::time::Duration;
use vitals_judges::{ChildGuard, free_addr, get, run_judge, wait_until_up};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");
const COLLECTOR: &str = env!("CARGO_BIN_EXE_vitals-collector");

fn manifests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

fn validate(files: &[PathBuf]) -> (bool, String) {
    let mut args = vec!["--strict"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    run_judge("kubernetes-validate", &args, &manifests())
}

#[test]
fn core_manifests_pass_strict_schema_validation_and_a_broken_one_does_not() {
    let files = [
        manifests().join("app.yaml"),
        manifests().join("collector.yaml"),
    ];
    let (ok, text) = validate(&files);
    assert!(ok, "{text}");
    assert_eq!(text.matches(" passed for resource ").count(), 4, "{text}");
    // The judge judges: an unknown field fails strict validation.
    let broken = std::env::temp_dir().join(format!("vitals-broken-{}.yaml", std::process::id()));
    let app = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(&broken, app.replace("containerPort:", "containerPorts:")).unwrap();
    let (ok, text) = validate(&[broken]);
    assert!(!ok, "a broken manifest passed: {text}");
}

/// The `path:` of every probe in a manifest, in order.
fn probe_paths(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .filter(|l| l.contains("httpGet:"))
        .filter_map(|l| l.split("path: ").nth(1))
        .map(|rest| {
            rest.split([',', '}'])
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn every_probe_path_of_the_manifests_is_served_by_its_binary() {
    let app = std::fs::read_to_string(manifests().join("app.yaml")).unwrap();
    let collector = std::fs::read_to_string(manifests().join("collector.yaml")).unwrap();
    assert_eq!(probe_paths(&app), ["/startupz", "/livez", "/readyz"]);
    assert_eq!(probe_paths(&collector), ["/livez", "/readyz"]);
    for manifest in [&app, &collector] {
        assert!(manifest.contains("containerPort: 8080"));
        assert!(manifest.contains("value: \"0.0.0.0:8080\""));
    }
    let dir = std::env::temp_dir().join(format!("vitals-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("d.db").display());
    let file = dir.join("aggregates.toml");
    std::fs::write(
        &file,
        "[[aggregate]]\nname = \"one\"\nhelp = \"One.\"\nsql = \"SELECT 1 AS value\"\n",
    )
    .unwrap();
    let file = file.display().to_string();
    for (program, manifest, extra) in [
        (BIN, &app, vec![]),
        (
            COLLECTOR,
            &collector,
            vec![("VITALS_AGGREGATES_FILE", file.as_str())],
        ),
    ] {
        let addr = free_addr().to_string();
        let mut envs = vec![
            ("VITALS_BIND", addr.as_str()),
            ("DATABASE_URL", url.as_str()),
        ];
        envs.extend(extra);
        let _child = ChildGuard::spawn(program, &envs);
        let base = format!("http://{addr}");
        wait_until_up(&format!("{base}/livez"), Duration::from_secs(30)).await;
        for path in probe_paths(manifest) {
            let resp = get(&format!("{base}{path}")).await;
            assert_eq!(resp.status, 200, "{program} {path}: {}", resp.text());
        }
    }
}
