use super::*;
use std::collections::HashMap;

fn parse(vars: &[(&str, &str)]) -> Result<Option<FleetConfig>, SettingError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    FleetConfig::from_environment(&Environment::from_lookup(move |k| map.get(k).cloned()))
}

const TARGETS: (&str, &str) = (
    "VITALS_STATUS_TARGETS",
    "api=http://10.0.0.7:8080/status/history, jobs=https://jobs.internal/status/history",
);

#[test]
fn unset_targets_turn_the_fleet_view_off() {
    assert!(
        parse(&[("VITALS_STATUS_POLL_INTERVAL", "1s")])
            .unwrap()
            .is_none()
    );
}

#[test]
fn defaults_and_every_setting() {
    let c = parse(&[TARGETS]).unwrap().unwrap();
    assert_eq!(c.targets.len(), 2);
    assert_eq!(c.targets[1].name, "jobs");
    assert_eq!(c.targets[1].url, "https://jobs.internal/status/history");
    assert_eq!(c.interval, Duration::from_secs(15));
    assert_eq!(c.timeout, Duration::from_secs(5));
    assert_eq!(c.retention, Duration::from_secs(35 * 86400));
    assert_eq!(c.store_timeout, Duration::from_secs(5));
    assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(c.header, None);
    let c = parse(&[
        TARGETS,
        ("VITALS_STATUS_POLL_INTERVAL", "200ms"),
        ("VITALS_STATUS_POLL_TIMEOUT", "150ms"),
        ("VITALS_STATUS_RETENTION", "7d"),
        ("VITALS_STATUS_STORE_TIMEOUT", "20s"),
        ("VITALS_STATUS_POLL_HEADER", "Authorization: Bearer s3cret"),
        ("DATABASE_URL", "postgres://u:p@db/vitals"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(c.interval, Duration::from_millis(200));
    assert_eq!(c.timeout, Duration::from_millis(150));
    assert_eq!(c.retention, Duration::from_secs(7 * 86400));
    assert_eq!(c.store_timeout, Duration::from_secs(20));
    assert_eq!(
        c.header,
        Some(("Authorization".into(), "Bearer s3cret".into()))
    );
    assert_eq!(
        c.target("api").unwrap().url,
        "http://10.0.0.7:8080/status/history"
    );
}

#[test]
fn every_bad_value_names_the_variable_and_the_value() {
    let table: &[(&[(&str, &str)], &str)] = &[
        (
            &[("VITALS_STATUS_TARGETS", "api")],
            "invalid VITALS_STATUS_TARGETS \"api\": each entry is name=url, e.g. api=http://10.0.0.7:8080/status/history",
        ),
        (
            &[("VITALS_STATUS_TARGETS", "API=http://a/status/history")],
            "invalid VITALS_STATUS_TARGETS \"API\": a target name is 1 to 64 of lowercase letters, digits, '_' and '-'",
        ),
        (
            &[("VITALS_STATUS_TARGETS", "a=http://a/s,a=http://b/s")],
            "invalid VITALS_STATUS_TARGETS \"a\": target names must be unique",
        ),
        (
            &[("VITALS_STATUS_TARGETS", "a=ftp://a/s")],
            "invalid VITALS_STATUS_TARGETS \"ftp://a/s\": must be an http:// or https:// URL without credentials",
        ),
        (
            &[("VITALS_STATUS_TARGETS", "a=http://u:pw@a/s")],
            "invalid VITALS_STATUS_TARGETS \"a/s\": must be an http:// or https:// URL without credentials",
        ),
        (
            &[("VITALS_STATUS_TARGETS", " , ")],
            "invalid VITALS_STATUS_TARGETS \" , \": list at least one name=url target",
        ),
        (
            &[TARGETS, ("VITALS_STATUS_POLL_INTERVAL", "0s")],
            "invalid VITALS_STATUS_POLL_INTERVAL \"0s\": must be greater than zero",
        ),
        (
            &[TARGETS, ("VITALS_STATUS_POLL_TIMEOUT", "20s")],
            "invalid VITALS_STATUS_POLL_TIMEOUT \"20s\": must be shorter than VITALS_STATUS_POLL_INTERVAL (15s), or polls overlap",
        ),
        (
            &[TARGETS, ("VITALS_STATUS_RETENTION", "30s")],
            "invalid VITALS_STATUS_RETENTION \"30s\": must be longer than three VITALS_STATUS_POLL_INTERVALs",
        ),
        (
            &[TARGETS, ("VITALS_STATUS_POLL_HEADER", "Bearer s3cret")],
            "invalid VITALS_STATUS_POLL_HEADER \"<withheld>\": must be `Name: value` with a token header name and a non-empty value",
        ),
        (
            &[TARGETS, ("VITALS_STATUS_POLL_HEADER", "Authorization:")],
            "invalid VITALS_STATUS_POLL_HEADER \"Authorization: <withheld>\": must be `Name: value` with a token header name and a non-empty value",
        ),
        (
            &[TARGETS, ("DATABASE_URL", "mysql://u:pw@db/x")],
            "invalid DATABASE_URL \"db/x\": the fleet view keeps its history in sqlite: or postgres://",
        ),
    ];
    for (vars, want) in table {
        assert_eq!(parse(vars).unwrap_err().to_string(), *want, "{vars:?}");
    }
}
