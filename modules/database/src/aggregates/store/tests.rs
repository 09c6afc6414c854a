use super::*;
use sea_orm::Database;

/// A results table of this test's own: the connection, the store and the table's name.
async fn fresh(tag: &str) -> (DatabaseConnection, Store, String) {
    let db = Database::connect(vitals_judges::postgres_url())
        .await
        .unwrap();
    let table = format!("vitals_store_test_{tag}_{}", std::process::id());
    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
        .await
        .unwrap();
    let store = Store::new(&table, Duration::from_secs(2));
    store.prepare(&db).await.unwrap();
    (db, store, table)
}

async fn drop_table(db: &DatabaseConnection, store: &Store) {
    db.execute_unprepared(&format!("DROP TABLE {}", store.table))
        .await
        .unwrap();
}

fn key<'a>(name: &'a str, fingerprint: &'a str, values: usize) -> Key<'a> {
    Key {
        name,
        fingerprint,
        labels: 0,
        values,
    }
}

#[tokio::test]
async fn a_late_claimant_cannot_overwrite_the_result_of_the_replica_that_took_over() {
    let (db, store, _) = fresh("lease").await;
    let k = key("lease_demo", "f1", 1);
    let short = Duration::from_millis(200);
    assert!(store.claim(&db, &k, "first", short).await.unwrap());
    assert!(
        !store.claim(&db, &k, "second", short).await.unwrap(),
        "the lease holds"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        store
            .claim(&db, &k, "second", Duration::from_secs(5))
            .await
            .unwrap(),
        "an expired lease is taken over"
    );
    let ttl = Duration::from_secs(60);
    let newer: Vec<Row> = vec![(vec![], vec![Some(2.0)])];
    let late: Vec<Row> = vec![(vec![], vec![Some(1.0)])];
    let at = store
        .complete(&db, &k, "second", &Ok(newer), short, ttl)
        .await
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((at.unwrap() - now).abs() < 5.0, "the database's clock");
    let refused = store
        .complete(&db, &k, "first", &Ok(late), short, ttl)
        .await
        .unwrap();
    assert_eq!(refused, None, "the late write is refused");
    assert_eq!(store.accepted_runs(&db, &k).await.unwrap(), 1);
    let stored = store.read(&db, &k).await.unwrap();
    assert_eq!(stored.rows.unwrap(), [(vec![], vec![Some(2.0)])]);
    drop_table(&db, &store).await;
}

#[tokio::test]
async fn two_versions_of_one_aggregate_have_their_own_window_and_result() {
    let (db, store, _) = fresh("versions").await;
    let old = key("jobs", "old", 2);
    let new = key("jobs", "new", 3);
    let lease = Duration::from_secs(5);
    let ttl = Duration::from_secs(60);
    assert!(store.claim(&db, &old, "a", lease).await.unwrap());
    assert!(
        store.claim(&db, &new, "b", lease).await.unwrap(),
        "the other version's lease does not hold this one"
    );
    let two: Vec<Row> = vec![(vec![], vec![Some(1.0), Some(2.0)])];
    let three: Vec<Row> = vec![(vec![], vec![Some(1.0), Some(2.0), Some(3.0)])];
    let t = Duration::ZERO;
    assert!(
        store
            .complete(&db, &old, "a", &Ok(two.clone()), t, ttl)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .complete(&db, &new, "b", &Ok(three.clone()), t, ttl)
            .await
            .unwrap()
            .is_some()
    );
    // Each window is done: neither version claims again, nor runs for the other.
    assert!(!store.claim(&db, &old, "c", lease).await.unwrap());
    assert!(!store.claim(&db, &new, "d", lease).await.unwrap());
    assert_eq!(store.read(&db, &old).await.unwrap().rows.unwrap(), two);
    assert_eq!(store.read(&db, &new).await.unwrap().rows.unwrap(), three);
    drop_table(&db, &store).await;
}

#[tokio::test]
async fn a_payload_of_another_shape_is_ignored_never_decoded() {
    let (db, store, table) = fresh("shape").await;
    let cases = [
        ("[[[], [1, 2]]]", 0, 3),
        ("[[[], [1, 2, 3]]]", 0, 2),
        ("[[[\"a\"], [1]]]", 0, 1),
        ("[[[], [\"lots\"]]]", 0, 1),
        ("{}", 0, 1),
    ];
    for (i, (payload, labels, values)) in cases.into_iter().enumerate() {
        let fp = format!("f{i}");
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "INSERT INTO {table} (name, fingerprint, payload, succeeded_at, attempted_at, due_at)
                 VALUES ('shape', $1, $2, now(), now(), now() + interval '1 hour')"
            ),
            [fp.clone().into(), payload.into()],
        ))
        .await
        .unwrap();
        let k = Key {
            name: "shape",
            fingerprint: &fp,
            labels,
            values,
        };
        let stored = store.read(&db, &k).await.unwrap();
        assert!(stored.rows.is_none(), "{payload} read as {:?}", stored.rows);
        assert!(stored.attempted, "the status is still read");
    }
    drop_table(&db, &store).await;
}

#[tokio::test]
async fn rows_abandoned_for_a_day_are_removed_at_start_and_live_ones_written_again() {
    let (db, store, table) = fresh("abandoned").await;
    db.execute_unprepared(&format!(
        "INSERT INTO {table} (name, fingerprint, due_at) VALUES
           ('gone', 'old', now() - interval '2 days'),
           ('kept', 'v1', now() - interval '1 hour'),
           ('leased', 'v1', now() - interval '2 days')"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE {table} SET claimed_until = now() + interval '1 minute' WHERE name = 'leased'"
    ))
    .await
    .unwrap();
    let restarted = Store::new(&table, Duration::from_secs(2));
    restarted.prepare(&db).await.unwrap();
    let left = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT name FROM {table} ORDER BY name"),
        ))
        .await
        .unwrap();
    let left: Vec<String> = left
        .iter()
        .map(|r| r.try_get("", "name").unwrap())
        .collect();
    assert_eq!(left, ["kept", "leased"]);
    // A version whose row was removed claims it again when it is next scraped.
    let gone = key("gone", "old", 1);
    assert!(
        restarted
            .claim(&db, &gone, "t", Duration::from_secs(5))
            .await
            .unwrap()
    );
    drop_table(&db, &store).await;
}
