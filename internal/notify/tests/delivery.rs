//! Delivery against a real receiver on loopback: a receiver down for 30 s (named to start first,
//! so the other cases run beside it), a full queue, a non-2xx answer, a receiver that never
//! answers. Every count asserted is exact.
mod receiver;

use receiver::{Receiver, refusing_port};
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until};
use vitals::HealthStatus::{self, Degraded, Healthy, Unhealthy};
use vitals_notify::{Format, Notifier, NotifyConfig, Observation, Subject, Webhook};
use vitals_testkit::TestRecorder;

const SENT: &str = "vitals_notifications_sent_total";
const FAILED: &str = "vitals_notifications_failed_total";
const DROPPED: &str = "vitals_notifications_dropped_total";
const QUEUED: &str = "vitals_notifications_queued";

fn notifier(
    url: String,
    queue: usize,
    timeout: Duration,
    backoff_max: Duration,
    recorder: &TestRecorder,
) -> Notifier {
    let config = NotifyConfig {
        webhooks: vec![Webhook {
            name: "ops".to_owned(),
            url,
            format: Format::Json,
        }],
        hold_readings: 1,
        repeat: None,
        queue,
        timeout,
        backoff_max,
        ..NotifyConfig::default()
    };
    Notifier::new(config, &recorder.metrics()).unwrap()
}

fn value(recorder: &TestRecorder, name: &str) -> f64 {
    recorder.value(name, &["ops"]).unwrap_or(f64::NAN)
}

