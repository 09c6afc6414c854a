//! The signals module when Redis changes under it, against real `redis-server` processes: a
//! primary and its replica swapping roles, a server that stops answering (SIGSTOP), and a
//! three-master Redis Cluster whose tenant slot is resharded to another master.
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::signals::Signals;
use vitals::{Module, ModuleContext};
use vitals_judges::{ChildGuard, Registrar, free_addr, redis_server};
use vitals_module_signals::{SignalsConfig, SignalsModule, Target};
use vitals_testkit::TestRecorder;

fn cli(port: u16, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli (is it installed?)");
    assert!(out.status.success(), "redis-cli {args:?}: {:?}", out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Running {
    module: SignalsModule,
    signals: Signals,
    metrics: TestRecorder,
}

async fn running(target: Target) -> Running {
    let mut config = SignalsConfig::redis(target);
    config.tenant = "acme".into();
    config.exporter = true;
    config.flush_interval = Duration::from_millis(100);
    config.scrape_ttl = Duration::from_millis(1);
    config.timeout = Duration::from_millis(300);
    let module = SignalsModule::new(config).unwrap();
    let metrics = TestRecorder::new();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), metrics.metrics());
    module.register(&ctx).unwrap();
    module.start(&ctx).await.unwrap();
    let signals = (*ctx.service::<Signals>().unwrap()).clone();
    Running {
        module,
        signals,
        metrics,
    }
}

