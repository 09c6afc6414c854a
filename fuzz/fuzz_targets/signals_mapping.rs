//! The signals mapping file: never panics; an accepted mapping exports finite values under the
//! names it lists.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitals_module_signals::{Kind, Mapping, Point};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(mapping) = Mapping::parse(&text) {
        let points = [
            Point {
                key: "a.p95".into(),
                value: 0.25,
                kind: Kind::Seconds,
            },
            Point {
                key: "jobs.pressure".into(),
                value: 0.5,
                kind: Kind::Ratio,
            },
            Point {
                key: "sse.connections".into(),
                value: 3.0,
                kind: Kind::Count,
            },
        ];
        for e in mapping.export(&points) {
            assert!(e.value.is_finite() && !e.name.is_empty());
        }
    }
});
