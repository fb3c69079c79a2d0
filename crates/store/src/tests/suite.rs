//! Behaviour every [`EventLog`] implementation must have. Each function is
//! one test, run for every implementation by `all_suite_tests!`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::{all, append_one, ev, ev_at, ev_expecting, new_records, ts};
use crate::{record_hash, AppendError, Appended, EventLog, Head, NewEvent, GENESIS_HASH};

pub(crate) fn empty_log_has_genesis_head_and_no_records(log: &dyn EventLog) {
    assert_eq!(log.head(), Head::EMPTY);
    assert_eq!(log.head().hash, GENESIS_HASH);
    assert_eq!(log.verify().unwrap(), Head::EMPTY);
    assert!(all(log).is_empty());
    assert_eq!(log.get(1).unwrap(), None);
    assert_eq!(log.seq_at(Timestamp::MAX).unwrap(), 0);
    assert_eq!(log.stream_version("project").unwrap(), 0);
    assert!(log.read_stream("project", 0).unwrap().is_empty());
}

pub(crate) fn appended_events_get_gap_free_seqs_starting_at_one(log: &dyn EventLog) {
    for i in 1..=5u128 {
        let r = append_one(log, ev(i, &format!("s{}", i % 2), b"p"));
        assert_eq!(r.seq, i as u64);
    }
    let seqs: Vec<u64> = all(log).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(log.head().seq, 5);
}

pub(crate) fn each_record_links_to_the_previous_hash_starting_at_genesis(log: &dyn EventLog) {
    for i in 1..=3 {
        append_one(log, ev(i, "s", b"p"));
    }
    let records = all(log);
    assert_eq!(records[0].prev_hash, GENESIS_HASH);
    for pair in records.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(log.head().hash, records[2].hash);
    assert_eq!(log.head().recorded_at, Some(records[2].recorded_at));
}

pub(crate) fn events_of_one_stream_get_versions_one_to_n(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    append_one(log, ev(2, "b", b""));
    append_one(log, ev(3, "a", b""));
    append_one(log, ev(4, "a", b""));
    let versions: Vec<(String, u64)> = all(log)
        .into_iter()
        .map(|r| (r.stream, r.stream_version))
        .collect();
    assert_eq!(
        versions,
        vec![
            ("a".into(), 1),
            ("b".into(), 1),
            ("a".into(), 2),
            ("a".into(), 3)
        ]
    );
    assert_eq!(log.stream_version("a").unwrap(), 3);
    assert_eq!(log.stream_version("b").unwrap(), 1);
}

pub(crate) fn expected_version_equal_to_current_version_is_accepted(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    let r = append_one(log, ev_expecting(2, "a", 1));
    assert_eq!(r.stream_version, 2);
}

pub(crate) fn expected_version_zero_for_new_stream_is_accepted(log: &dyn EventLog) {
    let r = append_one(log, ev_expecting(1, "a", 0));
    assert_eq!(r.stream_version, 1);
}

pub(crate) fn expected_version_zero_for_existing_stream_is_a_conflict(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    let err = log.append(vec![ev_expecting(2, "a", 0)]).unwrap_err();
    assert!(
        matches!(&err, AppendError::VersionConflict { stream, expected: 0, actual: 1, index: 0 } if stream == "a"),
        "{err:?}"
    );
    assert_eq!(log.head().seq, 1);
}

