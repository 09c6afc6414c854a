use super::*;
use crate::aggregates::pools::query_options;
use sea_orm::Database;

fn sqlite_pools(pool: DatabaseConnection) -> AggregatePools {
    AggregatePools {
        queries: pool.clone(),
        store: pool,
    }
}

#[tokio::test]
async fn an_aborted_refresh_reads_down_and_the_next_scrape_runs_again() {
    let pool = Database::connect("sqlite::memory:").await.unwrap();
    let agg = SqlAggregate::new("quick", "Q.", "SELECT 2 AS value");
    let runner = Arc::new(Runner::new(
        agg,
        &sqlite_pools(pool),
        None,
        &AggregatesConfig::default(),
        true,
    ));
    // A refresh held up (as by a hung connection), then aborted.
    let me = runner.clone();
    let _waiting = runner.snap.get(move || async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        me.refresh().await
    });
    runner.cancel_refresh();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(runner.previous().up, Some(false));
    let snap = runner.snapshot().await;
    assert_eq!(snap.up, Some(true));
    assert_eq!(snap.rows.as_ref().unwrap()[0].1, [Some(2.0)]);
    assert_eq!(runner.executions(), 1);
}

/// Two replicas that started while the database was down (their aggregate not yet validated)
/// race for the first window once it is back. The claimant's validation is slow (the table is
/// locked by another session for 3.3 s) and so is its query (3.3 s): 6.6 s in all, longer than a
/// lease that covers the query alone (timeout 4 s + 2 × 0.5 s + 1 s = 6 s). The other replica
/// keeps scraping through all of it and must not run the aggregate too.
#[tokio::test]
async fn the_first_run_after_an_outage_validates_under_the_lease_and_runs_once() {
    let url = vitals_judges::postgres_url();
    let admin = Database::connect(&url).await.unwrap();
    let pid = std::process::id();
    let table = format!("jobs_lease_validate_{pid}");
    admin
        .execute_unprepared(&format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1), (2)"
        ))
        .await
        .unwrap();
    let settings = AggregatesConfig {
        store_timeout: Duration::from_millis(500),
        table: format!("vitals_lease_validate_results_{pid}"),
        ..AggregatesConfig::default()
    };
    let agg = SqlAggregate::new(
        "jobs_after_outage",
        "Jobs.",
        &format!("SELECT count(*) AS value FROM {table}, pg_sleep(3.3)"),
    )
    .timeout(Duration::from_secs(4));
    let store = Arc::new(Store::new(&settings.table, settings.store_timeout));
    let replica = || async {
        let pool = Database::connect(query_options(&url, &settings, false))
            .await
            .unwrap();
        pool.ping().await.unwrap();
        let pools = AggregatePools {
            queries: pool.clone(),
            store: pool,
        };
        Arc::new(Runner::new(
            agg.clone(),
            &pools,
            Some(store.clone()),
            &settings,
            false,
        ))
    };
    let (first, second) = (replica().await, replica().await);
    let lock = admin.begin().await.unwrap();
    lock.execute_unprepared(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        .await
        .unwrap();
    let unlock = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(3300)).await;
        lock.commit().await.unwrap();
    });
    let started = Instant::now();
    let claimant = {
        let first = first.clone();
        tokio::spawn(async move { first.snapshot().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Past the end of the claimant's work and of a lease that would not cover validation.
    while started.elapsed() < Duration::from_secs(8) {
        second.snapshot().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    claimant.await.unwrap();
    unlock.await.unwrap();
    assert_eq!(
        (first.executions(), second.executions()),
        (1, 0),
        "the aggregate ran once, by the claimant"
    );
    let served = first.previous();
    assert_eq!(served.up, Some(true));
    assert_eq!(served.rows.as_ref().unwrap()[0].1, [Some(2.0)]);
    let took = served.refresh_seconds.unwrap();
    assert!(
        took > 6.0,
        "the claimant's work ({took} s) outlasts a query-only lease"
    );
    let accepted = store.accepted_runs(&admin, &first.key()).await.unwrap();
    assert_eq!(accepted, 1);
    assert_eq!(
        second.snapshot().await.rows.as_ref().unwrap()[0].1,
        [Some(2.0)]
    );
    admin
        .execute_unprepared(&format!(
            "DROP TABLE {table}; DROP TABLE {}",
            settings.table
        ))
        .await
        .unwrap();
}
