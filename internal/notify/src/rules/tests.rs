use super::*;
use vitals::HealthStatus::{Degraded, Healthy, Unhealthy};

const ALL: [HealthStatus; 3] = [Healthy, Degraded, Unhealthy];

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn rules(hold_readings: u32) -> Rules {
    Rules {
        hold_readings,
        hold_time: None,
        repeat: None,
    }
}

/// Feeds `(status, second)` readings; returns `(reading index, transition)` for each message.
fn run(rules: &Rules, readings: &[(HealthStatus, u64)]) -> Vec<(usize, Transition)> {
    let mut state = SubjectState::default();
    readings
        .iter()
        .enumerate()
        .filter_map(|(i, (s, at))| state.step(rules, *s, t(*at)).map(|m| (i, m)))
        .collect()
}

fn spaced(statuses: &[HealthStatus]) -> Vec<(HealthStatus, u64)> {
    statuses
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, 10 * i as u64))
        .collect()
}

fn tr(event: Event, from: HealthStatus, to: HealthStatus, since: u64) -> Transition {
    Transition {
        event,
        from,
        to,
        since: t(since),
    }
}

#[test]
fn a_one_reading_blip_sends_nothing() {
    let got = run(
        &rules(2),
        &spaced(&[Healthy, Unhealthy, Healthy, Degraded, Healthy]),
    );
    assert_eq!(got, vec![]);
}

#[test]
fn a_subject_failing_from_its_first_reading_is_notified_once_held() {
    let got = run(
        &rules(2),
        &spaced(&[Unhealthy, Unhealthy, Unhealthy, Unhealthy]),
    );
    assert_eq!(got, vec![(1, tr(Event::Down, Healthy, Unhealthy, 0))]);
}

#[test]
fn a_healthy_start_sends_nothing() {
    assert_eq!(run(&rules(1), &spaced(&[Healthy, Healthy])), vec![]);
}

#[test]
fn every_change_between_two_statuses_is_notified_once_held() {
    for from in ALL {
        for to in ALL {
            if from == to {
                continue;
            }
            let mut state = SubjectState::default();
            let r = rules(2);
            // Reach `from` (nothing to notify when it is the healthy baseline).
            state.step(&r, from, t(0));
            state.step(&r, from, t(10));
            assert_eq!(state.notified(), from);
            assert_eq!(state.step(&r, to, t(20)), None, "{from} -> {to}");
            let want = match to {
                Healthy => Event::Recovered,
                Degraded => Event::Degraded,
                Unhealthy => Event::Down,
            };
            assert_eq!(
                state.step(&r, to, t(30)),
                Some(tr(want, from, to, 20)),
                "{from} -> {to}"
            );
            assert_eq!(state.step(&r, to, t(40)), None, "{from} -> {to}: once");
        }
    }
}

#[test]
fn a_reading_of_another_status_restarts_the_count() {
    let got = run(
        &rules(3),
        &spaced(&[
            Unhealthy, Unhealthy, Degraded, Unhealthy, Unhealthy, Unhealthy,
        ]),
    );
    assert_eq!(got, vec![(5, tr(Event::Down, Healthy, Unhealthy, 30))]);
}

#[test]
fn hold_readings_of_one_notifies_at_once_and_zero_counts_as_one() {
    for hold in [0, 1] {
        let got = run(&rules(hold), &spaced(&[Degraded, Healthy]));
        assert_eq!(
            got,
            vec![
                (0, tr(Event::Degraded, Healthy, Degraded, 0)),
                (1, tr(Event::Recovered, Degraded, Healthy, 10)),
            ]
        );
    }
}

#[test]
fn hold_time_notifies_a_status_held_long_enough_on_a_later_reading() {
    let r = Rules {
        hold_readings: 10,
        hold_time: Some(Duration::from_secs(30)),
        repeat: None,
    };
    // First reading at 5: 29 s later is not enough, 30 s is.
    let got = run(
        &r,
        &[
            (Unhealthy, 5),
            (Unhealthy, 20),
            (Unhealthy, 34),
            (Unhealthy, 35),
        ],
    );
    assert_eq!(got, vec![(3, tr(Event::Down, Healthy, Unhealthy, 5))]);
    // A single reading never holds by time alone, however late the next reading of another status.
    let got = run(&r, &[(Unhealthy, 0), (Healthy, 100), (Degraded, 200)]);
    assert_eq!(got, vec![]);
    // Readings still count: hold_readings is reached first here.
    let r = Rules {
        hold_readings: 2,
        ..r
    };
    let got = run(&r, &[(Unhealthy, 0), (Unhealthy, 1)]);
    assert_eq!(got, vec![(1, tr(Event::Down, Healthy, Unhealthy, 0))]);
}

