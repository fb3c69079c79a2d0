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