pub(crate) fn wrong_expected_version_is_a_conflict_naming_stream_expected_and_actual(
    log: &dyn EventLog,
) {
    append_one(log, ev(1, "a", b""));
    append_one(log, ev(2, "a", b""));
    let err = log.append(vec![ev_expecting(3, "a", 1)]).unwrap_err();
    assert!(
        matches!(&err, AppendError::VersionConflict { stream, expected: 1, actual: 2, index: 0 } if stream == "a"),
        "{err:?}"
    );
    let err = log.append(vec![ev_expecting(3, "a", 5)]).unwrap_err();
    assert!(
        matches!(
            &err,
            AppendError::VersionConflict {
                expected: 5,
                actual: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(log.stream_version("a").unwrap(), 2);
}

pub(crate) fn expected_versions_within_a_batch_follow_the_evolving_stream_version(
    log: &dyn EventLog,
) {
    append_one(log, ev(1, "a", b""));
    let records = new_records(
        log.append(vec![
            ev_expecting(2, "a", 1),
            ev_expecting(3, "b", 0),
            ev_expecting(4, "a", 2),
            ev_expecting(5, "b", 1),
        ])
        .unwrap(),
    );
    let versions: Vec<u64> = records.iter().map(|r| r.stream_version).collect();
    assert_eq!(versions, vec![2, 1, 3, 2]);

    // The second event may not expect the version from before the batch.
    let err = log
        .append(vec![ev_expecting(6, "a", 3), ev_expecting(7, "a", 3)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::VersionConflict {
                expected: 3,
                actual: 4,
                index: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

pub(crate) fn batch_whose_third_event_conflicts_stores_nothing(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    let before = log.head();
    let err = log
        .append(vec![
            ev(2, "a", b""),
            ev(3, "b", b""),
            ev_expecting(4, "c", 7),
            ev(5, "a", b""),
        ])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::VersionConflict { .. }),
        "{err:?}"
    );
    assert_eq!(log.head(), before);
    assert_eq!(all(log).len(), 1);
    for id in 2..=5 {
        assert_eq!(log.seq_of(&Uuid::from_u128(id)).unwrap(), None);
    }
    assert_eq!(log.stream_version("a").unwrap(), 1);
    assert_eq!(log.stream_version("b").unwrap(), 0);
    // The same events are accepted once the conflict is gone.
    let records = new_records(
        log.append(vec![ev(2, "a", b""), ev(3, "b", b""), ev(4, "c", b"")])
            .unwrap(),
    );
    assert_eq!(records[0].seq, 2);
}

pub(crate) fn batch_gets_consecutive_seqs_and_is_returned_in_order(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    let records = new_records(
        log.append(vec![
            ev(10, "x", b"1"),
            ev(11, "y", b"2"),
            ev(12, "x", b"3"),
        ])
        .unwrap(),
    );
    let got: Vec<(u64, Uuid)> = records.iter().map(|r| (r.seq, r.event_id)).collect();
    assert_eq!(
        got,
        vec![
            (2, Uuid::from_u128(10)),
            (3, Uuid::from_u128(11)),
            (4, Uuid::from_u128(12))
        ]
    );
    assert_eq!(all(log)[1..], records[..]);
}

pub(crate) fn empty_batch_is_refused(log: &dyn EventLog) {
    let err = log.append(vec![]).unwrap_err();
    assert!(matches!(err, AppendError::EmptyBatch), "{err:?}");
}

pub(crate) fn duplicate_event_id_within_a_batch_is_refused_and_stores_nothing(log: &dyn EventLog) {
    let err = log
        .append(vec![ev(1, "a", b""), ev(2, "a", b""), ev(1, "a", b"")])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::DuplicateInBatch { event_id } if event_id == Uuid::from_u128(1)),
        "{err:?}"
    );
    assert_eq!(log.head(), Head::EMPTY);
}

pub(crate) fn repeated_event_id_with_identical_content_returns_original(log: &dyn EventLog) {
    let original = append_one(log, ev(1, "a", b"payload"));
    append_one(log, ev(2, "a", b""));
    let head = log.head();
    let again = log.append(vec![ev(1, "a", b"payload")]).unwrap();
    assert_eq!(again, Appended::Repeated(vec![original]));
    assert_eq!(log.head(), head);
    assert_eq!(all(log).len(), 2);
}

pub(crate) fn repeated_batch_ignores_actor_expected_version_and_recorded_at(log: &dyn EventLog) {
    let originals = new_records(
        log.append(vec![ev(1, "a", b"p"), ev(2, "b", b"q")])
            .unwrap(),
    );
    let retry = vec![
        NewEvent {
            actor: "someone else".into(),
            expected_version: Some(0),
            recorded_at: Some(ts(1)),
            ..ev(1, "a", b"p")
        },
        NewEvent {
            expected_version: Some(41),
            ..ev(2, "b", b"q")
        },
    ];
    assert_eq!(log.append(retry).unwrap(), Appended::Repeated(originals));
    // Order of the answer follows the batch.
    let swapped = log
        .append(vec![ev(2, "b", b"q"), ev(1, "a", b"p")])
        .unwrap();
    let seqs: Vec<u64> = swapped.records().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![2, 1]);
    assert!(swapped.is_repeated());
}

pub(crate) fn repeated_event_id_with_other_content_is_an_id_reuse_error(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b"p"));
    let variants = [
        ev(1, "a", b"other payload"),
        ev(1, "other stream", b"p"),
        NewEvent {
            kind: "OtherKind".into(),
            ..ev(1, "a", b"p")
        },
        NewEvent {
            schema_version: 2,
            ..ev(1, "a", b"p")
        },
    ];
    for v in variants {
        let err = log.append(vec![v.clone()]).unwrap_err();
        assert!(
            matches!(err, AppendError::EventIdReused { event_id, seq: 1 } if event_id == v.event_id),
            "{v:?}: {err:?}"
        );
    }
    assert_eq!(log.head().seq, 1);
}