#[test]
fn repeats_while_not_healthy_on_the_first_reading_past_the_interval() {
    let r = Rules {
        hold_readings: 2,
        hold_time: None,
        repeat: Some(Duration::from_secs(3600)),
    };
    let mut readings = vec![(Unhealthy, 0), (Unhealthy, 600)];
    readings.extend((2..=14).map(|i| (Unhealthy, 600 * i)));
    let got = run(&r, &readings);
    assert_eq!(
        got,
        vec![
            (1, tr(Event::Down, Healthy, Unhealthy, 0)),
            // 3600 s after the message at 600.
            (7, tr(Event::Repeat, Unhealthy, Unhealthy, 0)),
            (13, tr(Event::Repeat, Unhealthy, Unhealthy, 0)),
        ]
    );
    // Degraded repeats too; a reading that lands late repeats at once, then counts from itself.
    let got = run(
        &r,
        &[
            (Degraded, 0),
            (Degraded, 10),
            (Degraded, 5000),
            (Degraded, 8000),
            (Degraded, 8610),
        ],
    );
    assert_eq!(
        got,
        vec![
            (1, tr(Event::Degraded, Healthy, Degraded, 0)),
            (2, tr(Event::Repeat, Degraded, Degraded, 0)),
            (4, tr(Event::Repeat, Degraded, Degraded, 0)),
        ]
    );
}

#[test]
fn healthy_never_repeats_and_repeat_off_never_repeats() {
    let on = Rules {
        hold_readings: 1,
        hold_time: None,
        repeat: Some(Duration::from_secs(60)),
    };
    assert_eq!(
        run(&on, &[(Healthy, 0), (Healthy, 1000), (Healthy, 5000)]),
        vec![]
    );
    let got = run(&on, &[(Unhealthy, 0), (Healthy, 10), (Healthy, 1000)]);
    assert_eq!(got.len(), 2);
    let off = Rules { repeat: None, ..on };
    assert_eq!(run(&off, &[(Unhealthy, 0), (Unhealthy, 100_000)]).len(), 1);
}

#[test]
fn a_pending_change_holds_repeats_back_and_a_cancelled_one_lets_them_through() {
    let r = Rules {
        hold_readings: 2,
        hold_time: None,
        repeat: Some(Duration::from_secs(60)),
    };
    let got = run(
        &r,
        &[
            (Unhealthy, 0),
            (Unhealthy, 1),
            (Healthy, 100),
            (Unhealthy, 101),
        ],
    );
    assert_eq!(
        got,
        vec![
            (1, tr(Event::Down, Healthy, Unhealthy, 0)),
            (3, tr(Event::Repeat, Unhealthy, Unhealthy, 0)),
        ]
    );
}

#[test]
fn a_clock_going_backwards_neither_panics_nor_notifies_early() {
    let r = Rules {
        hold_readings: 5,
        hold_time: Some(Duration::from_secs(30)),
        repeat: Some(Duration::from_secs(60)),
    };
    assert_eq!(
        run(&r, &[(Unhealthy, 100), (Unhealthy, 50), (Unhealthy, 10)]),
        vec![]
    );
}

/// Every sequence of up to 7 readings, for every hold of 1 to 3: a message is sent exactly when
/// the run of identical readings ending here is `hold` long or longer and its status is not the
/// one notified last; it names the run's first reading and the previous message's status.
#[test]
fn every_short_sequence_matches_the_rule() {
    for hold in 1..=3u32 {
        for len in 1..=7u32 {
            for code in 0..3usize.pow(len) {
                let statuses: Vec<HealthStatus> =
                    (0..len).map(|i| ALL[code / 3usize.pow(i) % 3]).collect();
                let mut state = SubjectState::default();
                let mut notified = Healthy;
                let r = rules(hold);
                for (i, s) in statuses.iter().enumerate() {
                    let run_start = (0..=i)
                        .rev()
                        .take_while(|j| statuses[*j] == *s)
                        .last()
                        .unwrap_or(i);
                    let due = *s != notified && (i - run_start + 1) as u32 >= hold;
                    let got = state.step(&r, *s, t(10 * i as u64));
                    if due {
                        let m =
                            got.unwrap_or_else(|| panic!("{statuses:?} hold {hold}: none at {i}"));
                        assert_eq!(
                            (m.from, m.to, m.since),
                            (notified, *s, t(10 * run_start as u64))
                        );
                        notified = *s;
                    } else {
                        assert_eq!(got, None, "{statuses:?} hold {hold} at {i}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_restored_subject_is_judged_against_what_the_other_process_notified() {
    let mut rules = rules(2);
    rules.repeat = Some(Duration::from_secs(60));
    // Another process sent `down` at 0 s (first reading at -10 s) and went away.
    let mut first = SubjectState::default();
    assert!(first.step(&rules, Unhealthy, t(0)).is_none());
    assert!(first.step(&rules, Unhealthy, t(10)).is_some());
    let handed = first.snapshot();
    assert_eq!(
        handed,
        Notified {
            status: Unhealthy,
            since: Some(t(0)),
            last_message: Some(t(10)),
        }
    );
    // Restored: still down sends nothing new, the repeat keeps the first process's schedule,
    // and the recovery is told.
    let mut next = SubjectState::restored(handed);
    assert_eq!(next.step(&rules, Unhealthy, t(20)), None);
    assert_eq!(
        next.step(&rules, Unhealthy, t(70)),
        Some(tr(Event::Repeat, Unhealthy, Unhealthy, 0))
    );
    assert_eq!(next.step(&rules, Healthy, t(80)), None);
    assert_eq!(
        next.step(&rules, Healthy, t(90)),
        Some(tr(Event::Recovered, Unhealthy, Healthy, 80))
    );
    // Without the hand-over the same readings would have said nothing at all.
    let mut fresh = SubjectState::default();
    assert_eq!(fresh.step(&rules, Healthy, t(80)), None);
    assert_eq!(fresh.step(&rules, Healthy, t(90)), None);
    assert_eq!(fresh.snapshot(), Notified::default());
}
