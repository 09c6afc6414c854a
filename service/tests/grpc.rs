//! The `vitals` binary's gRPC health service (`VITALS_GRPC_BIND`) called by an independent
//! client (Python grpcio-health-checking): each group answers as its HTTP probe does, and on
//! SIGTERM a readiness `Watch` sees `NOT_SERVING` within 100 ms while both ports still answer;
//! the Kubernetes manifest with `grpc:` probes passes strict validation and its probes' service
//! names are served.
#[path = "../../internal/grpc/tests/client/mod.rs"]
mod client;

use client::{Client, check};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vitals_judges::{free_addr, get, run_judge, sqlite_url, start_service, wait_for_port};

const BIN: &str = env!("CARGO_BIN_EXE_vitals");

/// The binary serving HTTP and gRPC on free ports: the child, the HTTP base URL, the gRPC
/// address.
async fn start(tag: &str, extra: &[(&str, &str)]) -> (vitals_judges::ChildGuard, String, String) {
    let grpc = free_addr();
    let grpc_s = grpc.to_string();
    let db = sqlite_url(tag);
    let mut env = vec![("DATABASE_URL", db.as_str()), ("VITALS_GRPC_BIND", &grpc_s)];
    env.extend_from_slice(extra);
    let (child, base) = start_service(BIN, &env).await;
    wait_for_port(grpc, "the gRPC health service", Duration::from_secs(10));
    (child, base, grpc_s)
}

async fn checks(addr: &str, names: &'static [&'static str]) -> Vec<String> {
    let addr = addr.to_owned();
    tokio::task::spawn_blocking(move || check(&addr, names))
        .await
        .unwrap()
}

#[tokio::test]
async fn each_group_answers_over_grpc_as_its_http_probe_does() {
    let (_child, base, grpc) = start("grpc-groups", &[]).await;
    let got = checks(&grpc, &["", "readiness", "liveness", "startup", "billing"]).await;
    assert_eq!(
        got,
        [
            "'' SERVING",
            "'readiness' SERVING",
            "'liveness' SERVING",
            "'startup' SERVING",
            "'billing' NOT_FOUND",
        ]
    );
    for (path, status) in [
        ("/readyz", 200),
        ("/livez", 200),
        ("/startupz", 200),
        ("/health/billing", 404),
    ] {
        assert_eq!(get(&format!("{base}{path}")).await.status, status, "{path}");
    }
}

#[tokio::test]
async fn sigterm_turns_a_readiness_watch_not_serving_within_100ms_while_the_port_answers() {
    let (child, base, grpc) = start("grpc-sigterm", &[("VITALS_SHUTDOWN_DELAY", "3s")]).await;
    let watch = Client::spawn(&["watch", &grpc, "readiness"]);
    let wait = Duration::from_secs(10);
    assert_eq!(watch.line(wait), "SERVING");
    let sent = Instant::now();
    child.signal("TERM");
    let (seen, line) = watch.line_at(wait);
    assert_eq!(line, "NOT_SERVING");
    let after = seen - sent;
    println!("readiness Watch: NOT_SERVING {after:?} after SIGTERM");
    assert!(
        after < Duration::from_millis(100),
        "NOT_SERVING {after:?} after SIGTERM"
    );
    // The shutdown delay: both ports still answer, readiness fails on both, liveness serves.
    let got = checks(&grpc, &["", "readiness", "liveness"]).await;
    assert_eq!(
        got,
        [
            "'' NOT_SERVING",
            "'readiness' NOT_SERVING",
            "'liveness' SERVING"
        ]
    );
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "checked within the delay"
    );
    assert_eq!(get(&format!("{base}/readyz")).await.status, 503);
    // Then the listeners close: the stream ends (OK: reconnect elsewhere), the process exits 0.
    assert_eq!(watch.rest(wait), ["END OK"]);
    let (code, stderr) = child.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
}

fn manifests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

/// The `service:` of every `grpc:` probe in a manifest, in order.
fn probe_services(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .filter(|l| l.contains("grpc: {port:"))
        .filter_map(|l| l.split("service: ").nth(1))
        .map(|rest| rest.trim_end_matches('}').trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_grpc_probe_manifest_passes_strict_validation_and_its_probes_are_served() {
    let file = manifests().join("app-grpc.yaml");
    let (ok, text) = run_judge(
        "kubernetes-validate",
        &["--strict", file.to_str().unwrap()],
        &manifests(),
    );
    assert!(ok, "{text}");
    assert_eq!(text.matches(" passed for resource ").count(), 2, "{text}");
    let manifest = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        probe_services(&manifest),
        ["startup", "liveness", "readiness"]
    );
    assert!(manifest.contains("value: \"0.0.0.0:9090\""));
    assert_eq!(manifest.matches("grpc: {port: 9090,").count(), 3);
    let (_child, _base, grpc) = start("grpc-manifest", &[]).await;
    let got = checks(&grpc, &["startup", "liveness", "readiness"]).await;
    assert_eq!(
        got,
        [
            "'startup' SERVING",
            "'liveness' SERVING",
            "'readiness' SERVING"
        ]
    );
}
