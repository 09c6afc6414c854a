//! `VITALS_NOTIFY_*`: every malformed value is refused with a message naming the variable and
//! the value (URLs masked); good values and defaults read back exactly.
use std::collections::HashMap;
use std::time::Duration;
use vitals::settings::Environment;
use vitals_notify::{Format, NotifyConfig, Webhook};

const HOOK: &str = "ops=json:http://127.0.0.1:9000/hook";

fn env(vars: &[(&str, &str)]) -> Environment {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Environment::from_lookup(move |k| map.get(k).cloned())
}

fn error(vars: &[(&str, &str)]) -> String {
    match NotifyConfig::from_environment(&env(vars)) {
        Ok(c) => panic!("{vars:?} accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_malformed_value_is_refused_with_an_exact_message() {
    let w = "VITALS_NOTIFY_WEBHOOKS";
    let table: &[(&str, &str, &str)] = &[
        (
            w,
            "ops",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "<withheld>": entry 1: use name=format:url, e.g. ops=json:https://example.com/hook"#,
        ),
        (
            w,
            "ops=json",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=<withheld>": entry 1: use name=format:url, e.g. ops=json:https://example.com/hook"#,
        ),
        (
            w,
            "ops=xml:https://hooks.example.com/services/T0/B0/secret",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=xml:https://hooks.example.com/<withheld>": entry 1: unknown format "xml" (use json or slack)"#,
        ),
        (
            w,
            "Ops=json:http://127.0.0.1:9000/hook",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "Ops=json:http://127.0.0.1:9000/<withheld>": entry 1: the name must be 1 to 32 of a-z, 0-9, '_' and '-'"#,
        ),
        (
            w,
            "a-name-that-is-longer-than-32-chars=json:http://h.example/",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "<withheld>": entry 1: the name must be 1 to 32 of a-z, 0-9, '_' and '-'"#,
        ),
        (
            w,
            "ops=json:ftp://user:pw@files.example/drop?token=s",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=json:ftp://files.example/<withheld>": entry 1: the URL must be http:// or https://"#,
        ),
        (
            w,
            "ops=json:hooks.example.com/x?token=s",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=json:<withheld>": entry 1: the URL is not valid: relative URL without a base"#,
        ),
        (
            w,
            "ops=json:https://user:pw@a.example/hook?token=s,chat=slack:https://b.example/T0/B0/x,ops=json:http://c.example/",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=json:https://a.example/<withheld>,chat=slack:https://b.example/<withheld>,ops=json:http://c.example/": entry 3: the name "ops" is used twice"#,
        ),
        (
            w,
            "ops=json:http://a.example/,",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "ops=json:http://a.example/,": entry 2: is empty (use name=format:url, e.g. ops=json:https://example.com/hook)"#,
        ),
        (
            w,
            "https://user:pw@a.example/hook?token=s",
            r#"invalid VITALS_NOTIFY_WEBHOOKS "<withheld>": entry 1: use name=format:url, e.g. ops=json:https://example.com/hook"#,
        ),
        (
            "VITALS_NOTIFY_HOLD_READINGS",
            "0",
            r#"invalid VITALS_NOTIFY_HOLD_READINGS "0": must be a whole number of at least 1"#,
        ),
        (
            "VITALS_NOTIFY_HOLD_READINGS",
            "two",
            r#"invalid VITALS_NOTIFY_HOLD_READINGS "two": must be a whole number of at least 1"#,
        ),
        (
            "VITALS_NOTIFY_HOLD_TIME",
            "soon",
            r#"invalid VITALS_NOTIFY_HOLD_TIME "soon": expected number at 0 (use e.g. 30s, 5m, 1h, or off)"#,
        ),
        (
            "VITALS_NOTIFY_HOLD_TIME",
            "0s",
            r#"invalid VITALS_NOTIFY_HOLD_TIME "0s": must be greater than zero (or off)"#,
        ),
        (
            "VITALS_NOTIFY_REPEAT",
            "never",
            r#"invalid VITALS_NOTIFY_REPEAT "never": expected number at 0 (use e.g. 30s, 5m, 1h, or off)"#,
        ),
        (
            "VITALS_NOTIFY_REPEAT",
            "400d",
            r#"invalid VITALS_NOTIFY_REPEAT "400d": must be at most 365 days"#,
        ),
        (
            "VITALS_NOTIFY_QUEUE",
            "0",
            r#"invalid VITALS_NOTIFY_QUEUE "0": must be a whole number from 1 to 100000"#,
        ),
        (
            "VITALS_NOTIFY_QUEUE",
            "1000000",
            r#"invalid VITALS_NOTIFY_QUEUE "1000000": must be a whole number from 1 to 100000"#,
        ),
        (
            "VITALS_NOTIFY_TIMEOUT",
            "0s",
            r#"invalid VITALS_NOTIFY_TIMEOUT "0s": must be greater than zero"#,
        ),
        (
            "VITALS_NOTIFY_TIMEOUT",
            "5",
            r#"invalid VITALS_NOTIFY_TIMEOUT "5": time unit needed, for example 5sec or 5ms (use e.g. 500ms, 2s, 1m)"#,
        ),
        (
            "VITALS_NOTIFY_BACKOFF_MAX",
            "500ms",
            r#"invalid VITALS_NOTIFY_BACKOFF_MAX "500ms": must be at least 1s (retries start 1s apart)"#,
        ),
        (
            "VITALS_NOTIFY_BACKOFF_MAX",
            "a minute",
            r#"invalid VITALS_NOTIFY_BACKOFF_MAX "a minute": expected number at 0 (use e.g. 500ms, 2s, 1m)"#,
        ),
        (
            "VITALS_NOTIFY_LINK",
            "status.example",
            r#"invalid VITALS_NOTIFY_LINK "status.example": the URL is not valid: relative URL without a base"#,
        ),
        (
            "VITALS_NOTIFY_LINK",
            "mailto:ops@example.com",
            r#"invalid VITALS_NOTIFY_LINK "mailto:ops@example.com": the URL must be http:// or https://"#,
        ),
    ];
    for (var, value, want) in table {
        let mut vars = vec![(*var, *value)];
        if *var != w {
            vars.push((w, HOOK));
        }
        assert_eq!(error(&vars), *want, "{var}={value}");
        // Refused the same with no webhook set.
        if *var != w {
            assert_eq!(error(&[(*var, *value)]), *want, "{var}={value} alone");
        }
    }
}

#[test]
fn unset_or_blank_webhooks_turn_notifications_off() {
    assert_eq!(NotifyConfig::from_environment(&env(&[])).unwrap(), None);
    let blank = env(&[
        ("VITALS_NOTIFY_WEBHOOKS", "  "),
        ("VITALS_NOTIFY_QUEUE", "5"),
    ]);
    assert_eq!(NotifyConfig::from_environment(&blank).unwrap(), None);
}

#[test]
fn defaults_and_every_value_read_back() {
    let c = NotifyConfig::from_environment(&env(&[("VITALS_NOTIFY_WEBHOOKS", HOOK)]))
        .unwrap()
        .unwrap();
    assert_eq!(
        c,
        NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".to_owned(),
                url: "http://127.0.0.1:9000/hook".to_owned(),
                format: Format::Json,
            }],
            hold_readings: 2,
            hold_time: None,
            repeat: Some(Duration::from_secs(3600)),
            queue: 100,
            timeout: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            link: None,
            details: false,
            service: None,
        }
    );
    let c = NotifyConfig::from_environment(&env(&[
        (
            "VITALS_NOTIFY_WEBHOOKS",
            " ops = json:http://127.0.0.1:9000/hook , chat=slack:https://hooks.slack.com/services/T0/B0/x",
        ),
        ("VITALS_NOTIFY_HOLD_READINGS", "3"),
        ("VITALS_NOTIFY_HOLD_TIME", "45s"),
        ("VITALS_NOTIFY_REPEAT", "off"),
        ("VITALS_NOTIFY_QUEUE", "7"),
        ("VITALS_NOTIFY_TIMEOUT", "750ms"),
        ("VITALS_NOTIFY_BACKOFF_MAX", "2m"),
        ("VITALS_NOTIFY_LINK", "https://status.example/"),
    ]))
    .unwrap()
    .unwrap();
    let hooks: Vec<_> = c
        .webhooks
        .iter()
        .map(|h| (h.name.as_str(), h.format, h.url.as_str()))
        .collect();
    assert_eq!(
        hooks,
        [
            ("ops", Format::Json, "http://127.0.0.1:9000/hook"),
            (
                "chat",
                Format::Slack,
                "https://hooks.slack.com/services/T0/B0/x"
            ),
        ]
    );
    assert_eq!(
        (
            c.hold_readings,
            c.hold_time,
            c.repeat,
            c.queue,
            c.timeout,
            c.backoff_max
        ),
        (
            3,
            Some(Duration::from_secs(45)),
            None,
            7,
            Duration::from_millis(750),
            Duration::from_secs(120)
        )
    );
    assert_eq!(c.link.as_deref(), Some("https://status.example/"));
    // A webhook's Debug never shows its secret path.
    assert_eq!(
        format!("{:?}", c.webhooks[1]),
        r#"Webhook { name: "chat", url: "https://hooks.slack.com/<withheld>", format: Slack }"#
    );
}

