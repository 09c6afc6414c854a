//! gRPC service names to health groups: the empty name is the server as a whole (readiness),
//! every other name is read as the `/health/{group}` path segment is.
use vitals::HealthGroup;

/// The group a `grpc.health.v1` service name asks about: `""` is readiness (the server as a
/// whole), any other name is parsed as [`HealthGroup::parse`] reads the `/health/{group}` path
/// segment (`liveness`, `readiness`, `startup`, their aliases, or a custom group). Whether the
/// group exists is the registry's to say ([`knows_group`](vitals_health::HealthRegistry::knows_group)).
///
/// ```
/// use vitals::HealthGroup;
/// assert_eq!(vitals_grpc::group_of(""), HealthGroup::Readiness);
/// assert_eq!(vitals_grpc::group_of("liveness"), HealthGroup::Liveness);
/// assert_eq!(vitals_grpc::group_of("billing"), HealthGroup::custom("billing"));
/// ```
pub fn group_of(service: &str) -> HealthGroup {
    match service {
        "" => HealthGroup::Readiness,
        name => HealthGroup::parse(name),
    }
}
