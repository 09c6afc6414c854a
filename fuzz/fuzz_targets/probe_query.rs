//! `?verbose` / `?exclude=` parsing: never panics; every excluded name is non-empty.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    if let Ok(excluded) = vitals_http::fuzzing::probe_query(&query) {
        assert!(excluded.iter().all(|n| !n.is_empty()));
    }
});
