//! Metric and label name validation: never panics, and whatever is accepted matches the
//! Prometheus grammar (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without `:` and not reserved).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitals::metrics::{validate_label_name, validate_metric_name};

fn grammar(name: &str, colon: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| ok(c, true)) && chars.all(|c| ok(c, false))
}

fuzz_target!(|data: &[u8]| {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let name = String::from_utf8_lossy(rest);
    if validate_metric_name(&name, flag & 1 == 1).is_ok() {
        assert!(grammar(&name, true), "{name:?}");
    }
    if validate_label_name(&name).is_ok() {
        assert!(grammar(&name, false) && !name.starts_with("__"), "{name:?}");
    }
});
