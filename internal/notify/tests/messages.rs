//! What is sent for a scripted sequence of readings: exactly the expected messages, in order,
//! with their exact JSON documents and Slack lines, to a real receiver on loopback.
mod receiver;

use receiver::Receiver;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};
use vitals::HealthStatus::{self, Degraded, Healthy, Unhealthy};
use vitals_notify::{Failing, Format, Notifier, NotifyConfig, Observation, Subject, Webhook};
use vitals_testkit::TestRecorder;

/// 2026-12-02T08:00:00Z.
fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_198_400 + seconds)
}

fn config(receiver: &Receiver, details: bool) -> NotifyConfig {
    NotifyConfig {
        webhooks: vec![
            Webhook {
                name: "ops".to_owned(),
                url: receiver.url("/json"),
                format: Format::Json,
            },
            Webhook {
                name: "chat".to_owned(),
                url: receiver.url("/slack"),
                format: Format::Slack,
            },
        ],
        hold_readings: 2,
        link: Some("https://status.example/orders".to_owned()),
        details,
        service: Some("orders".to_owned()),
        ..NotifyConfig::default()
    }
}

/// healthy, unhealthy ×1 (a blip), healthy, unhealthy ×3, degraded ×2, healthy ×2, 10 s apart.
fn script() -> Vec<Observation> {
    let statuses = [
        Healthy, Unhealthy, Healthy, Unhealthy, Unhealthy, Unhealthy, Degraded, Degraded, Healthy,
        Healthy,
    ];
    statuses
        .iter()
        .enumerate()
        .map(|(i, status)| Observation {
            subject: Subject::group("readiness"),
            status: *status,
            at: at(10 * i as u64),
            failing: match status {
                HealthStatus::Healthy => vec![],
                HealthStatus::Degraded => vec![Failing::new("cache", "slow: 1.2s")],
                HealthStatus::Unhealthy => vec![
                    Failing::new("db", "connection refused"),
                    Failing::named("queue"),
                ],
            },
        })
        .collect()
}

async fn deliver(details: bool) -> (Receiver, TestRecorder) {
    let receiver = Receiver::answering("127.0.0.1:0".parse().unwrap());
    let recorder = TestRecorder::new();
    let notifier = Notifier::new(config(&receiver, details), &recorder.metrics()).unwrap();
    notifier.start();
    for observation in script() {
        notifier.observe(observation);
    }
    let got = receiver.wait_for(6, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 6, "{got:#?}");
    notifier.stop(Duration::from_secs(2)).await;
    (receiver, recorder)
}

#[tokio::test]
async fn a_scripted_sequence_sends_down_degraded_recovered_with_exact_documents() {
    let (receiver, recorder) = deliver(true).await;
    let got = receiver.received();
    let json: Vec<_> = got.iter().filter(|r| r.path == "/json").collect();
    let slack: Vec<_> = got.iter().filter(|r| r.path == "/slack").collect();
    assert_eq!((json.len(), slack.len()), (3, 3));

    // Each message has one id, sent as its Idempotency-Key, the same in both formats' order.
    let ids: Vec<String> = json
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3);
    for (r, id) in json.iter().zip(&ids) {
        assert_eq!(r.key.as_deref(), Some(id.as_str()));
    }
    let slack_keys: Vec<_> = slack.iter().map(|r| r.key.clone().unwrap()).collect();
    assert_eq!(slack_keys, ids);

    let subject = json!({"kind": "group", "name": "readiness", "service": "orders"});
    let link = "https://status.example/orders";
    let want = [
        json!({
            "id": ids[0], "event": "down", "subject": subject, "from": "healthy", "to": "unhealthy",
            "since": "2026-12-02T08:00:30.000Z",
            "failing": [{"check": "db", "reason": "connection refused"}, {"check": "queue"}],
            "link": link,
        }),
        json!({
            "id": ids[1], "event": "degraded", "subject": subject, "from": "unhealthy", "to": "degraded",
            "since": "2026-12-02T08:01:00.000Z",
            "failing": [{"check": "cache", "reason": "slow: 1.2s"}],
            "link": link,
        }),
        json!({
            "id": ids[2], "event": "recovered", "subject": subject, "from": "degraded", "to": "healthy",
            "since": "2026-12-02T08:01:20.000Z", "failing": [], "link": link,
        }),
    ];
    for (r, want) in json.iter().zip(&want) {
        assert_eq!(r.json(), *want);
    }
    // Keys in the documented order.
    assert!(json[0].body.starts_with(&format!(
        r#"{{"id":"{}","event":"down","subject":{{"kind":"group""#,
        ids[0]
    )));

    let texts: Vec<serde_json::Value> = slack.iter().map(|r| r.json()).collect();
    assert_eq!(
        texts[0],
        json!({"text": ":red_circle: readiness of orders is unhealthy since 2026-12-02T08:00:30Z: db (connection refused), queue — <https://status.example/orders>"})
    );
    assert_eq!(
        texts[1],
        json!({"text": ":large_yellow_circle: readiness of orders is degraded since 2026-12-02T08:01:00Z: cache (slow: 1.2s) — <https://status.example/orders>"})
    );
    assert_eq!(
        texts[2],
        json!({"text": ":large_green_circle: readiness of orders is healthy again since 2026-12-02T08:01:20Z (was degraded) — <https://status.example/orders>"})
    );

    for target in ["ops", "chat"] {
        let value = |name: &str| recorder.value(name, &[target]);
        assert_eq!(
            value("vitals_notifications_sent_total"),
            Some(3.0),
            "{target}"
        );
        assert_eq!(
            value("vitals_notifications_failed_total"),
            Some(0.0),
            "{target}"
        );
        assert_eq!(
            value("vitals_notifications_dropped_total"),
            Some(0.0),
            "{target}"
        );
        assert_eq!(value("vitals_notifications_queued"), Some(0.0), "{target}");
    }
}