#[test]
fn a_notifier_refuses_a_config_that_cannot_work() {
    use vitals_notify::Notifier;
    let hook = |name: &str, url: &str| Webhook {
        name: name.to_owned(),
        url: url.to_owned(),
        format: Format::Json,
    };
    let good = NotifyConfig {
        webhooks: vec![hook("ops", "http://127.0.0.1:9000/hook")],
        ..NotifyConfig::default()
    };
    let table = [
        (
            NotifyConfig {
                webhooks: vec![hook("Ops", "http://127.0.0.1:9000/hook")],
                ..good.clone()
            },
            r#"module "notify" failed to register: webhook 1: the name must be 1 to 32 of a-z, 0-9, '_' and '-'"#,
        ),
        (
            NotifyConfig {
                webhooks: vec![
                    hook("ops", "http://a.example/"),
                    hook("ops", "http://b.example/"),
                ],
                ..good.clone()
            },
            r#"module "notify" failed to register: webhook name "ops" is used twice"#,
        ),
        (
            NotifyConfig {
                webhooks: vec![hook("ops", "file:///etc/passwd")],
                ..good.clone()
            },
            r#"module "notify" failed to register: webhook "ops": the URL must be http:// or https://"#,
        ),
        (
            NotifyConfig {
                link: Some("status".to_owned()),
                ..good.clone()
            },
            r#"module "notify" failed to register: link: the URL is not valid: relative URL without a base"#,
        ),
        (
            NotifyConfig {
                queue: 0,
                ..good.clone()
            },
            r#"module "notify" failed to register: queue must hold 1 to 100000 messages"#,
        ),
        (
            NotifyConfig {
                timeout: Duration::ZERO,
                ..good.clone()
            },
            r#"module "notify" failed to register: timeout must be greater than zero"#,
        ),
        (
            NotifyConfig {
                timeout: Duration::MAX,
                ..good.clone()
            },
            r#"module "notify" failed to register: timeout must be at most 365 days"#,
        ),
        (
            NotifyConfig {
                backoff_max: Duration::from_millis(999),
                ..good.clone()
            },
            r#"module "notify" failed to register: backoff_max must be at least 1s"#,
        ),
    ];
    let metrics = vitals::Metrics::noop();
    for (config, want) in table {
        assert_eq!(
            Notifier::new(config, &metrics).unwrap_err().to_string(),
            want
        );
    }
    let recorder = vitals_testkit::TestRecorder::new();
    assert!(Notifier::new(good.clone(), &recorder.metrics()).is_ok());
    assert_eq!(
        Notifier::new(good, &recorder.metrics())
            .unwrap_err()
            .to_string(),
        r#"duplicate metric "vitals_notifications_sent_total": already registered"#
    );
}

#[test]
fn a_hold_time_set_alone_is_the_one_rule() {
    let hooks = (
        "VITALS_NOTIFY_WEBHOOKS",
        "ops=json:http://127.0.0.1:9000/hook",
    );
    let c = NotifyConfig::from_environment(&env(&[hooks, ("VITALS_NOTIFY_HOLD_TIME", "5m")]))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.hold_readings, c.hold_time),
        (u32::MAX, Some(Duration::from_secs(300)))
    );
    let c = NotifyConfig::from_environment(&env(&[
        hooks,
        ("VITALS_NOTIFY_HOLD_TIME", "5m"),
        ("VITALS_NOTIFY_HOLD_READINGS", "2"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(
        (c.hold_readings, c.hold_time),
        (2, Some(Duration::from_secs(300)))
    );
    let c = NotifyConfig::from_environment(&env(&[hooks, ("VITALS_NOTIFY_HOLD_TIME", "off")]))
        .unwrap()
        .unwrap();
    assert_eq!((c.hold_readings, c.hold_time), (2, None));
}