pub(crate) fn batch_mixing_stored_and_new_event_ids_is_partly_stored_and_stores_nothing(
    log: &dyn EventLog,
) {
    append_one(log, ev(1, "a", b""));
    let err = log
        .append(vec![ev(2, "a", b""), ev(1, "a", b"")])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::PartlyStored { event_id } if event_id == Uuid::from_u128(1)),
        "{err:?}"
    );
    assert_eq!(log.head().seq, 1);
    assert_eq!(log.seq_of(&Uuid::from_u128(2)).unwrap(), None);
}

pub(crate) fn batch_with_one_reused_id_among_stored_ones_is_an_id_reuse_error(log: &dyn EventLog) {
    new_records(
        log.append(vec![ev(1, "a", b"1"), ev(2, "a", b"2")])
            .unwrap(),
    );
    let err = log
        .append(vec![
            ev(1, "a", b"1"),
            ev(2, "a", b"changed"),
            ev(3, "a", b""),
        ])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::EventIdReused { event_id, seq: 2 } if event_id == Uuid::from_u128(2)),
        "{err:?}"
    );
}

pub(crate) fn idempotency_is_checked_before_expected_versions(log: &dyn EventLog) {
    let original = append_one(log, ev_expecting(1, "a", 0));
    append_one(log, ev(2, "a", b""));
    // A retry of the first append, whose expected version is stale by now.
    let again = log.append(vec![ev_expecting(1, "a", 0)]).unwrap();
    assert_eq!(again, Appended::Repeated(vec![original]));
}

pub(crate) fn recorded_at_defaults_to_now(log: &dyn EventLog) {
    let before = Timestamp::now();
    let r1 = append_one(log, ev(1, "a", b""));
    let r2 = append_one(log, ev(2, "a", b""));
    let after = Timestamp::now();
    assert!(
        before <= r1.recorded_at && r1.recorded_at <= r2.recorded_at && r2.recorded_at <= after
    );
}

pub(crate) fn imported_recorded_at_is_stored_verbatim(log: &dyn EventLog) {
    let at = Timestamp::from_nanosecond(1_475_280_000_123_456_789).unwrap();
    let r = append_one(log, ev_at(1, "a", at));
    assert_eq!(r.recorded_at, at);
    assert_eq!(log.get(1).unwrap().unwrap().recorded_at, at);
    assert_eq!(log.head().recorded_at, Some(at));
}

