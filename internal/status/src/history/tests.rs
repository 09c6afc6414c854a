use super::*;

#[test]
fn a_ring_keeps_the_last_readings_and_transitions_only_on_change() {
    let h = CheckHistory::new(HistoryConfig {
        readings: 3,
        transitions: 2,
    });
    let t = SystemTime::UNIX_EPOCH;
    for (i, w) in [Word::Pass, Word::Pass, Word::Fail, Word::Fail, Word::Pass]
        .into_iter()
        .enumerate()
    {
        h.record(
            "db",
            w,
            t + std::time::Duration::from_secs(i as u64),
            0.01,
            None,
        );
    }
    let inner = h.lock();
    let ring: Vec<Word> = inner.checks["db"].iter().map(|k| k.status).collect();
    assert_eq!(ring, [Word::Fail, Word::Fail, Word::Pass]);
    let changes: Vec<(Option<Word>, Word)> =
        inner.transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        changes,
        [
            (Some(Word::Pass), Word::Fail),
            (Some(Word::Fail), Word::Pass)
        ]
    );
}
