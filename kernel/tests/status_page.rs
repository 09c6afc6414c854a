//! The status page judged in a real headless Chromium (the browser judge): a service with a
//! passing, a degraded, a failing and a hostile-reason check, served over the wire. Anonymous
//! callers see every check's status and no reason; the token shows reasons, the hostile one as
//! text; the page works under its Content-Security-Policy (no violation, no script run).
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use vitals::{CheckOutcome, CheckerExt, Dependency, HealthGroup, check_fn};
use vitals_judges::{BrowserOptions, PageLoad, browser};
use vitals_kernel::{DetailPolicy, Kernel};

/// Sets the title and would log if it ever ran.
const HOSTILE: &str = "<script>document.title='pwned';console.error('pwned')</script><img src=x onerror=\"document.title='pwned'\">";

async fn serve() -> vitals_kernel::Running {
    let runs = Arc::new(AtomicU32::new(0));
    let db_runs = runs.clone();
    Kernel::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .handle_signals(false)
        .workers(2)
        .service("orders", "1.4.2")
        .details(DetailPolicy::Authorised)
        .token("s3cret")
        .check_timeout(Duration::from_millis(500))
        .background(Duration::from_millis(100), Some(Duration::from_secs(2)))
        .checker(
            check_fn("api", || async {
                tokio::time::sleep(Duration::from_millis(2)).await;
                CheckOutcome::healthy()
            })
            .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
            .with_dependency(Dependency::Local),
        )
        .checker(check_fn("cache", || async {
            CheckOutcome::degraded("hit ratio 0.20 below 0.50")
        }))
        .checker(check_fn("db", move || {
            let n = db_runs.fetch_add(1, Ordering::Relaxed);
            async move {
                // Passing for its first readings, then refused: the page shows the transition.
                tokio::time::sleep(Duration::from_millis(u64::from(n % 5))).await;
                if n < 5 {
                    CheckOutcome::healthy()
                } else {
                    CheckOutcome::unhealthy("connection refused (127.0.0.1:5432)")
                }
            }
        }))
        .checker(
            check_fn("ledger", || async { CheckOutcome::unhealthy(HOSTILE) })
                .with_groups([HealthGroup::custom("payments")]),
        )
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn load(url: String, opts: BrowserOptions) -> PageLoad {
    tokio::task::spawn_blocking(move || browser::load(&url, &opts))
        .await
        .unwrap()
}

fn assert_safe(page: &PageLoad) {
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-security-policy"),
        Some(vitals_status::page::content_security_policy())
    );
    assert!(page.title.contains("orders"), "title {:?}", page.title);
    assert!(
        !page.title.contains("pwned"),
        "a script ran: {:?}",
        page.title
    );
    assert!(
        page.csp_violations().is_empty(),
        "the page must work under its own policy: {:#?}",
        page.console
    );
    assert!(page.console_errors().is_empty(), "{:#?}", page.console);
    assert!(!page.html.contains("<script"), "no script element");
    assert!(!page.html.contains("<img"), "no injected element");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sees_every_check_and_reasons_only_with_the_token() {
    let running = serve().await;
    let url = format!("http://{}/status", running.addr());
    // Ten readings of each check or more, `db` failing for the later ones.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let anonymous = load(
        url.clone(),
        BrowserOptions::new("status-service-anonymous").full_page(),
    )
    .await;
    assert_safe(&anonymous);
    for check in ["api", "cache", "db", "ledger", "ping", "payments"] {
        assert!(
            anonymous.text.contains(check),
            "{check}: {}",
            anonymous.text
        );
    }
    for word in ["pass", "warn", "fail"] {
        assert!(anonymous.text.contains(word), "{word}: {}", anonymous.text);
    }
    for reason in ["hit ratio", "connection refused", "pwned"] {
        assert!(
            !anonymous.text.contains(reason),
            "{reason} shown anonymously"
        );
        assert!(
            !anonymous.html.contains(reason),
            "{reason} in the anonymous DOM"
        );
    }

    let authorised = load(
        url.clone(),
        BrowserOptions::new("status-service")
            .header("Authorization", "Bearer s3cret")
            .full_page(),
    )
    .await;
    assert_safe(&authorised);
    assert!(authorised.text.contains("hit ratio 0.20 below 0.50"));
    assert!(
        authorised
            .text
            .contains("connection refused (127.0.0.1:5432)")
    );
    assert!(
        authorised.text.contains("<script>document.title='pwned'"),
        "the hostile reason is shown as text: {}",
        authorised.text
    );
    let changes = &authorised.html[authorised
        .html
        .find("Last transitions")
        .expect("the transitions are listed")..];
    assert!(
        changes.contains(
            "<td>db</td><td class=\"t\"><span class=\"badge pass\">pass</span> → \
             <span class=\"badge fail\">fail</span>"
        ),
        "db's transition pass → fail is listed: {changes}"
    );
    println!(
        "status page: {} bytes anonymous, {} bytes with details; loaded in {:.0} ms / {:.0} ms; screenshots {} {}",
        anonymous.body_bytes,
        authorised.body_bytes,
        anonymous.load_ms,
        authorised.load_ms,
        anonymous.screenshot.display(),
        authorised.screenshot.display()
    );
    running.shutdown().await.unwrap();
}
