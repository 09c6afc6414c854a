use vitals::{CheckOutcome, CheckerExt, Dependency, HealthChecker, HealthGroup, check_fn};

/// The built-in `ping` check: always healthy, in liveness, readiness and startup, local to the
/// process. It answers "the process serves HTTP", the floor every probe stands on.
pub(crate) fn ping() -> impl HealthChecker {
    check_fn("ping", || async { CheckOutcome::healthy() })
        .with_groups([
            HealthGroup::Liveness,
            HealthGroup::Readiness,
            HealthGroup::Startup,
        ])
        .with_dependency(Dependency::Local)
}