async fn until(recorder: &TestRecorder, name: &str, want: f64, limit: Duration) {
    let give_up = Instant::now() + limit;
    while value(recorder, name) != want && Instant::now() < give_up {
        sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(value(recorder, name), want, "{name}");
}

/// Attempts made before `limit` by a task that tries at once, then after 1 s, 2 s, 4 s… capped
/// at `backoff_max`.
fn attempts_before(limit: Duration, backoff_max: Duration) -> f64 {
    let (mut at, mut wait, mut n) = (Duration::ZERO, Duration::from_secs(1), 0.0);
    while at < limit {
        n += 1.0;
        at += wait;
        wait = (wait * 2).min(backoff_max);
    }
    n
}

fn readiness(status: HealthStatus) -> Observation {
    Observation::now(Subject::group("readiness"), status)
}

fn events(got: &[receiver::Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_owned())
        .collect()
}

/// The sequence number ending each message's id (`<notifier>-<n>`), checked against the
/// `Idempotency-Key`.
fn sequence(got: &[receiver::Received]) -> Vec<u64> {
    got.iter()
        .map(|r| {
            let id = r.json()["id"].as_str().unwrap().to_owned();
            assert_eq!(r.key.as_deref(), Some(id.as_str()));
            id.rsplit_once('-').unwrap().1.parse().unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_receiver_back_after_30s_gets_every_message_once_in_order() {
    let port = refusing_port();
    let addr = port.addr;
    let recorder = TestRecorder::new();
    let backoff_max = Duration::from_secs(4);
    let n = notifier(
        format!("http://{addr}/hook"),
        100,
        Duration::from_secs(2),
        backoff_max,
        &recorder,
    );
    n.start();
    let t0 = Instant::now();
    let plan = [
        (0, Unhealthy),
        (5, Degraded),
        (10, Healthy),
        (15, Unhealthy),
        (20, Healthy),
    ];
    let mut slowest = Duration::ZERO;
    for (second, status) in plan {
        sleep_until(t0 + Duration::from_secs(second)).await;
        let start = Instant::now();
        n.observe(readiness(status));
        slowest = slowest.max(start.elapsed());
    }
    let down_for = Duration::from_secs(30);
    sleep_until(t0 + down_for).await;
    assert_eq!(value(&recorder, QUEUED), 5.0);
    assert_eq!(value(&recorder, SENT), 0.0);
    let receiver = Receiver::answering_at(port);
    let got = receiver.wait_for(5, Duration::from_secs(10)).await;
    until(&recorder, SENT, 5.0, Duration::from_secs(2)).await;
    sleep(Duration::from_millis(300)).await; // room for a duplicate to show up

    let got_all = receiver.received();
    assert_eq!(got_all.len(), 5, "{got_all:#?}");
    assert_eq!(
        events(&got),
        ["down", "degraded", "recovered", "down", "recovered"]
    );
    assert_eq!(sequence(&got), [1, 2, 3, 4, 5]);
    let bodies: HashSet<_> = got.iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies.len(), 5);
    // The first attempt after the receiver is back comes on the backoff schedule (at 31 s),
    // and the queue then empties back to back.
    let first = got[0].at - t0;
    let last = got[4].at - t0;
    assert!(
        first >= down_for && first < Duration::from_millis(32_500),
        "first at {first:?}"
    );
    assert!(last - first < Duration::from_secs(1), "last at {last:?}");
    let failed = attempts_before(down_for, backoff_max);
    assert_eq!(failed, 9.0);
    assert_eq!(value(&recorder, FAILED), failed);
    assert_eq!(value(&recorder, DROPPED), 0.0);
    assert_eq!(value(&recorder, QUEUED), 0.0);
    // A blocked observe would wait out a delivery attempt or a backoff (half a second and more).
    assert!(
        slowest < Duration::from_millis(250),
        "observe took {slowest:?}"
    );
    eprintln!(
        "down 30 s: {failed} failed attempts, first delivery at {first:?}, last at {last:?}, slowest observe {slowest:?}"
    );
    n.stop(Duration::from_secs(1)).await;
    assert_eq!(value(&recorder, DROPPED), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_the_oldest_and_delivers_the_newest_after_recovery() {
    let port = refusing_port();
    let addr = port.addr;
    let recorder = TestRecorder::new();
    let backoff_max = Duration::from_secs(1);
    let n = notifier(
        format!("http://{addr}/hook"),
        3,
        Duration::from_secs(2),
        backoff_max,
        &recorder,
    );
    n.start();
    let t0 = Instant::now();
    for (i, status) in [Unhealthy, Healthy, Unhealthy, Healthy, Unhealthy]
        .into_iter()
        .enumerate()
    {
        sleep_until(t0 + Duration::from_millis(20 * i as u64)).await;
        n.observe(readiness(status));
    }
    assert_eq!(value(&recorder, DROPPED), 2.0);
    assert_eq!(value(&recorder, QUEUED), 3.0);
    let down_for = Duration::from_millis(2_500);
    sleep_until(t0 + down_for).await;
    let receiver = Receiver::answering_at(port);
    receiver.wait_for(3, Duration::from_secs(5)).await;
    until(&recorder, SENT, 3.0, Duration::from_secs(2)).await;
    sleep(Duration::from_millis(300)).await;

    let got = receiver.received();
    assert_eq!(events(&got), ["down", "recovered", "down"]);
    assert_eq!(sequence(&got), [3, 4, 5]);
    assert_eq!(value(&recorder, DROPPED), 2.0);
    assert_eq!(
        value(&recorder, FAILED),
        attempts_before(down_for, backoff_max)
    );
    assert_eq!(value(&recorder, FAILED), 3.0);
    assert_eq!(value(&recorder, QUEUED), 0.0);
    n.stop(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_fails_at_the_timeout_and_observe_never_blocks() {
    let receiver = Receiver::stalling("127.0.0.1:0".parse().unwrap());
    let recorder = TestRecorder::new();
    let timeout = Duration::from_millis(500);
    let n = notifier(
        receiver.url("/hook"),
        3,
        timeout,
        Duration::from_secs(1),
        &recorder,
    );
    n.start();
    let t0 = Instant::now();
    let mut took = Vec::with_capacity(1000);
    for i in 0..1000 {
        let start = Instant::now();
        n.observe(Observation::now(
            Subject::check("db"),
            if i % 2 == 0 { Unhealthy } else { Healthy },
        ));
        took.push(start.elapsed());
    }
    let observing = t0.elapsed();
    until(&recorder, FAILED, 1.0, Duration::from_secs(5)).await;
    let failed_at = t0.elapsed();
    assert!(
        failed_at >= timeout - Duration::from_millis(50),
        "failed at {failed_at:?}"
    );
    assert!(
        failed_at < timeout + Duration::from_millis(1_500),
        "failed at {failed_at:?}"
    );
    assert!(!receiver.accepted().is_empty());
    let slowest = took.iter().max().copied().unwrap_or_default();
    // A blocked observe would wait out a delivery attempt or a backoff (half a second and more).
    assert!(
        slowest < Duration::from_millis(250),
        "observe took {slowest:?}"
    );
    // 997 pushed out of a queue of 3 (the first while it was being attempted: counted when its
    // attempt failed).
    until(&recorder, DROPPED, 997.0, Duration::from_secs(1)).await;
    assert_eq!(value(&recorder, QUEUED), 3.0);

    let stopping = Instant::now();
    n.stop(Duration::from_millis(200)).await;
    let stop_took = stopping.elapsed();
    assert!(
        stop_took < Duration::from_millis(1_500),
        "stop took {stop_took:?}"
    );
    assert_eq!(value(&recorder, DROPPED), 1000.0);
    assert_eq!(value(&recorder, SENT), 0.0);
    assert_eq!(value(&recorder, QUEUED), 0.0);
    assert!(receiver.received().is_empty());
    // Ignored after stop.
    n.observe(Observation::now(Subject::check("db"), Unhealthy));
    assert_eq!(n.queued("ops"), Some(0));
    let mean = took.iter().sum::<Duration>() / took.len() as u32;
    eprintln!(
        "1000 observe calls in {observing:?}: mean {mean:?}, slowest {slowest:?}; first failure at {failed_at:?}; stop took {stop_took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_2xx_answer_is_a_failed_attempt_retried_under_the_same_key() {
    // A redirect is not followed: the body and its key stay with the configured origin.
    let receiver = Receiver::answering_with("127.0.0.1:0".parse().unwrap(), vec![503, 302]);
    let recorder = TestRecorder::new();
    let n = notifier(
        receiver.url("/hook"),
        10,
        Duration::from_secs(2),
        Duration::from_secs(4),
        &recorder,
    );
    n.start();
    n.observe(readiness(Unhealthy));
    receiver.wait_for(3, Duration::from_secs(6)).await;
    until(&recorder, SENT, 1.0, Duration::from_secs(2)).await;
    let got = receiver.received();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 302, 200]);
    assert_eq!(sequence(&got), [1, 1, 1]);
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert_eq!(value(&recorder, FAILED), 2.0);
    n.stop(Duration::from_secs(1)).await;
}
