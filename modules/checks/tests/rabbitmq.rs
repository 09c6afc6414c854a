//! The RabbitMQ checker against a real `rabbitmq-server` node of the test's own (a user with a
//! password): healthy with the broker's product and version, a queue's exact counts by passive
//! declare, a missing queue and a wrong password named with the URL masked, and, on a node of
//! its own, unhealthy within the timeout when SIGSTOPped, its connection accepted or left
//! unanswered by a full accept queue (its client thread gone at once either way), and once
//! killed.
//!
//! Nodes boot in parallel (seconds each); the parts that count the client's threads, which are
//! per process, run one at a time (`CLIENTS`).
use lapin::options::QueueDeclareOptions;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use vitals::{HealthChecker, HealthStatus};
use vitals_judges::{RABBITMQ_PASSWORD, TempRabbitmq};
use vitals_module_checks::rabbitmq;

static CLIENTS: Mutex<()> = Mutex::const_new(());

/// Waits (1 s at most) until no IO thread of the client is left in this process, nor any task
/// in the runtime (the client's heartbeat and internal tasks).
async fn no_client_thread_left() {
    let threads = || {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|name| name.trim() == "lapin-io-loop")
            .count()
    };
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    while threads() > 0 || tasks() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} client threads, {} tasks left",
            threads(),
            tasks()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_broker_is_healthy_with_its_product_and_version() {
    let node = TempRabbitmq::shared();
    let _one = CLIENTS.lock().await;
    let check = rabbitmq(&node.url()).unwrap();
    let started = Instant::now();
    let ok = check.check().await;
    let took = started.elapsed();
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    eprintln!("healthy rabbitmq check took {took:?}");
    // 50–250 ms seen while another node boots on the same two cores.
    assert!(took < Duration::from_millis(800), "{took:?}");
    assert_eq!(ok.details()["product"], "RabbitMQ");
    assert_eq!(ok.details()["version"], TempRabbitmq::version().as_str());
    assert!(!ok.details().contains_key("messages"), "no queue asked");
    // Read once: the next run shows the same, without a socket of their own.
    let again = check.check().await;
    assert_eq!(again.details()["product"], "RabbitMQ");
    assert_eq!(again.details()["version"], TempRabbitmq::version().as_str());
    no_client_thread_left().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_queue_is_healthy_with_its_exact_counts_and_a_missing_one_named() {
    let node = TempRabbitmq::shared();
    let _one = CLIENTS.lock().await;
    let queue = "vitals-orders";
    // A short heartbeat, so this connection's own heartbeat task ends soon after it is closed.
    let url = format!("{}?heartbeat=1", node.url());
    let conn = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    let (options, args) = (QueueDeclareOptions::default(), FieldTable::default());
    channel
        .queue_declare(queue.into(), options, args.clone())
        .await
        .unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for body in [b"one".as_slice(), b"two", b"three"] {
        let publish = BasicPublishOptions::default();
        let props = BasicProperties::default();
        let confirm = channel
            .basic_publish("".into(), queue.into(), publish, body, props)
            .await
            .unwrap();
        confirm.await.unwrap();
    }
    let ok = rabbitmq(&node.url()).unwrap().queue(queue).check().await;
    assert_eq!(ok.status(), HealthStatus::Healthy, "{:?}", ok.error());
    assert_eq!(ok.details()["messages"], 3);
    assert_eq!(ok.details()["consumers"], 0);
    // A consumer with no prefetch limit takes the messages (unacknowledged, not ready).
    let _consumer = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            args,
        )
        .await
        .unwrap();
    let consumed = rabbitmq(&node.url()).unwrap().queue(queue).check().await;
    assert_eq!(consumed.details()["consumers"], 1);
    assert_eq!(consumed.details()["messages"], 0);
    conn.close(200, "OK".into()).await.unwrap();

    let missing = rabbitmq(&node.url())
        .unwrap()
        .queue("vitals-missing")
        .check()
        .await;
    assert_eq!(missing.status(), HealthStatus::Unhealthy);
    assert_eq!(
        missing.error().unwrap(),
        format!(
            "rabbitmq {}: queue \"vitals-missing\": protocol error: AMQP soft error: \
             NOT-FOUND: NOT_FOUND - no queue 'vitals-missing' in vhost '/'",
            node.shown_url()
        )
    );
    no_client_thread_left().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_unhealthy_and_never_shown() {
    let node = TempRabbitmq::shared();
    let _one = CLIENTS.lock().await;
    let url = node.url().replace(RABBITMQ_PASSWORD, "wr0ng-pw");
    let refused = rabbitmq(&url).unwrap().check().await;
    assert_eq!(refused.status(), HealthStatus::Unhealthy);
    assert_eq!(
        refused.error().unwrap(),
        format!(
            "rabbitmq {}: protocol error: AMQP soft error: ACCESS-REFUSED: ACCESS_REFUSED - Login \
             was refused using authentication mechanism PLAIN. For details see the broker logfile.",
            node.shown_url()
        )
    );
    no_client_thread_left().await;
}

/// Runs the check against a hung broker: unhealthy within its 500 ms, no client thread left.
async fn hung(check: &vitals_module_checks::RabbitmqCheck, node: &TempRabbitmq) {
    let started = Instant::now();
    let silent = check.check().await;
    let took = started.elapsed();
    no_client_thread_left().await;
    assert_eq!(
        silent.error().unwrap(),
        format!("rabbitmq {}: no answer within 500ms", node.shown_url())
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1_000),
        "{took:?}"
    );
}

