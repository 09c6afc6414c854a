use super::*;

fn parse(vars: &[(&str, &str)]) -> Result<Option<SignalsConfig>, String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    let env = Environment::from_lookup(move |k| {
        vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    });
    SignalsConfig::from_environment(&env).map_err(|e| e.to_string())
}

#[test]
fn off_without_a_url_and_defaults_with_one() {
    assert!(parse(&[]).unwrap().is_none());
    let c = parse(&[("VITALS_SIGNALS_REDIS_URL", "redis://127.0.0.1:6379")])
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.tenant.as_str(), c.project.as_str()),
        ("default", "default")
    );
    assert_eq!(c.max_age, Duration::from_secs(15));
    assert!(!c.exporter, "app replicas publish only by default");
    assert_eq!(
        c.redis_target(),
        Some(&Target::Nodes(vec!["redis://127.0.0.1:6379".into()]))
    );
    let (a, b) = (
        SignalsConfig::new("redis://h"),
        SignalsConfig::new("redis://h"),
    );
    assert_ne!(a.instance, b.instance, "unique without HOSTNAME");
}

#[test]
fn bad_values_name_the_variable_and_the_value() {
    let url = ("VITALS_SIGNALS_REDIS_URL", "redis://h");
    assert_eq!(
        parse(&[("VITALS_SIGNALS_REDIS_URL", "http://u:secret@h")]).unwrap_err(),
        "invalid VITALS_SIGNALS_REDIS_URL \"http://h\": must start with redis:// (comma-separated for several nodes)"
    );
    assert_eq!(
        parse(&[url, ("VITALS_TENANT", "Acme Corp")]).unwrap_err(),
        format!("invalid VITALS_TENANT \"Acme Corp\": use 1 to 64 of {NAME_CHARS}")
    );
    assert!(
        parse(&[url, ("VITALS_SIGNALS_FLUSH_INTERVAL", "0s")])
            .unwrap_err()
            .starts_with("invalid VITALS_SIGNALS_FLUSH_INTERVAL \"0s\"")
    );
    assert_eq!(
        parse(&[url, ("VITALS_SIGNALS_PUSHGATEWAY_URL", "pushgw:9091")]).unwrap_err(),
        "invalid VITALS_SIGNALS_PUSHGATEWAY_URL \"pushgw:9091\": must be an http:// or https:// URL without credentials"
    );
    assert!(
        parse(&[url, ("VITALS_SIGNALS_EXPORT_INTERVAL", "often")])
            .unwrap_err()
            .starts_with("invalid VITALS_SIGNALS_EXPORT_INTERVAL \"often\"")
    );
    assert_eq!(
        parse(&[url, ("VITALS_SIGNALS_MAX_AGE", "2s")]).unwrap_err(),
        "invalid VITALS_SIGNALS_MAX_AGE \"2s\": must be longer than two VITALS_SIGNALS_FLUSH_INTERVALs, or live publishers drop out between flushes"
    );
    assert_eq!(
        parse(&[url, ("VITALS_SIGNALS_MAX_NAMES", "0")]).unwrap_err(),
        "invalid VITALS_SIGNALS_MAX_NAMES \"0\": must be a whole number from 1 to 256"
    );
    assert_eq!(
        parse(&[url, ("VITALS_SIGNALS_RECONNECT_AFTER", "never")]).unwrap_err(),
        "invalid VITALS_SIGNALS_RECONNECT_AFTER \"never\": must be a whole number of timeouts from 1 to 1000"
    );
    assert_eq!(
        parse(&[("VITALS_SIGNALS_REDIS_URL", "redis://a:1, redis://u:pw@b:2")])
            .unwrap()
            .unwrap()
            .redis_target(),
        Some(&Target::Nodes(vec![
            "redis://a:1".into(),
            "redis://u:pw@b:2".into()
        ]))
    );
    assert_eq!(
        parse(&[("VITALS_SIGNALS_REDIS_CLUSTER_URLS", "redis://a:1,b:2")]).unwrap_err(),
        "invalid VITALS_SIGNALS_REDIS_CLUSTER_URLS \"b:2\": must start with redis:// (comma-separated for several nodes)"
    );
    assert!(
        parse(&[url, ("VITALS_SIGNALS_REDIS_CLUSTER_URLS", "redis://a:1")])
            .unwrap_err()
            .starts_with("invalid VITALS_SIGNALS_REDIS_CLUSTER_URLS \"redis://a:1\": set either")
    );
}

#[test]
fn proxy_mode_takes_urls_and_one_header_and_refuses_a_redis_url_beside_them() {
    let urls = (
        "VITALS_SIGNALS_PROXY_URLS",
        "http://a:8080/status, http://b/status",
    );
    let auth = (
        "VITALS_SIGNALS_PROXY_HEADER",
        "Authorization: Bearer s3cret",
    );
    let c = parse(&[urls, auth]).unwrap().unwrap();
    let Backend::Proxy(p) = &c.backend else {
        panic!("proxy mode expected")
    };
    assert_eq!(p.urls, ["http://a:8080/status", "http://b/status"]);
    assert_eq!(
        p.header,
        Some(("Authorization".into(), "Bearer s3cret".into()))
    );
    assert!(c.redis_target().is_none());
    assert!(c.exporter, "proxy mode aggregates");
    assert_eq!(
        parse(&[urls, ("VITALS_SIGNALS_REDIS_URL", "redis://h")]).unwrap_err(),
        "invalid VITALS_SIGNALS_PROXY_URLS \"http://a:8080/status, http://b/status\": set either VITALS_SIGNALS_REDIS_URL (publish and aggregate through Redis) or this (proxy mode), not both"
    );
    assert_eq!(
        parse(&[urls, ("VITALS_SIGNALS_PROXY_HEADER", "Bearer s3cret")]).unwrap_err(),
        "invalid VITALS_SIGNALS_PROXY_HEADER \"<withheld>\": must be `Name: value` with a token header name and a non-empty value"
    );
    assert_eq!(
        parse(&[("VITALS_SIGNALS_PROXY_URLS", "a.internal/status")]).unwrap_err(),
        "invalid VITALS_SIGNALS_PROXY_URLS \"a.internal/status\": must be an http:// or https:// URL without credentials"
    );
    assert_eq!(
        parse(&[("VITALS_SIGNALS_PROXY_URLS", " , ")]).unwrap_err(),
        "invalid VITALS_SIGNALS_PROXY_URLS \" , \": list at least one status URL"
    );
    assert!(
        parse(&[urls, ("VITALS_SIGNALS_AGGREGATE", "off")])
            .unwrap_err()
            .starts_with("invalid VITALS_SIGNALS_AGGREGATE \"off\": proxy mode only aggregates")
    );
}
