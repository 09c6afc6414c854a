//! The middleware's clock: the monotonic clock read as nanoseconds. On Unix it is
//! `clock_gettime(CLOCK_MONOTONIC)` through rustix over libc (the vDSO call; libc, because a
//! raw-syscall build upsets valgrind, which counts our instructions) — the clock `Instant` reads
//! too, without the conversions `Instant::elapsed` makes around it (about 60 instructions a
//! request, `docs/performance.md`).

/// When a request started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start(u64);

impl Start {
    pub(crate) fn now() -> Self {
        Self(nanos())
    }

    /// Seconds since the start (never negative: the clock is monotonic).
    pub(crate) fn seconds(self) -> f64 {
        nanos().saturating_sub(self.0) as f64 * 1e-9
    }
}

#[cfg(unix)]
fn nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(t.tv_nsec as u64)
}

#[cfg(not(unix))]
fn nanos() -> u64 {
    static BASE: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    BASE.get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::Start;

    #[test]
    fn seconds_are_those_the_standard_clock_sees_around_them() {
        use std::time::{Duration, Instant};
        let before = Instant::now();
        let start = Start::now();
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let ending = Instant::now();
        let ours = start.seconds();
        let after = Instant::now();
        // Both read CLOCK_MONOTONIC: ours lies between the shortest and the longest span the
        // standard clock saw around our two reads, whatever the machine's load.
        let (least, most) = (
            (ending - started).as_secs_f64(),
            (after - before).as_secs_f64(),
        );
        assert!(least >= 0.020, "{least}");
        assert!(ours >= least && ours <= most, "{least} <= {ours} <= {most}");
    }
}