pub(crate) fn imported_recorded_at_equal_to_head_is_accepted(log: &dyn EventLog) {
    append_one(log, ev_at(1, "a", ts(1_000)));
    let r = append_one(log, ev_at(2, "a", ts(1_000)));
    assert_eq!(r.recorded_at, ts(1_000));
}

pub(crate) fn imported_recorded_at_earlier_than_head_is_refused_and_stores_nothing(
    log: &dyn EventLog,
) {
    append_one(log, ev_at(1, "a", ts(2_000)));
    let err = log
        .append(vec![ev_at(2, "a", ts(2_000)), ev_at(3, "a", ts(1_999))])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::RecordedAtDecreasing { given, head } if given == ts(1_999) && head == ts(2_000)),
        "{err:?}"
    );
    assert_eq!(log.head().seq, 1);
}

pub(crate) fn imported_recorded_at_decreasing_within_a_batch_is_refused(log: &dyn EventLog) {
    let err = log
        .append(vec![ev_at(1, "a", ts(500)), ev_at(2, "a", ts(400))])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::RecordedAtDecreasing { given, head } if given == ts(400) && head == ts(500)),
        "{err:?}"
    );
    assert_eq!(log.head(), Head::EMPTY);
}

pub(crate) fn clock_time_after_a_future_import_is_the_head_time(log: &dyn EventLog) {
    let future = Timestamp::now() + SignedDuration::from_hours(24);
    append_one(log, ev_at(1, "a", future));
    let r = append_one(log, ev(2, "a", b""));
    assert_eq!(r.recorded_at, future);
    // And an import before that future is refused.
    let err = log
        .append(vec![ev_at(3, "a", Timestamp::now())])
        .unwrap_err();
    assert!(
        matches!(err, AppendError::RecordedAtDecreasing { .. }),
        "{err:?}"
    );
}

/// Records at t = 100, 200, 200, 300 (seqs 1..=4).
fn timed_log(log: &dyn EventLog) {
    for (id, secs) in [(1, 100), (2, 200), (3, 200), (4, 300)] {
        append_one(log, ev_at(id, "a", ts(secs)));
    }
}

pub(crate) fn seq_at_before_first_record_is_zero(log: &dyn EventLog) {
    timed_log(log);
    assert_eq!(log.seq_at(ts(99)).unwrap(), 0);
    assert_eq!(log.seq_at(Timestamp::MIN).unwrap(), 0);
}

pub(crate) fn seq_at_exact_time_is_the_last_record_with_that_time(log: &dyn EventLog) {
    timed_log(log);
    assert_eq!(log.seq_at(ts(100)).unwrap(), 1);
    assert_eq!(log.seq_at(ts(200)).unwrap(), 3);
    assert_eq!(log.seq_at(ts(300)).unwrap(), 4);
}

pub(crate) fn seq_at_between_records_is_the_earlier_one(log: &dyn EventLog) {
    timed_log(log);
    assert_eq!(log.seq_at(ts(150)).unwrap(), 1);
    assert_eq!(log.seq_at(ts(299)).unwrap(), 3);
    assert_eq!(
        log.seq_at(ts(200) - SignedDuration::from_nanos(1)).unwrap(),
        1
    );
}

pub(crate) fn seq_at_after_last_record_is_head_seq(log: &dyn EventLog) {
    timed_log(log);
    assert_eq!(log.seq_at(ts(301)).unwrap(), 4);
    assert_eq!(log.seq_at(Timestamp::MAX).unwrap(), 4);
}

