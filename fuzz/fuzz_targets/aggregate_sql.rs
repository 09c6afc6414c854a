//! An aggregate's SQL through the statement check (one statement in the SQLite, PostgreSQL and
//! MySQL readings): never panics, and the same SQL always gets the same answer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitals_module_database::SqlAggregate;

fuzz_target!(|data: &[u8]| {
    let sql = String::from_utf8_lossy(data);
    let check = || {
        SqlAggregate::new("fuzz", "Fuzz.", &sql)
            .validate()
            .map_err(|e| e.to_string())
    };
    let first = check();
    assert_eq!(first, check());
    if let Err(e) = first {
        assert!(e.starts_with("invalid SQL aggregate \"fuzz\": sql "), "{e}");
    }
});
