use super::*;
use std::collections::HashMap;
use vitals_http::{DetailPolicy, ForwardedHeader, parse_networks};

/// Reads and validates, as a binary does (`from_env`, then `build`).
fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let c = Config::from_environment(&Environment::from_lookup(move |k| map.get(k).cloned()))
        .map_err(|e| e.to_string())?;
    c.validate().map_err(|e| e.to_string())?;
    Ok(c)
}

#[test]
fn background_staleness_must_outlast_an_interval_plus_a_check_timeout() {
    let err = load(&[
        ("VITALS_BACKGROUND_INTERVAL", "5s"),
        ("VITALS_MAX_STALENESS", "6s"),
        ("VITALS_CHECK_TIMEOUT", "1s"),
    ])
    .unwrap_err();
    assert_eq!(
        err,
        "invalid VITALS_MAX_STALENESS \"6s\": max staleness must be longer than the background interval plus VITALS_CHECK_TIMEOUT, or readings go stale between runs"
    );
    let err = load(&[
        ("VITALS_BACKGROUND_INTERVAL", "1s"),
        ("VITALS_CHECK_TIMEOUT", "2s"),
    ])
    .unwrap_err();
    assert!(
        err.starts_with("invalid VITALS_BACKGROUND_INTERVAL \"1s\": max staleness"),
        "{err}"
    );
    assert!(
        load(&[
            ("VITALS_BACKGROUND_INTERVAL", "5s"),
            ("VITALS_MAX_STALENESS", "7s"),
            ("VITALS_CHECK_TIMEOUT", "1s"),
        ])
        .is_ok()
    );
}

#[test]
fn empty_environment_gives_defaults() {
    assert_eq!(load(&[]).unwrap(), Config::default());
}

#[test]
fn good_values_are_read() {
    let c = load(&[
        ("VITALS_BIND", "0.0.0.0:9000"),
        ("VITALS_CHECK_TIMEOUT", "250ms"),
        ("VITALS_BACKGROUND_INTERVAL", "5s"),
        ("VITALS_MAX_STALENESS", "20s"),
        ("VITALS_READY_FAILURES", "3"),
        ("VITALS_DETAILS", "authorized"),
        ("VITALS_TOKEN", "t"),
        ("VITALS_LOG_FORMAT", "json"),
        ("VITALS_HTTP_BUCKETS", "0.1, 1"),
        ("VITALS_SERVICE_NAME", "billing"),
        ("VITALS_SERVICE_VERSION", "2.3.1"),
        ("VITALS_TRUSTED_PROXIES", "10.0.0.0/8"),
        ("VITALS_FORWARDED_HEADER", "Forwarded"),
    ])
    .unwrap();
    assert_eq!(c.bind.port(), 9000);
    assert_eq!(c.health.check_timeout, Duration::from_millis(250));
    assert_eq!(c.health.max_staleness, Some(Duration::from_secs(20)));
    assert_eq!(c.health.damping, Some((3, 1)));
    assert_eq!(c.access.details, DetailPolicy::Authorised);
    assert_eq!(c.access.token.as_deref(), Some("t"));
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(c.requests.buckets, [0.1, 1.0]);
    assert_eq!(c.service, Some(("billing".into(), "2.3.1".into())));
    assert_eq!(
        c.access.trusted_proxies,
        parse_networks("10.0.0.0/8").unwrap()
    );
    assert_eq!(c.access.forwarded_header, ForwardedHeader::Forwarded);
}

#[test]
fn forwarded_header_is_one_of_three_names_in_any_case() {
    let table = [
        ("x-forwarded-for", ForwardedHeader::XForwardedFor),
        ("X-Forwarded-For", ForwardedHeader::XForwardedFor),
        ("forwarded", ForwardedHeader::Forwarded),
        ("none", ForwardedHeader::Neither),
    ];
    for (value, want) in table {
        let c = load(&[("VITALS_FORWARDED_HEADER", value)]).unwrap();
        assert_eq!(c.access.forwarded_header, want, "{value}");
    }
    assert_eq!(
        load(&[]).unwrap().access.forwarded_header,
        ForwardedHeader::XForwardedFor
    );
}

