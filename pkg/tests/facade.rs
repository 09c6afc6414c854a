//! `vitals` is a facade: what a module author calls, and no kernel plumbing. It depends on no
//! recorder, web framework or database crate, so no such type can appear in its public API.
use std::path::Path;

fn dependencies() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("pkg/Cargo.toml");
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && !line.is_empty() {
            deps.push(line.split(['.', ' ', '=']).next().unwrap_or("").to_owned());
        }
    }
    deps
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn the_facade_depends_on_no_recorder_web_framework_or_database() {
    let deps = dependencies();
    assert!(!deps.is_empty(), "no [dependencies] read");
    for banned in ["prometheus", "actix-web", "sea-orm", "sqlx"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "pkg depends on {banned}: {deps:?}"
        );
    }
}

#[test]
fn no_source_file_names_a_prometheus_actix_or_sea_orm_type() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "only {} files read", files.len());
    for (path, text) in files {
        for banned in ["prometheus::", "actix_web::", "sea_orm::"] {
            assert!(!text.contains(banned), "{path} names {banned}");
        }
    }
}
