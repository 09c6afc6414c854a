//! The kernel tells its webhooks (`VITALS_NOTIFY_*`) of its own status changes: a check going
//! down and back, and the group it is in, each once the change has held; a one-reading blip
//! sends nothing; reasons only under `VITALS_DETAILS=always`. Received by a real HTTP server on
//! loopback.
#![cfg(feature = "notify")]
use actix_web::{App, HttpServer, web};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vitals::{CheckOutcome, check_fn};
use vitals_judges::{assert_promtool_clean, get, parsed_value, python_parse};
use vitals_kernel::{Config, DetailPolicy, Kernel};
use vitals_notify::{Format, NotifyConfig, Webhook};

type Inbox = Arc<Mutex<Vec<serde_json::Value>>>;

async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        App::new().route(
            "/hook",
            web::post().to(move |body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    kept.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    "ok"
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, inbox)
}

/// What each message says: event, subject kind and name, failing checks with reasons.
fn summary(inbox: &Inbox) -> Vec<String> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .map(|m| {
            let failing: Vec<String> = m["failing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{}({})", f["check"].as_str().unwrap(), f["reason"]))
                .collect();
            format!(
                "{} {} {} [{}]",
                m["event"].as_str().unwrap(),
                m["subject"]["kind"].as_str().unwrap(),
                m["subject"]["name"].as_str().unwrap(),
                failing.join(",")
            )
        })
        .collect()
}

async fn wait_for(inbox: &Inbox, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while inbox.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_and_its_group_are_notified_down_and_recovered_and_a_blip_is_not() {
    let (url, inbox) = receiver().await;
    // The script of `db`'s outcomes, one per run: 0 healthy, 1 failing.
    let failing = Arc::new(AtomicU32::new(0));
    let state = failing.clone();
    // Without the built-in `ping`, `db` is readiness' only check: the group is read after each
    // of its runs, so a one-run blip is exactly one reading of both.
    let running = Kernel::builder()
        .config(Config {
            ping: false,
            ..Config::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(1)
        .service("orders", "1.0.0")
        .details(DetailPolicy::Always)
        .check_timeout(Duration::from_millis(200))
        .background(Duration::from_millis(50), Some(Duration::from_secs(5)))
        .notify(NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".into(),
                url,
                format: Format::Json,
            }],
            hold_readings: 3,
            repeat: None,
            link: Some("http://orders.local/status".into()),
            ..NotifyConfig::default()
        })
        .checker(check_fn("db", move || {
            // 2: fail this one run, then pass.
            let failing = state.load(Ordering::SeqCst) == 1
                || state
                    .compare_exchange(2, 0, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
            async move {
                match failing {
                    true => CheckOutcome::unhealthy("connection refused"),
                    false => CheckOutcome::healthy(),
                }
            }
        }))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // A blip: failing for exactly one run.
    failing.store(2, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(failing.load(Ordering::SeqCst), 0, "the blip ran");
    assert_eq!(
        summary(&inbox),
        Vec::<String>::new(),
        "a blip sends nothing"
    );

    failing.store(1, Ordering::SeqCst);
    wait_for(&inbox, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    failing.store(0, Ordering::SeqCst);
    wait_for(&inbox, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Both go down before either recovers.
    let mut got = summary(&inbox);
    assert_eq!(got.len(), 4, "{got:?}");
    got[..2].sort();
    got[2..].sort();
    assert_eq!(
        got,
        [
            "down check db [db(\"connection refused\")]",
            "down group readiness [db(\"connection refused\")]",
            "recovered check db []",
            "recovered group readiness []",
        ]
    );
    let first = inbox.lock().unwrap()[0].clone();
    assert_eq!(first["subject"]["service"], "orders");
    assert_eq!(first["link"], "http://orders.local/status");
    assert_eq!(first["from"], "healthy");
    assert_eq!(first["to"], "unhealthy");
    let text = get(&format!("http://{}/metrics", running.addr()))
        .await
        .text();
    assert_promtool_clean(&text);
    let samples = python_parse(&text);
    let ops = [("target", "ops")];
    assert_eq!(
        parsed_value(&samples, "vitals_notifications_sent_total", &ops),
        Some(4.0)
    );
    assert_eq!(
        parsed_value(&samples, "vitals_notifications_failed_total", &ops),
        Some(0.0)
    );
    assert_eq!(
        parsed_value(&samples, "vitals_notifications_dropped_total", &ops),
        Some(0.0)
    );
    assert_eq!(
        parsed_value(&samples, "vitals_notifications_queued", &ops),
        Some(0.0)
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_run_blip_of_one_check_of_a_group_of_two_sends_nothing() {
    let (url, inbox) = receiver().await;
    let blips = Arc::new(AtomicU32::new(0));
    let state = blips.clone();
    // `db` and `cache` both in readiness: the group is read once per round, not after each of
    // its checks' runs, so `db` failing one run is one unhealthy reading of the group.
    let running = Kernel::builder()
        .config(Config {
            ping: false,
            ..Config::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(1)
        .details(DetailPolicy::Always)
        .check_timeout(Duration::from_millis(200))
        .background(Duration::from_millis(50), Some(Duration::from_secs(5)))
        .notify(NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".into(),
                url,
                format: Format::Json,
            }],
            hold_readings: 2,
            repeat: None,
            ..NotifyConfig::default()
        })
        .checker(check_fn("db", move || {
            let failing = state
                .compare_exchange(1, 0, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
            async move {
                match failing {
                    true => CheckOutcome::unhealthy("connection refused"),
                    false => CheckOutcome::healthy(),
                }
            }
        }))
        .checker(check_fn("cache", || async { CheckOutcome::healthy() }))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        blips.store(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(blips.load(Ordering::SeqCst), 0, "the blip ran");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(summary(&inbox), Vec::<String>::new(), "blips send nothing");
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_is_not_notified_as_readiness_down() {
    let (url, inbox) = receiver().await;
    // Readiness fails on purpose for the shutdown delay while the checks keep running: that is
    // the service leaving, not readiness going down (and no recovery would ever follow).
    let running = Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(1)
        .shutdown_delay(Duration::from_millis(600))
        .check_timeout(Duration::from_millis(200))
        .background(Duration::from_millis(50), Some(Duration::from_secs(5)))
        .notify(NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".into(),
                url,
                format: Format::Json,
            }],
            hold_readings: 2,
            ..NotifyConfig::default()
        })
        .checker(check_fn("db", || async { CheckOutcome::healthy() }))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(summary(&inbox), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_not_read_down_at_start_before_each_of_its_checks_has_run() {
    let (url, inbox) = receiver().await;
    // `db` answers at once, `slow` after 100 ms: at `db`'s first run `slow` has no reading yet,
    // which is pending, not failing.
    let running = Kernel::builder()
        .config(Config {
            ping: false,
            ..Config::default()
        })
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(1)
        .check_timeout(Duration::from_millis(300))
        .background(Duration::from_millis(50), Some(Duration::from_secs(5)))
        .notify(NotifyConfig {
            webhooks: vec![Webhook {
                name: "ops".into(),
                url,
                format: Format::Json,
            }],
            hold_readings: 1,
            ..NotifyConfig::default()
        })
        .checker(check_fn("db", || async { CheckOutcome::healthy() }))
        .checker(check_fn("slow", || async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            CheckOutcome::healthy()
        }))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(summary(&inbox), Vec::<String>::new());
    running.shutdown().await.unwrap();
}
