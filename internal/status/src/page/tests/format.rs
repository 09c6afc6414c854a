//! How times, spans, latencies and uptime read.
use super::super::format::{Latency, Percent, Span, Utc};

#[test]
fn times_read_as_utc_dates() {
    assert_eq!(Utc(0).to_string(), "1970-01-01 00:00:00");
    assert_eq!(Utc(951_782_400_000).to_string(), "2000-02-29 00:00:00");
    assert_eq!(Utc(1_796_198_400_999).to_string(), "2026-12-02 08:00:00");
    assert_eq!(Utc(4_102_444_799_000).to_string(), "2099-12-31 23:59:59");
}

#[test]
fn spans_read_with_two_units_at_most() {
    for (ms, text) in [
        (0, "0.0s"),
        (850, "0.8s"),
        (9_999, "9.9s"),
        (10_000, "10s"),
        (59_999, "59s"),
        (125_000, "2m 05s"),
        (3_600_000, "1h 00m"),
        (3_723_000, "1h 02m"),
        (90_000_000, "1d 01h"),
    ] {
        assert_eq!(Span(ms).to_string(), text);
    }
}

#[test]
fn latencies_read_in_their_unit() {
    for (s, text) in [
        (0.000_85, "850 µs"),
        (0.004_25, "4.25 ms"),
        (0.012_34, "12.3 ms"),
        (0.25, "250 ms"),
        (1.2, "1.20 s"),
        (f64::NAN, "—"),
        (-1.0, "—"),
    ] {
        assert_eq!(Latency(s).to_string(), text);
    }
}

#[test]
fn uptime_reads_as_a_percentage_and_absent_as_a_dash() {
    for (share, text) in [
        (Some(1.0), "100%"),
        (Some(0.99953), "99.953%"),
        (Some(0.999_999_9), "99.999%"),
        (Some(0.9725), "97.25%"),
        (Some(0.989_999), "98.99%"),
        (Some(0.0), "0.00%"),
        (None, "—"),
        (Some(f64::NAN), "—"),
    ] {
        assert_eq!(Percent(share).to_string(), text);
    }
}
