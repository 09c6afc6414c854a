//! The stylesheet's hash, proven by the `openssl` CLI, and the policy built from it.
use super::super::style::{CSS, css_sha256};
use std::io::Write;
use std::process::{Command, Stdio};

fn openssl_sha256_base64(input: &str) -> String {
    let mut child = Command::new("sh")
        .args(["-c", "openssl dgst -sha256 -binary | openssl base64 -A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh and openssl are installed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the stylesheet");
    let out = child.wait_with_output().expect("openssl ran");
    assert!(out.status.success(), "openssl failed: {out:?}");
    String::from_utf8(out.stdout).expect("base64 is ASCII")
}

#[test]
fn the_stylesheet_hash_is_the_sha256_openssl_computes() {
    println!("stylesheet: {} bytes", CSS.len());
    assert_eq!(
        css_sha256!(),
        openssl_sha256_base64(CSS),
        "update css_sha256! in page/style.rs"
    );
}