impl Running {
    /// How long until the aggregate shows `value` for `sse.connections` (panics after `limit`).
    async fn sees(&self, value: f64, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if let Ok(s) = self.module.read().await
                && s.gauge("sse.connections").map(|g| g.sum) == Some(value)
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{value} not seen within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn counter(&self, name: &str) -> f64 {
        self.metrics.value(name, &[]).unwrap_or(0.0)
    }
}

/// A primary and its replica on free ports (ports, servers), and a module publishing through
/// both URLs whose gauge is already seen.
async fn primary_and_replica() -> (u16, u16, ChildGuard, ChildGuard, Running) {
    let (a, b) = (free_addr().port(), free_addr().port());
    let primary = redis_server(a, &[]);
    let replica = redis_server(b, &["--replicaof", "127.0.0.1", &a.to_string()]);
    let urls = vec![
        format!("redis://127.0.0.1:{a}"),
        format!("redis://127.0.0.1:{b}"),
    ];
    let r = running(Target::Nodes(urls)).await;
    r.signals.gauge("sse.connections", 3.0);
    r.sees(3.0, Duration::from_secs(5)).await;
    (a, b, primary, replica, r)
}

#[tokio::test]
async fn publishing_and_aggregation_follow_a_failover_without_a_restart() {
    let (a, b, _primary, _replica, r) = primary_and_replica().await;
    // The replica is promoted and the old primary follows it, as a failover leaves them.
    assert_eq!(cli(b, &["REPLICAOF", "NO", "ONE"]).trim(), "OK");
    assert_eq!(
        cli(a, &["REPLICAOF", "127.0.0.1", &b.to_string()]).trim(),
        "OK"
    );
    r.signals.gauge("sse.connections", 4.0);
    let took = r.sees(4.0, Duration::from_secs(3)).await;
    eprintln!("failover: publishing and aggregation back after {took:?}");
    assert!(r.counter("vitals_signals_redis_reconnects_total") >= 1.0);
    assert!(cli(b, &["ROLE"]).starts_with("master"));
}

#[tokio::test]
async fn a_primary_gone_silent_never_hides_the_promoted_replica() {
    let (_, b, primary, _replica, r) = primary_and_replica().await;
    // The primary stops answering (no RST) and the replica is promoted.
    primary.signal("STOP");
    assert_eq!(cli(b, &["REPLICAOF", "NO", "ONE"]).trim(), "OK");
    r.signals.gauge("sse.connections", 4.0);
    let took = r.sees(4.0, Duration::from_secs(5)).await;
    eprintln!("silent primary: back after {took:?}");
    primary.signal("CONT");
}

#[tokio::test]
async fn a_server_that_stops_answering_is_timed_out_counted_and_left_when_it_answers_again() {
    let port = free_addr().port();
    let redis = redis_server(port, &[]);
    let r = running(Target::Nodes(vec![format!("redis://127.0.0.1:{port}")])).await;
    r.signals.gauge("sse.connections", 1.0);
    r.sees(1.0, Duration::from_secs(5)).await;
    redis.signal("STOP");
    let started = Instant::now();
    let e = r.module.read().await.unwrap_err();
    assert!(e.contains("timed out"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the deadlines"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(r.counter("vitals_signals_redis_timeouts_total") >= 3.0);
    assert!(r.counter("vitals_signals_redis_reconnects_total") >= 1.0);
    redis.signal("CONT");
    r.signals.gauge("sse.connections", 2.0);
    let took = r.sees(2.0, Duration::from_secs(3)).await;
    eprintln!("black hole: back {took:?} after SIGCONT");
}

/// The node id owning `slot`, and every master's id, from `CLUSTER NODES`.
fn owners(port: u16, slot: u16) -> (String, Vec<String>) {
    let nodes = cli(port, &["CLUSTER", "NODES"]);
    let (mut owner, mut masters) = (None, Vec::new());
    for line in nodes.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !f.get(2).is_some_and(|flags| flags.contains("master")) {
            continue;
        }
        masters.push(f[0].to_owned());
        for range in &f[8..] {
            let (lo, hi) = range.split_once('-').unwrap_or((range, range));
            if let (Ok(lo), Ok(hi)) = (lo.parse::<u16>(), hi.parse::<u16>())
                && (lo..=hi).contains(&slot)
            {
                owner = Some(f[0].to_owned());
            }
        }
    }
    (owner.expect("slot owned"), masters)
}

#[tokio::test]
async fn a_three_master_cluster_serves_publishing_aggregation_and_survives_a_reshard() {
    let dir = std::env::temp_dir().join(format!("vitals-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ports: Vec<u16> = (0..3).map(|_| free_addr().port()).collect();
    let _nodes: Vec<ChildGuard> = ports
        .iter()
        .map(|p| {
            let conf = dir.join(format!("nodes-{p}.conf"));
            redis_server(
                *p,
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    conf.to_str().unwrap(),
                    "--dir",
                    dir.to_str().unwrap(),
                ],
            )
        })
        .collect();
    let addrs: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut create = vec!["--cluster", "create"];
    create.extend(addrs.iter().map(String::as_str));
    create.extend(["--cluster-replicas", "0", "--cluster-yes"]);
    cli(ports[0], &create);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ports
        .iter()
        .all(|p| cli(*p, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    {
        assert!(Instant::now() < deadline, "cluster not ok");
        std::thread::sleep(Duration::from_millis(100));
    }
    let seeds = ports
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect();
    let r = running(Target::Cluster(seeds)).await;
    r.signals.gauge("sse.connections", 5.0);
    r.signals.observe("request.latency", 0.2);
    r.sees(5.0, Duration::from_secs(5)).await;
    let snap = r.module.read().await.unwrap();
    assert!(snap.latency("request.latency").unwrap().windows[0].0 >= 1);

    // Every slot of the master holding the tenant's moves to another master.
    let slot: u16 = cli(ports[0], &["CLUSTER", "KEYSLOT", "{acme:default}"])
        .trim()
        .parse()
        .unwrap();
    let (from, masters) = owners(ports[0], slot);
    let to = masters.iter().find(|m| **m != from).unwrap().clone();
    let started = Instant::now();
    cli(
        ports[0],
        &[
            "--cluster",
            "reshard",
            &addrs[0],
            "--cluster-from",
            &from,
            "--cluster-to",
            &to,
            "--cluster-slots",
            "16384",
            "--cluster-yes",
        ],
    );
    assert_eq!(owners(ports[0], slot).0, to, "the tenant's slot moved");
    eprintln!("reshard took {:?}", started.elapsed());
    r.signals.gauge("sse.connections", 6.0);
    let took = r.sees(6.0, Duration::from_secs(10)).await;
    eprintln!("cluster: back {took:?} after the reshard");
    let snap = r.module.read().await.unwrap();
    assert!(snap.latency("request.latency").is_some());
    let _ = std::fs::remove_dir_all(&dir);
}
