//! The history bound: the heap a [`CheckHistory`] holds stops growing once every ring is full,
//! whatever the number of runs, and grows linearly with the number of checks. Counted by a
//! counting global allocator (bytes requested minus bytes freed, reallocations included). The
//! count is the whole process's: this file runs without the test harness (`harness = false`),
//! on one thread, so nothing else allocates while it counts.
//!
//! `cargo test -p vitals-status --test history_memory` prints the figures.
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::time::{Duration, SystemTime};
use vitals_status::{CheckHistory, HistoryConfig, MAX_REASON_BYTES, Word};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes in use in this process.
fn live() -> isize {
    let s = GLOBAL.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

/// A reason of exactly [`MAX_REASON_BYTES`], distinct for every `i`: the worst case, no two
/// readings share one.
fn distinct_reason(i: u64) -> String {
    format!("{i:0>width$}", width = MAX_REASON_BYTES)
}

/// Records runs `from..to` of `check`: failing and degraded in turn (every run a transition),
/// each with its own reason.
fn runs(h: &CheckHistory, check: &str, from: u64, to: u64) {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for i in from..to {
        let status = if i % 2 == 0 { Word::Fail } else { Word::Warn };
        let reason = distinct_reason(i);
        h.record(
            check,
            status,
            start + Duration::from_secs(i),
            0.004,
            Some(&reason),
        );
    }
}

/// Heap held by a default history whose `checks` checks each ran `per_check` times.
fn held_by(checks: usize, per_check: u64, reason: impl Fn(u64) -> Option<String>) -> isize {
    let names: Vec<String> = (0..checks).map(|c| format!("check-{c:04}")).collect();
    let before = live();
    let h = CheckHistory::new(HistoryConfig::default());
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for name in &names {
        for i in 0..per_check {
            let r = reason(i);
            let status = if r.is_some() { Word::Fail } else { Word::Pass };
            h.record(
                name,
                status,
                start + Duration::from_secs(i),
                0.004,
                r.as_deref(),
            );
        }
    }
    let held = live() - before;
    drop(h);
    held
}

fn main() {
    a_check_holds_the_same_heap_after_100_000_more_runs();
    the_heap_grows_linearly_with_the_number_of_checks();
    println!("history_memory: ok");
}

fn a_check_holds_the_same_heap_after_100_000_more_runs() {
    let before = live();
    let h = CheckHistory::new(HistoryConfig::default());
    runs(&h, "db", 0, 1_000);
    let after_1_000 = live() - before;
    runs(&h, "db", 1_000, 101_000);
    let after_101_000 = live() - before;
    drop(h);
    let after_drop = live() - before;
    println!(
        "one check, default history (120 readings, 100 transitions), a distinct {MAX_REASON_BYTES}-byte \
         reason every run, every run a transition: {after_1_000} B after 1,000 runs, \
         {after_101_000} B after 101,000, {after_drop} B once dropped"
    );
    assert_eq!(
        after_101_000, after_1_000,
        "flat: the rings were full after 1,000 runs"
    );
    assert_eq!(after_drop, 0, "nothing outlives the history");
}

fn the_heap_grows_linearly_with_the_number_of_checks() {
    let worst = |i: u64| Some(distinct_reason(i));
    let shared = |_| Some("connection refused".to_owned());
    let passing = |_| None;
    let one = held_by(1, 120, worst);
    println!("bytes per check, default history (120 readings):");
    println!(
        "  worst case (a distinct {MAX_REASON_BYTES}-byte reason every reading), 1 check: {one} B"
    );
    let mut per_check = Vec::new();
    for checks in [10, 100, 1_000] {
        let worst_case = held_by(checks, 120, worst);
        let failing_alike = held_by(checks, 120, shared);
        let healthy = held_by(checks, 120, passing);
        println!(
            "  {checks:>5} checks: {worst_case:>10} B worst case ({} B per check), \
             {failing_alike:>9} B failing alike ({} B per check), \
             {healthy:>9} B passing ({} B per check)",
            worst_case / checks as isize,
            failing_alike / checks as isize,
            healthy / checks as isize
        );
        per_check.push((
            checks,
            worst_case / checks as isize,
            healthy / checks as isize,
        ));
    }
    let (_, worst_10, healthy_10) = per_check[0];
    for &(checks, worst, healthy) in &per_check[1..] {
        let close = |a: isize, b: isize| (a - b).abs() * 100 <= b * 5;
        assert!(
            close(worst, worst_10),
            "{checks} checks: {worst} B per check vs {worst_10} at 10"
        );
        assert!(
            close(healthy, healthy_10),
            "{checks} checks: {healthy} B per check vs {healthy_10} at 10"
        );
    }
    assert_eq!(
        held_by(10, 1_000, worst),
        held_by(10, 10_000, worst),
        "more runs per check add nothing"
    );
}
