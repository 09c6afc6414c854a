use super::*;
use crate::config::{Format, Webhook};
use crate::message::Message;
use crate::metrics::NotifyMetrics;
use crate::observation::Subject;
use crate::rules::{Event, Transition};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;
use vitals::HealthStatus;
use vitals_testkit::TestRecorder;

/// Records the ids it is given; panics on the calls listed in `panic_on` (0-based).
#[derive(Default)]
struct Recording {
    ids: Mutex<Vec<String>>,
    calls: AtomicUsize,
    panic_on: Vec<usize>,
}

impl Transport for Recording {
    fn post(&self, _url: &str, _body: String, id: &str) -> Result<(), String> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panic_on.contains(&call), "send {call} breaks");
        self.ids.lock().unwrap().push(id.to_owned());
        Ok(())
    }
}

fn message(id: &str) -> Arc<Message> {
    Arc::new(Message {
        id: id.to_owned(),
        transition: Transition {
            event: Event::Down,
            from: HealthStatus::Healthy,
            to: HealthStatus::Unhealthy,
            since: SystemTime::UNIX_EPOCH,
        },
        subject: Subject::check("db"),
        service: None,
        failing: Vec::new(),
        link: None,
    })
}

fn delivery(
    recorder: &TestRecorder,
    transport: Arc<Recording>,
) -> (Arc<Delivery>, watch::Sender<Option<Instant>>) {
    let metrics = recorder.metrics();
    let families = NotifyMetrics::register(&metrics).unwrap();
    let outbox = Arc::new(Outbox::new(
        Webhook {
            name: "ops".to_owned(),
            url: "http://127.0.0.1:9/".to_owned(),
            format: Format::Json,
        },
        10,
        families.webhook("ops"),
    ));
    let (closing, rx) = watch::channel(None);
    let d = Delivery {
        outbox,
        transport,
        timeout: Duration::from_secs(1),
        backoff_max: Duration::from_secs(4),
        closing: rx,
        metrics,
    };
    (Arc::new(d), closing)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < give_up, "gave up waiting for {what}");
        sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_task_that_panics_is_restarted_counted_and_delivers_the_same_head() {
    let recorder = TestRecorder::new();
    let transport = Arc::new(Recording::default());
    let (d, closing) = delivery(&recorder, transport.clone());
    d.outbox.push(message("m-1"));
    d.outbox.push(message("m-2"));
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let task = tokio::spawn(supervise(d.clone(), move |d: Arc<Delivery>| {
        let run = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if run == 0 {
                // Mid-attempt, as a bug in the task would.
                let _head = d.outbox.begin();
                panic!("bug in the delivery task");
            }
            work(d).await;
        }
    }));
    until("both messages", || transport.ids.lock().unwrap().len() == 2).await;
    assert_eq!(*transport.ids.lock().unwrap(), ["m-1", "m-2"]);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(recorder.value("vitals_errors_total", &["panic"]), Some(1.0));
    assert_eq!(
        recorder.value("vitals_notifications_sent_total", &["ops"]),
        Some(2.0)
    );
    assert_eq!(
        recorder.value("vitals_notifications_queued", &["ops"]),
        Some(0.0)
    );
    closing.send_replace(Some(Instant::now()));
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_send_that_panics_is_a_failed_attempt_retried_after_a_second() {
    let recorder = TestRecorder::new();
    let transport = Arc::new(Recording {
        panic_on: vec![0],
        ..Recording::default()
    });
    let (d, closing) = delivery(&recorder, transport.clone());
    d.outbox.push(message("m-1"));
    let started = Instant::now();
    let task = tokio::spawn(supervise(d.clone(), work));
    until("the retry", || transport.ids.lock().unwrap().len() == 1).await;
    let waited = started.elapsed();
    assert!(waited >= FIRST_BACKOFF, "retried after {waited:?}");
    assert_eq!(
        recorder.value("vitals_notifications_failed_total", &["ops"]),
        Some(1.0)
    );
    assert_eq!(
        recorder.value("vitals_notifications_sent_total", &["ops"]),
        Some(1.0)
    );
    assert_eq!(recorder.value("vitals_errors_total", &["panic"]), Some(1.0));
    drop(closing);
    // The notifier gone, the task ends.
    tokio::time::timeout(Duration::from_secs(7), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_head_dropped_during_its_attempt_counts_once() {
    let recorder = TestRecorder::new();
    let (d, _closing) = delivery(&recorder, Arc::new(Recording::default()));
    let outbox = &d.outbox;
    for i in 0..10 {
        outbox.push(message(&format!("m-{i}")));
    }
    let head = outbox.begin().unwrap();
    outbox.push(message("m-10"));
    assert_eq!(
        outbox.settle(&head, false),
        crate::outbox::Settled::Abandoned
    );
    let head = outbox.begin().unwrap();
    assert_eq!(head.id, "m-1");
    outbox.push(message("m-11"));
    assert_eq!(
        outbox.settle(&head, true),
        crate::outbox::Settled::Abandoned
    );
    let dropped = recorder.value("vitals_notifications_dropped_total", &["ops"]);
    let sent = recorder.value("vitals_notifications_sent_total", &["ops"]);
    assert_eq!((dropped, sent), (Some(1.0), Some(1.0)));
    assert_eq!(outbox.begin().unwrap().id, "m-2");
    assert_eq!(outbox.close(), 10);
    assert_eq!(
        recorder.value("vitals_notifications_dropped_total", &["ops"]),
        Some(11.0)
    );
}