pub(crate) fn read_range_returns_only_existing_records_in_the_window(log: &dyn EventLog) {
    for i in 1..=5 {
        append_one(log, ev(i, "a", b""));
    }
    let seqs = |from, limit| -> Vec<u64> {
        log.read_range(from, limit)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect()
    };
    assert_eq!(seqs(2, 2), vec![2, 3]);
    assert_eq!(seqs(4, 10), vec![4, 5]);
    assert_eq!(seqs(0, 3), vec![1, 2]);
    assert_eq!(seqs(1, 0), Vec::<u64>::new());
    assert_eq!(seqs(6, 10), Vec::<u64>::new());
    assert_eq!(seqs(u64::MAX, usize::MAX), Vec::<u64>::new());
    assert_eq!(seqs(1, usize::MAX), vec![1, 2, 3, 4, 5]);
}

pub(crate) fn read_range_views_lend_the_records_read_range_returns(log: &dyn EventLog) {
    for i in 1..=3 {
        append_one(
            log,
            ev(i, &format!("s{i}"), format!("payload {i}").as_bytes()),
        );
    }
    log.append((4..=7).map(|i| ev(i, "batch", &[i as u8; 40])).collect())
        .unwrap();
    let views = |from, limit| -> Vec<crate::Record> {
        let mut out = Vec::new();
        log.read_range_views(from, limit, &mut |v| {
            out.push(v.to_record());
            Ok(())
        })
        .unwrap();
        out
    };
    for (from, limit) in [
        (0, 3),
        (1, usize::MAX),
        (2, 2),
        (3, 3),
        (5, 10),
        (1, 0),
        (8, 1),
    ] {
        assert_eq!(
            views(from, limit),
            log.read_range(from, limit).unwrap(),
            "window ({from}, {limit})"
        );
    }
    // an error of the callee stops the walk and is returned
    let mut seen = 0;
    let stopped = log.read_range_views(1, 10, &mut |v| {
        seen += 1;
        if v.seq == 2 {
            Err(crate::StoreError::corrupt(2, "stop here"))
        } else {
            Ok(())
        }
    });
    assert!(stopped.is_err());
    assert_eq!(seen, 2);
}

pub(crate) fn get_returns_none_for_seq_zero_and_past_head(log: &dyn EventLog) {
    let r = append_one(log, ev(1, "a", b""));
    assert_eq!(log.get(0).unwrap(), None);
    assert_eq!(log.get(1).unwrap(), Some(r));
    assert_eq!(log.get(2).unwrap(), None);
    assert_eq!(log.get(u64::MAX).unwrap(), None);
}

pub(crate) fn seq_of_and_get_by_id_find_stored_events_and_none_for_unknown(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    let r = append_one(log, ev(2, "b", b"q"));
    assert_eq!(log.seq_of(&Uuid::from_u128(2)).unwrap(), Some(2));
    assert_eq!(log.get_by_id(&Uuid::from_u128(2)).unwrap(), Some(r));
    assert_eq!(log.seq_of(&Uuid::from_u128(3)).unwrap(), None);
    assert_eq!(log.get_by_id(&Uuid::from_u128(3)).unwrap(), None);
}

pub(crate) fn read_stream_returns_the_stream_records_from_a_version(log: &dyn EventLog) {
    for (id, stream) in [(1, "a"), (2, "b"), (3, "a"), (4, "a"), (5, "b")] {
        append_one(log, ev(id, stream, b""));
    }
    let read = |stream, from| -> Vec<(u64, u64)> {
        log.read_stream(stream, from)
            .unwrap()
            .iter()
            .map(|r| (r.stream_version, r.seq))
            .collect()
    };
    assert_eq!(read("a", 0), vec![(1, 1), (2, 3), (3, 4)]);
    assert_eq!(read("a", 1), vec![(1, 1), (2, 3), (3, 4)]);
    assert_eq!(read("a", 2), vec![(2, 3), (3, 4)]);
    assert_eq!(read("a", 4), vec![]);
    assert_eq!(read("a", u64::MAX), vec![]);
    assert_eq!(read("b", 2), vec![(2, 5)]);
    assert_eq!(read("c", 0), vec![]);
}