#[test]
fn bad_values_name_the_variable_and_the_value() {
    let table = [
        (
            ("VITALS_BIND", "localhost"),
            "invalid VITALS_BIND \"localhost\": invalid socket address syntax (use host:port, e.g. 127.0.0.1:8080)",
        ),
        (
            ("VITALS_CHECK_TIMEOUT", "0s"),
            "invalid VITALS_CHECK_TIMEOUT \"0s\": must be greater than zero",
        ),
        (
            ("VITALS_CHECK_TIMEOUT", "soon"),
            "invalid VITALS_CHECK_TIMEOUT \"soon\": expected number at 0 (use e.g. 500ms, 2s, 1m)",
        ),
        (
            ("VITALS_DETAILS", "sometimes"),
            "invalid VITALS_DETAILS \"sometimes\": use never, always, authorized, authorised",
        ),
        (
            ("VITALS_DETAILS", "authorized"),
            "invalid VITALS_DETAILS \"authorized\": needs VITALS_TOKEN to be set",
        ),
        (
            ("VITALS_READY_FAILURES", "-1"),
            "invalid VITALS_READY_FAILURES \"-1\": must be a whole number of at least 1",
        ),
        (
            ("VITALS_MAX_STALENESS", "5s"),
            "invalid VITALS_MAX_STALENESS \"5s\": only applies with VITALS_BACKGROUND_INTERVAL set",
        ),
        (
            ("VITALS_CHECK_TIMEOUT", "500000000000y"),
            "invalid VITALS_CHECK_TIMEOUT \"500000000000y\": must be at most 365 days",
        ),
        (
            ("VITALS_SHUTDOWN_GRACE", "600000000000y"),
            "invalid VITALS_SHUTDOWN_GRACE \"600000000000y\": number is too large or cannot be represented without a lack of precision (values below 1ns are not supported) (use e.g. 500ms, 2s, 1m)",
        ),
        (
            ("VITALS_TOKEN", "s3cret\n"),
            "invalid VITALS_TOKEN \"<withheld>\": has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
        ),
        (
            ("VITALS_LOG_FORMAT", "xml"),
            "invalid VITALS_LOG_FORMAT \"xml\": use text, json",
        ),
        (
            ("VITALS_HTTP_BUCKETS", "1,0.5"),
            "invalid VITALS_HTTP_BUCKETS \"1,0.5\": use increasing positive seconds separated by commas, e.g. 0.01,0.1,1",
        ),
        (
            ("VITALS_METRICS_PREFIX", "My-App"),
            "invalid VITALS_METRICS_PREFIX \"My-App\": use lower snake case: [a-z_][a-z0-9_]*",
        ),
        (
            ("VITALS_METRICS_TRUSTED_CIDRS", "10.0.0.0/8,nope"),
            "invalid VITALS_METRICS_TRUSTED_CIDRS \"10.0.0.0/8,nope\": \"nope\" is not a network (e.g. 10.0.0.0/8) or an address",
        ),
        (
            ("VITALS_TRUSTED_PROXIES", "10.0.0.0/33"),
            "invalid VITALS_TRUSTED_PROXIES \"10.0.0.0/33\": \"10.0.0.0/33\" is not a network (e.g. 10.0.0.0/8) or an address",
        ),
        (
            ("VITALS_FORWARDED_HEADER", "x-real-ip"),
            "invalid VITALS_FORWARDED_HEADER \"x-real-ip\": use x-forwarded-for, forwarded (RFC 7239) or none: the header the trusted proxies write",
        ),
        (
            ("VITALS_METRICS_TOKEN", ""),
            "invalid VITALS_METRICS_TOKEN \"\": is empty: unset it, or give the token",
        ),
        (
            ("VITALS_METRICS_TOKEN", " t0ken"),
            "invalid VITALS_METRICS_TOKEN \"<withheld>\": has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
        ),
        (
            ("VITALS_SERVICE_VERSION", "1.0"),
            "invalid VITALS_SERVICE_VERSION \"1.0\": needs VITALS_SERVICE_NAME to be set",
        ),
    ];
    for ((var, value), want) in table {
        assert_eq!(load(&[(var, value)]).unwrap_err(), want);
    }
}

