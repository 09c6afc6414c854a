//! Documents the page tests draw.
use crate::{
    CheckDocument, FleetDocument, GroupDocument, Incident, ReadingDocument, ServiceInfo,
    StatusDocument, TargetDocument, TransitionDocument, Uptime, Word,
};

/// 2026-12-02 08:00:00 UTC.
pub(super) const NOW_MS: u64 = 1_796_198_400_000;

/// `n` readings ten seconds apart ending at `NOW_MS`: every `fail_every`-th fails with `reason`.
pub(super) fn readings(n: usize, fail_every: usize, reason: &str) -> Vec<ReadingDocument> {
    (0..n)
        .map(|i| {
            let fail = fail_every > 0 && i % fail_every == fail_every - 1;
            ReadingDocument {
                at_ms: NOW_MS - (n - i) as u64 * 10_000,
                status: if fail { Word::Fail } else { Word::Pass },
                duration_seconds: 0.002 + (i % 7) as f64 * 0.0031,
                reason: fail.then(|| reason.to_owned()),
            }
        })
        .collect()
}

pub(super) fn check(
    name: &str,
    status: Option<Word>,
    readings: Vec<ReadingDocument>,
) -> CheckDocument {
    CheckDocument {
        name: name.to_owned(),
        groups: vec!["readiness".to_owned()],
        status,
        reason: None,
        details: serde_json::Map::new(),
        readings,
    }
}

/// A service with `checks` checks of `n` readings each, one failure in ten.
pub(super) fn service(checks: usize, n: usize) -> StatusDocument {
    StatusDocument {
        service: Some(ServiceInfo {
            name: "orders".to_owned(),
            version: "1.4.2".to_owned(),
        }),
        generated_at_ms: NOW_MS,
        started_at_ms: NOW_MS - 3_723_000,
        status: Word::Pass,
        details: true,
        capacity: 120,
        groups: vec![
            GroupDocument {
                name: "liveness".to_owned(),
                status: Word::Pass,
            },
            GroupDocument {
                name: "readiness".to_owned(),
                status: Word::Fail,
            },
        ],
        checks: (0..checks)
            .map(|i| {
                check(
                    &format!("check-{i}"),
                    Some(Word::Pass),
                    readings(n, 10, "connection refused"),
                )
            })
            .collect(),
        transitions: vec![
            TransitionDocument {
                check: "check-0".to_owned(),
                from: None,
                to: Word::Fail,
                at_ms: NOW_MS - 60_000,
                reason: Some("connection refused".to_owned()),
            },
            TransitionDocument {
                check: "check-0".to_owned(),
                from: Some(Word::Fail),
                to: Word::Pass,
                at_ms: NOW_MS - 30_000,
                reason: None,
            },
        ],
    }
}

pub(super) fn target(name: &str) -> TargetDocument {
    TargetDocument {
        name: name.to_owned(),
        url: "http://orders:8080/status/history".to_owned(),
        service: Some(ServiceInfo {
            name: "orders".to_owned(),
            version: "1.4.2".to_owned(),
        }),
        status: Some(Word::Fail),
        polled_at_ms: Some(NOW_MS - 5_000),
        poll_error: None,
        uptime: Uptime {
            day: Some(0.99953),
            week: Some(0.9725),
            month: None,
        },
        checks: vec![check("db", Some(Word::Fail), readings(30, 3, "timeout"))],
        incidents: vec![
            Incident {
                started_at_ms: NOW_MS - 125_000,
                ended_at_ms: None,
                checks: vec!["db".to_owned()],
            },
            Incident {
                started_at_ms: NOW_MS - 86_400_000,
                ended_at_ms: Some(NOW_MS - 86_400_000 + 125_000),
                checks: vec!["poll".to_owned()],
            },
        ],
    }
}

pub(super) fn fleet(targets: Vec<TargetDocument>) -> FleetDocument {
    FleetDocument {
        generated_at_ms: NOW_MS,
        details: true,
        unavailable: false,
        targets,
    }
}