pub(crate) fn stream_version_of_unknown_stream_is_zero(log: &dyn EventLog) {
    append_one(log, ev(1, "a", b""));
    assert_eq!(log.stream_version("b").unwrap(), 0);
    assert_eq!(log.stream_version("").unwrap(), 0);
}

pub(crate) fn stream_names_that_prefix_each_other_stay_apart(log: &dyn EventLog) {
    let names = ["a", "a\0", "a\0\0\0\0\0\0\0\u{1}", "ab", "", "\u{ff}"];
    for (i, name) in names.iter().enumerate() {
        for j in 0..=i {
            append_one(log, ev((i * 10 + j) as u128 + 1, name, b""));
        }
    }
    for (i, name) in names.iter().enumerate() {
        let records = log.read_stream(name, 0).unwrap();
        assert_eq!(records.len(), i + 1, "{name:?}");
        assert!(records.iter().all(|r| r.stream == *name));
        assert_eq!(log.stream_version(name).unwrap(), i as u64 + 1);
    }
}

pub(crate) fn verify_of_a_healthy_log_returns_its_head(log: &dyn EventLog) {
    for i in 1..=10 {
        append_one(log, ev(i, &format!("s{}", i % 3), &[i as u8; 3]));
    }
    assert_eq!(log.verify().unwrap(), log.head());
    assert_eq!(log.head().seq, 10);
}

pub(crate) fn stored_hashes_are_record_hash_of_the_previous_hash(log: &dyn EventLog) {
    for i in 1..=4 {
        append_one(log, ev(i, "a", b"z"));
    }
    let mut prev = GENESIS_HASH;
    for r in all(log) {
        assert_eq!(r.hash, record_hash(&prev, &r));
        prev = r.hash;
    }
}

pub(crate) fn concurrent_appends_from_many_threads_are_gap_free_and_chained(log: &dyn EventLog) {
    const THREADS: u128 = 4;
    const PER_THREAD: u128 = 15;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let id = t * 1_000 + i + 1;
                    let batch = if i % 3 == 0 {
                        vec![ev(id, &format!("t{t}"), b""), ev(id + 500, "shared", b"")]
                    } else {
                        vec![ev(id, &format!("t{t}"), b"")]
                    };
                    let records = new_records(log.append(batch).unwrap());
                    // An acknowledged append is visible at once.
                    assert!(log.head().seq >= records[records.len() - 1].seq);
                    assert_eq!(log.get(records[0].seq).unwrap().as_ref(), Some(&records[0]));
                }
            });
        }
    });
    let records = all(log);
    let expected = (THREADS * (PER_THREAD + PER_THREAD / 3)) as usize;
    assert_eq!(records.len(), expected);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1);
    }
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for r in &records {
        let v = versions.entry(&r.stream).or_default();
        *v += 1;
        assert_eq!(r.stream_version, *v);
    }
    assert_eq!(log.verify().unwrap(), log.head());
}

pub(crate) fn concurrent_repeats_of_one_event_store_it_once(log: &dyn EventLog) {
    let answers: Vec<Appended> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| log.append(vec![ev(1, "a", b"same")]).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers.iter().filter(|a| !a.is_repeated()).count(), 1);
    let first = answers[0].records()[0].clone();
    assert!(answers.iter().all(|a| a.records() == [first.clone()]));
    assert_eq!(log.head().seq, 1);
}

pub(crate) fn deferred_append_is_visible_once_waited_durable(log: &dyn EventLog) {
    let appended = log
        .append_deferred(vec![ev(1, "s", b"a"), ev(2, "s", b"b")])
        .unwrap();
    let seqs: Vec<u64> = appended.records().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![1, 2]);
    log.wait_durable(2).unwrap();
    assert_eq!(log.head().seq, 2);
    assert_eq!(log.read_range(1, 10).unwrap().len(), 2);
    // a deferred repeat returns the originals
    let again = log
        .append_deferred(vec![ev(1, "s", b"a"), ev(2, "s", b"b")])
        .unwrap();
    assert!(again.is_repeated());
}