/// Runs the check until it is healthy (10 s at most): until a node let go has accepted the
/// connections queued meanwhile, a new connection's SYN may be dropped when the queue is full
/// (and sent again after 1 s, past the 500 ms).
async fn healthy_again(check: &vitals_module_checks::RabbitmqCheck) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ok = check.check().await;
        if ok.status() == HealthStatus::Healthy {
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", ok.error());
    }
    no_client_thread_left().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_then_killed_broker_is_unhealthy_within_the_timeout() {
    let node = TempRabbitmq::start_with_backlog(1);
    let _one = CLIENTS.lock().await;
    let check = rabbitmq(&node.url())
        .unwrap()
        .timeout(Duration::from_millis(500));
    assert_eq!(check.check().await.status(), HealthStatus::Healthy);
    // A stopped VM's socket still accepts connections; the broker's greeting never comes.
    node.signal("STOP");
    hung(&check, &node).await;
    node.signal("CONT");
    healthy_again(&check).await;
    // Once its accept queue is full, the connection itself hangs, on the client's own thread
    // (the broker's properties are known from the last run, so it is the first connection).
    node.signal("STOP");
    let addr = node.shown_url();
    let addr = addr.trim_start_matches("amqp://").trim_end_matches("/%2f");
    let mut held = Vec::new();
    for _ in 0..16 {
        let connect = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), connect).await {
            Ok(stream) => held.push(stream.unwrap()),
            Err(_) => break,
        }
    }
    assert_eq!(held.len(), 2, "the accept queue holds backlog + 1");
    hung(&check, &node).await;
    node.signal("CONT");
    drop(held);
    healthy_again(&check).await;
    node.stop();
    // Refused twice: with the properties known (the client's connection), then without.
    for _ in 0..2 {
        let down = check.check().await;
        no_client_thread_left().await;
        assert_eq!(
            down.error().unwrap(),
            format!(
                "rabbitmq {}: Connection refused (os error 111)",
                node.shown_url()
            )
        );
    }
}

#[test]
fn an_unparseable_or_tls_url_is_refused_with_its_password_masked() {
    let e = rabbitmq("amqp://app:s3cret@mq:notaport/%2f")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("health check \"rabbitmq\" refused: amqp://mq:notaport/%2f: "),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
    let tls = rabbitmq("amqps://app:s3cret@mq:5671/%2f")
        .unwrap_err()
        .to_string();
    assert_eq!(
        tls,
        "health check \"rabbitmq\" refused: amqps://mq:5671/%2f: amqps:// is not supported"
    );
}
