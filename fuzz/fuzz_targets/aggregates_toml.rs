//! The aggregates file: never panics; every accepted aggregate validates on its own.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new("fuzz.toml");
    if let Ok(aggregates) = vitals_module_database::parse_aggregates(path, &text) {
        for a in aggregates {
            a.validate().unwrap();
        }
    }
});