#[test]
fn the_grpc_address_is_read_and_needs_the_grpc_feature() {
    let got = load(&[("VITALS_GRPC_BIND", "0.0.0.0:9090")]);
    if cfg!(feature = "grpc") {
        assert_eq!(
            got.unwrap().grpc_bind,
            Some("0.0.0.0:9090".parse().unwrap())
        );
    } else {
        assert_eq!(
            got.unwrap_err(),
            "invalid VITALS_GRPC_BIND \"0.0.0.0:9090\": this build has no gRPC front door: \
             enable the grpc feature of vitals-kernel"
        );
    }
    let err = load(&[("VITALS_GRPC_BIND", "grpc.local")]).unwrap_err();
    assert!(
        err.starts_with("invalid VITALS_GRPC_BIND \"grpc.local\": "),
        "{err}"
    );
}

#[test]
fn the_status_page_is_on_at_status_by_default_and_its_path_cannot_shadow_a_probe() {
    let c = load(&[]).unwrap();
    assert_eq!(c.status, StatusSettings::default());
    assert_eq!(c.status.path.as_deref(), Some("/status"));
    let c = load(&[("VITALS_STATUS_PATH", "off")]).unwrap();
    assert_eq!(c.status.path, None);
    let c = load(&[
        ("VITALS_STATUS_PATH", "/ops/status"),
        ("VITALS_STATUS_HISTORY", "500"),
        ("VITALS_STATUS_REFRESH", "0s"),
    ])
    .unwrap();
    assert_eq!(c.status.path.as_deref(), Some("/ops/status"));
    assert_eq!(c.status.history, 500);
    assert_eq!(c.status.refresh, Duration::ZERO);
    assert_eq!(
        load(&[("VITALS_STATUS_PATH", "/health/page")]).unwrap_err(),
        "invalid VITALS_STATUS_PATH \"/health/page\": its first segment \"health\" is one of the probe or /metrics paths"
    );
    assert_eq!(
        load(&[("VITALS_STATUS_PATH", "/a//b")]).unwrap_err(),
        "invalid VITALS_STATUS_PATH \"/a//b\": use segments of letters, digits, '-', '_', '.' or '~', with no empty segment or trailing '/'"
    );
    assert_eq!(
        load(&[("VITALS_STATUS_HISTORY", "0")]).unwrap_err(),
        "invalid VITALS_STATUS_HISTORY \"0\": must be a whole number from 1 to 10000"
    );
    assert_eq!(
        load(&[("VITALS_STATUS_REFRESH", "500ms")]).unwrap_err(),
        "invalid VITALS_STATUS_REFRESH \"500ms\": must be 0s (no reload) or at least 1s"
    );
}

#[test]
fn status_settings_made_in_code_are_validated_as_the_variables_are() {
    let with = |status: StatusSettings| {
        Config {
            status,
            ..Config::default()
        }
        .validate()
        .map_err(|e| e.to_string())
    };
    assert_eq!(with(StatusSettings::default()), Ok(()));
    let path = |p: &str| StatusSettings {
        path: Some(p.to_owned()),
        ..StatusSettings::default()
    };
    // Served before the probes, a page at /ready would answer in place of readiness.
    assert_eq!(
        with(path("/ready")).unwrap_err(),
        "invalid VITALS_STATUS_PATH \"/ready\": its first segment \"ready\" is one of the probe or /metrics paths"
    );
    assert!(with(path("status")).is_err());
    assert!(with(path("/")).is_err());
    assert!(with(path("/status/")).is_err());
    for history in [0, 10_001, usize::MAX] {
        assert!(
            with(StatusSettings {
                history,
                ..StatusSettings::default()
            })
            .unwrap_err()
            .starts_with(&format!("invalid VITALS_STATUS_HISTORY \"{history}\"")),
        );
    }
    assert_eq!(
        with(StatusSettings {
            refresh: Duration::from_millis(500),
            ..StatusSettings::default()
        })
        .unwrap_err(),
        "invalid VITALS_STATUS_REFRESH \"500ms\": must be 0s (no reload) or at least 1s"
    );
}
