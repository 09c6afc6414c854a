//! How numbers read on the pages: UTC times (`2026-12-02 08:13:36`), spans (`2m 05s`),
//! latencies (`12.3 ms`) and uptime shares (`99.953%`, `—` when absent).
use std::fmt::{self, Display};

/// A Unix time in milliseconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub(super) struct Utc(pub(super) u64);

impl Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / 1000;
        let (y, m, d) = civil(secs / 86_400);
        let s = secs % 86_400;
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// A Unix time in milliseconds as `HH:MM:SS` on the UTC day of the second (a "now"), as
/// `YYYY-MM-DD HH:MM:SS` on any other.
pub(super) struct Clock(pub(super) u64, pub(super) u64);

impl Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 / DAY_MS != self.1 / DAY_MS {
            return Utc(self.0).fmt(f);
        }
        let s = self.0 / 1000 % 86_400;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

const DAY_MS: u64 = 86_400_000;

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// A span of milliseconds, two units at most: `0.8s` and `9.5s` (tenths under ten seconds, so a
/// short incident never reads `0s`), `45s`, `2m 05s`, `3h 07m`, `2d 04h`.
pub(super) struct Span(pub(super) u64);

impl Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0 / 1000;
        match s {
            0..10 => write!(f, "{}.{}s", s, self.0 % 1000 / 100),
            10..60 => write!(f, "{s}s"),
            60..3600 => write!(f, "{}m {:02}s", s / 60, s % 60),
            3600..86_400 => write!(f, "{}h {:02}m", s / 3600, s / 60 % 60),
            _ => write!(f, "{}d {:02}h", s / 86_400, s / 3600 % 24),
        }
    }
}

/// A run's duration in seconds: `850 µs`, `4.25 ms`, `12.3 ms`, `250 ms`, `1.20 s`; `—` when
/// not a finite non-negative number.
pub(super) struct Latency(pub(super) f64);

impl Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if !s.is_finite() || s < 0.0 {
            return f.write_str("—");
        }
        let ms = s * 1000.0;
        if ms < 1.0 {
            write!(f, "{:.0} µs", s * 1e6)
        } else if ms < 10.0 {
            write!(f, "{ms:.2} ms")
        } else if ms < 100.0 {
            write!(f, "{ms:.1} ms")
        } else if ms < 1000.0 {
            write!(f, "{ms:.0} ms")
        } else {
            write!(f, "{s:.2} s")
        }
    }
}

/// An uptime share (0 to 1) as a percentage: `100%`, three decimals from 99% (`99.953%`, never
/// rounded up to 100), two below (`97.25%`); `—` when absent (never 0).
pub(super) struct Percent(pub(super) Option<f64>);

impl Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(u) if u.is_finite() => {
                let p = (u * 100.0).clamp(0.0, 100.0);
                if p >= 100.0 {
                    f.write_str("100%")
                } else if p >= 99.0 {
                    write!(f, "{:.3}%", p.min(99.999))
                } else {
                    write!(f, "{:.2}%", p.min(98.99))
                }
            }
            _ => f.write_str("—"),
        }
    }
}

/// The class colouring an uptime share: `ok` from 99.9%, `meh` from 99%, `bad` below, `none`
/// when absent.
pub(super) fn uptime_class(share: Option<f64>) -> &'static str {
    match share {
        Some(u) if u >= 0.999 => "ok",
        Some(u) if u >= 0.99 => "meh",
        Some(_) => "bad",
        None => "none",
    }
}
