//! Property tests: concurrent appends over several streams from several
//! threads, for both implementations.

use std::collections::HashMap;

use proptest::prelude::*;
use uuid::Uuid;

use super::{all, Fixture, MemFixture, SledFixture};
use crate::{AppendError, Appended, EventLog, NewEvent, Record};

/// One event of a generated batch: stream index, whether it states its
/// expected version, payload.
type EventSpec = (u8, bool, Vec<u8>);
/// Per thread, its batches.
type Plan = Vec<Vec<Vec<EventSpec>>>;

fn plan_strategy() -> impl Strategy<Value = Plan> {
    let event = (
        0u8..4,
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..4),
    );
    let batch = proptest::collection::vec(event, 1..4);
    let thread = proptest::collection::vec(batch, 1..6);
    proptest::collection::vec(thread, 2..5)
}

fn event_id(thread: usize, batch: usize, event: usize) -> Uuid {
    Uuid::from_u128(((thread as u128) << 64) | ((batch as u128) << 32) | event as u128)
}

/// Appends one batch, retrying on version conflicts: other threads move the
/// streams between reading their versions and appending, and a reader does
/// not see another thread's records until they are durable. Returns the records.
fn append_batch(log: &dyn EventLog, t: usize, b: usize, specs: &[EventSpec]) -> Vec<Record> {
    for _ in 0..10_000 {
        let mut versions: HashMap<String, u64> = HashMap::new();
        let mut batch = Vec::new();
        for (e, (stream, expect, payload)) in specs.iter().enumerate() {
            let stream = format!("stream-{stream}");
            let version = match versions.get(&stream) {
                Some(v) => *v,
                None => log.stream_version(&stream).unwrap(),
            };
            versions.insert(stream.clone(), version + 1);
            let mut ev = NewEvent::new(event_id(t, b, e), stream, "Kind", 1, payload.clone(), "p");
            ev.expected_version = expect.then_some(version);
            batch.push(ev);
        }
        match log.append(batch.clone()) {
            Ok(Appended::New(records)) => {
                // A retry of the acknowledged batch is a repeat.
                assert_eq!(
                    log.append(batch).unwrap(),
                    Appended::Repeated(records.clone())
                );
                return records;
            }
            Ok(Appended::Repeated(r)) => panic!("fresh batch reported as repeat: {r:?}"),
            Err(AppendError::VersionConflict { .. }) => {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            Err(e) => panic!("append failed: {e}"),
        }
    }
    panic!("batch never got past version conflicts")
}

fn check_interleaving(log: &dyn EventLog, plan: &Plan) {
    let acknowledged: Vec<Vec<Vec<Record>>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .iter()
            .enumerate()
            .map(|(t, batches)| {
                s.spawn(move || {
                    batches
                        .iter()
                        .enumerate()
                        .map(|(b, specs)| append_batch(log, t, b, specs))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let records = all(log);
    let total: usize = plan.iter().flatten().map(Vec::len).sum();
    assert_eq!(records.len(), total);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1, "gap-free and in order");
    }
    assert_eq!(log.verify().unwrap(), log.head());
    assert_eq!(log.head().seq, total as u64);

    let mut versions: HashMap<&str, u64> = HashMap::new();
    for r in &records {
        let v = versions.entry(&r.stream).or_default();
        *v += 1;
        assert_eq!(r.stream_version, *v, "versions per stream run 1..n");
    }
    for (stream, v) in &versions {
        assert_eq!(log.stream_version(stream).unwrap(), *v);
        let read = log.read_stream(stream, 1).unwrap();
        let expected: Vec<&Record> = records.iter().filter(|r| r.stream == *stream).collect();
        assert_eq!(read.iter().collect::<Vec<_>>(), expected);
    }

    for thread in &acknowledged {
        let mut last_seq = 0;
        for batch in thread {
            for (i, r) in batch.iter().enumerate() {
                assert_eq!(r.seq, batch[0].seq + i as u64, "a batch is contiguous");
                assert!(r.seq > last_seq, "a thread's appends keep their order");
                last_seq = r.seq;
                assert_eq!(&records[(r.seq - 1) as usize], r, "acknowledged = stored");
                assert_eq!(log.seq_of(&r.event_id).unwrap(), Some(r.seq));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mem_log_interleaved_appends_read_back_gap_free_chained_and_versioned(plan in plan_strategy()) {
        let f = MemFixture::new();
        check_interleaving(f.log(), &plan);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn sled_log_interleaved_appends_read_back_gap_free_chained_and_versioned(plan in plan_strategy()) {
        let f = SledFixture::new();
        check_interleaving(f.log(), &plan);
    }
}

/// Batches of random sizes over a few streams, appended to a SledLog (with
/// compactions of the small chunks happening on the way) and to a MemLog:
/// every read of the SledLog equals the MemLog's, before and after reopening.
/// Appends `batches` (size, streams) to a SledLog and a MemLog alike, the
/// SledLog reopened after batch `reopen_after` (if any), and checks that
/// both read back alike, before and after a final reopen.
fn check_chunked_reads(
    batches: &[(usize, u8)],
    windows: &[(u64, usize)],
    reopen_after: Option<usize>,
) {
    use crate::{MemLog, SledLog};
    let mem = MemLog::new();
    let mut f = SledFixture::new();
    let mut id = 0u128;
    for (i, (size, streams)) in batches.iter().enumerate() {
        if reopen_after == Some(i) {
            let SledFixture { log, dir } = f;
            drop(log);
            f = SledFixture {
                log: SledLog::open(dir.path()).unwrap(),
                dir,
            };
        }
        let batch: Vec<NewEvent> = (0..*size)
            .map(|j| {
                id += 1;
                let stream = format!("s{}", (id as usize * 7 + j) % (*streams as usize + 1));
                let mut e = NewEvent::new(
                    Uuid::from_u128(id),
                    stream,
                    "Kind",
                    1,
                    vec![j as u8; j % 9],
                    "p",
                );
                // Both logs store the same times (several records share one).
                e.recorded_at = Some(
                    jiff::Timestamp::from_second(1_700_000_000 + (id / 3) as i64)
                        .expect("a valid time"),
                );
                e
            })
            .collect();
        let expected = mem.append(batch.clone()).unwrap();
        // Half the batches share a barrier with the next one.
        let got = if i % 2 == 0 {
            let a = f.log.append_deferred(batch).unwrap();
            let last = a.records().last().unwrap().seq;
            f.log.wait_durable(last).unwrap();
            a
        } else {
            f.log.append(batch).unwrap()
        };
        assert!(got == expected, "batch {i} differs");
    }
    let check = |log: &SledLog| {
        let records = all(&mem);
        assert_eq!(log.head(), mem.head());
        assert_eq!(all(log), records);
        for (from, limit) in windows {
            assert_eq!(
                log.read_range(*from, *limit).unwrap(),
                mem.read_range(*from, *limit).unwrap()
            );
        }
        for r in records.iter().step_by(7) {
            assert_eq!(log.get(r.seq).unwrap().as_ref(), Some(r));
            assert_eq!(log.seq_of(&r.event_id).unwrap(), Some(r.seq));
            assert_eq!(
                log.seq_at(r.recorded_at).unwrap(),
                mem.seq_at(r.recorded_at).unwrap()
            );
        }
        for s in 0..8 {
            let stream = format!("s{s}");
            assert_eq!(
                log.stream_version(&stream).unwrap(),
                mem.stream_version(&stream).unwrap()
            );
            for from in [0, 1, 3, 50] {
                assert_eq!(
                    log.read_stream(&stream, from).unwrap(),
                    mem.read_stream(&stream, from).unwrap()
                );
            }
        }
        assert_eq!(log.verify().unwrap(), mem.head());
    };
    check(&f.log);
    let super::SledFixture { log, dir } = f;
    drop(log);
    let log = SledLog::open(dir.path()).unwrap();
    check(&log);
    // Appending goes on after the reopen, continuing versions and the chain.
    let more: Vec<NewEvent> = (0..3)
        .map(|j| NewEvent {
            recorded_at: mem.head().recorded_at,
            ..NewEvent::new(Uuid::from_u128(u128::MAX - j), "s1", "Kind", 1, vec![], "p")
        })
        .collect();
    assert!(log.append(more.clone()).unwrap() == mem.append(more).unwrap());
    check(&log);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn sled_log_batches_of_random_sizes_read_back_like_mem_log_before_and_after_reopen(
        batches in proptest::collection::vec((1usize..300, 0u8..8), 1..40),
        windows in proptest::collection::vec((0u64..13_000, 0usize..3_000), 1..8),
    ) {
        check_chunked_reads(&batches, &windows, None);
    }

    /// Sealed batches (written straight to a segment) among small ones
    /// (merged in sled, then sealed), with a reopen between two batches.
    #[test]
    fn sled_log_sealed_and_small_batches_read_back_like_mem_log_across_reopens(
        batches in proptest::collection::vec(
            (prop_oneof![1usize..120, 1_900usize..3_200], 0u8..8), 1..8),
        windows in proptest::collection::vec((0u64..30_000, 0usize..5_000), 1..6),
        reopen_after in 0usize..8,
    ) {
        check_chunked_reads(&batches, &windows, Some(reopen_after));
    }
}