#[tokio::test]
async fn without_details_messages_name_the_failing_checks_and_withhold_reasons() {
    let (receiver, _recorder) = deliver(false).await;
    let got = receiver.received();
    let down = got.iter().find(|r| r.path == "/json").unwrap().json();
    assert_eq!(
        down["failing"],
        json!([{"check": "db"}, {"check": "queue"}])
    );
    let text = got.iter().find(|r| r.path == "/slack").unwrap().json();
    assert_eq!(
        text["text"],
        ":red_circle: readiness of orders is unhealthy since 2026-12-02T08:00:30Z: db, queue — <https://status.example/orders>"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_from_many_threads_are_each_judged_in_their_own_subject() {
    fn shared<T: Send + Sync + Clone + 'static>(t: &T) -> T {
        t.clone()
    }
    let receiver = Receiver::answering("127.0.0.1:0".parse().unwrap());
    let recorder = TestRecorder::new();
    let mut config = config(&receiver, false);
    config.webhooks.truncate(1);
    config.repeat = None;
    config.queue = 1_000;
    let notifier = Notifier::new(config, &recorder.metrics()).unwrap();
    notifier.start();
    // 8 threads, one check each: unhealthy ×2, healthy ×2, 25 times over (50 messages each).
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let n = shared(&notifier);
            std::thread::spawn(move || {
                for k in 0..100u64 {
                    let status = if k / 2 % 2 == 0 { Unhealthy } else { Healthy };
                    let reading = Observation {
                        subject: Subject::check(format!("c{t}")),
                        status,
                        at: at(k),
                        failing: vec![],
                    };
                    n.observe(reading);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = receiver.wait_for(400, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 400);
    for t in 0..8 {
        let name = format!("c{t}");
        let mine: Vec<(String, String)> = got
            .iter()
            .map(|r| r.json())
            .filter(|d| d["subject"]["name"] == name.as_str())
            .map(|d| {
                (
                    d["event"].as_str().unwrap().to_owned(),
                    d["since"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = (0..50u64)
            .map(|i| {
                let event = if i % 2 == 0 { "down" } else { "recovered" };
                let since = humantime::format_rfc3339_millis(at(2 * i)).to_string();
                (event.to_owned(), since)
            })
            .collect();
        assert_eq!(mine, want, "{name}");
    }
    notifier.stop(Duration::from_secs(2)).await;
    assert_eq!(
        recorder.value("vitals_notifications_sent_total", &["ops"]),
        Some(400.0)
    );
    assert_eq!(
        recorder.value("vitals_notifications_dropped_total", &["ops"]),
        Some(0.0)
    );
}
