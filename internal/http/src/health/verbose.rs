use std::fmt::Write;
use vitals::HealthStatus;
use vitals_health::HealthReport;

/// Kubernetes-style listing: `[+]name ok`, `[!]name degraded: reason`, `[-]name failed: reason`,
/// `[+]name excluded: ok`, then `<group> check passed` or `<group> check failed`.
pub(crate) fn render(report: &HealthReport, details: bool) -> String {
    let mut out = String::new();
    for c in &report.checks {
        let reason = match (details, c.outcome.error()) {
            (true, Some(r)) => r,
            (true, None) => "",
            (false, _) => "reason withheld",
        };
        let _ = match c.status {
            HealthStatus::Healthy => writeln!(out, "[+]{} ok", c.name),
            HealthStatus::Degraded if reason.is_empty() => {
                writeln!(out, "[!]{} degraded", c.name)
            }
            HealthStatus::Degraded => writeln!(out, "[!]{} degraded: {reason}", c.name),
            HealthStatus::Unhealthy if reason.is_empty() => {
                writeln!(out, "[-]{} failed", c.name)
            }
            HealthStatus::Unhealthy => writeln!(out, "[-]{} failed: {reason}", c.name),
        };
    }
    for name in &report.excluded {
        let _ = writeln!(out, "[+]{name} excluded: ok");
    }
    if !report.unknown_excludes.is_empty() {
        let quoted: Vec<_> = report
            .unknown_excludes
            .iter()
            .map(|n| format!("{n:?}"))
            .collect();
        let _ = writeln!(
            out,
            "warn: some health checks cannot be excluded: no matches for {}",
            quoted.join(",")
        );
    }
    if report.shutting_down {
        out.push_str("[-]shutdown failed: shutting down\n");
    }
    let verdict = if report.status.is_serving() {
        "passed"
    } else {
        "failed"
    };
    let _ = writeln!(out, "{} check {verdict}", report.group);
    out
}
