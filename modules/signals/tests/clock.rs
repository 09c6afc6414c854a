//! Publishers whose clocks are five minutes off (Debian's `faketime` in front of a child
//! process) are counted like any other: every age and minute is Redis' own time, never a
//! publisher's.
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::signals::Signals;
use vitals::{Module, ModuleContext};
use vitals_judges::{ChildGuard, Registrar, TempRedis};
use vitals_module_signals::{SignalsConfig, SignalsModule};

const CHILD: &str = "VITALS_TEST_SKEWED_PUBLISHER";

async fn module(url: &str, instance: &str) -> (SignalsModule, Signals) {
    let mut config = SignalsConfig::new(url);
    config.instance = instance.into();
    config.exporter = true;
    config.flush_interval = Duration::from_millis(100);
    config.max_age = Duration::from_secs(1);
    config.scrape_ttl = Duration::from_millis(1);
    let module = SignalsModule::new(config).unwrap();
    let ctx = ModuleContext::new(Arc::new(Registrar::default()), vitals::Metrics::noop());
    module.register(&ctx).unwrap();
    module.start(&ctx).await.unwrap();
    let signals = (*ctx.service::<Signals>().unwrap()).clone();
    (module, signals)
}

/// The child: publishes a gauge and a latency for as long as its parent lets it live.
#[tokio::test]
#[ignore = "run by skewed_publishers_are_counted_like_any_other under faketime"]
async fn skewed_publisher() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (url, instance) = spec.split_once(' ').unwrap();
    let (_module, signals) = module(url, instance).await;
    signals.gauge("skew.gauge", 1.0);
    signals.observe("skew.latency", 0.5);
    tokio::time::sleep(Duration::from_secs(30)).await;
}

#[tokio::test]
async fn skewed_publishers_are_counted_like_any_other() {
    let redis = TempRedis::start();
    let me = std::env::current_exe().unwrap();
    let me = me.to_str().unwrap();
    let children: Vec<ChildGuard> = [("-5m", "behind"), ("+5m", "ahead")]
        .iter()
        .map(|(offset, name)| {
            let spec = format!("{} {name}", redis.url());
            ChildGuard::spawn_quiet_with(
                "faketime",
                &["-f", offset, me, "--ignored", "--exact", "skewed_publisher"],
                &[
                    (CHILD, spec.as_str()),
                    ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
                ],
            )
        })
        .collect();
    let (aggregator, _) = module(&redis.url(), "on-time").await;
    let started = Instant::now();
    // Both are counted, for longer than the max age, and their latency lands in this minute.
    let mut seen = 0;
    while started.elapsed() < Duration::from_secs(4) {
        if let Ok(s) = aggregator.read().await
            && s.gauge("skew.gauge").map(|g| (g.sum, g.publishers)) == Some((2.0, 2))
        {
            seen += 1;
            let l = s.latency("skew.latency").unwrap();
            assert!(l.windows[0].0 >= 2, "{l:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        seen >= 10,
        "both skewed publishers counted in {seen} of ~20 reads"
    );
    drop(children);
}
