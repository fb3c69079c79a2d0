//! SledLog only: reopening, start-up recovery, corruption and format checks.

use std::path::Path;

use uuid::Uuid;

use super::{all, append_one, ev, ev_expecting, new_records, SledFixture};
use crate::keys::FORMAT_VERSION;
use crate::sled_log::OPEN_VERIFY_TAIL_RECORDS;
use crate::{raw, AppendError, Appended, EventLog, Record, SledLog, StoreError};

/// Closes the log of `f`, runs `damage` on the raw directory, and returns
/// the directory (kept alive) for reopening.
fn close_and_damage(f: SledFixture, damage: impl FnOnce(&raw::RawLog)) -> tempfile::TempDir {
    let SledFixture { log, dir } = f;
    drop(log);
    let damaged = raw::RawLog::open(dir.path()).unwrap();
    damage(&damaged);
    damaged.flush().unwrap();
    drop(damaged);
    dir
}

fn filled(n: u128) -> SledFixture {
    let f = SledFixture::new();
    for i in 1..=n {
        append_one(&f.log, ev(i, &format!("s{}", i % 3), &[i as u8]));
    }
    f
}

fn reopen(dir: &Path) -> SledLog {
    SledLog::open(dir).unwrap()
}

#[track_caller]
fn assert_corrupt_at<T: std::fmt::Debug>(result: Result<T, StoreError>, expected_seq: u64) {
    match result {
        Err(StoreError::Corrupt { seq, reason }) => {
            assert_eq!(seq, expected_seq, "reason: {reason}");
        }
        other => panic!("expected Corrupt at seq {expected_seq}, got {other:?}"),
    }
}

/// The stored record `seq` with its payload changed, hash left as it was.
fn tampered(log: &SledLog, seq: u64) -> Record {
    let mut r = log.get(seq).unwrap().unwrap();
    r.payload.push(0xff);
    r
}

#[test]
fn reopened_log_has_the_same_head_and_records() {
    let f = filled(7);
    let head = f.log.head();
    let records = all(&f.log);
    let SledFixture { log, dir } = f;
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(log.head(), head);
    assert_eq!(all(&log), records);
    assert_eq!(log.verify().unwrap(), head);
    assert_eq!(log.stream_version("s1").unwrap(), 3);
}

#[test]
fn reopened_log_continues_seqs_versions_and_chain_and_remembers_event_ids() {
    let f = filled(4);
    let original = f.log.get(2).unwrap().unwrap();
    let SledFixture { log, dir } = f;
    drop(log);
    let log = reopen(dir.path());
    let r = append_one(&log, ev_expecting(100, "s1", 2));
    assert_eq!((r.seq, r.stream_version), (5, 3));
    assert_eq!(r.prev_hash, log.get(4).unwrap().unwrap().hash);
    assert_eq!(
        log.append(vec![ev(2, "s2", &[2])]).unwrap(),
        Appended::Repeated(vec![original])
    );
    assert_eq!(log.verify().unwrap(), log.head());
}

#[test]
fn missing_meta_head_is_rewritten_on_open() {
    let f = filled(3);
    let head = f.log.head();
    let dir = close_and_damage(f, raw::remove_meta_head);
    let log = reopen(dir.path());
    assert_eq!(log.head(), head);
    drop(log);
    assert_eq!(reopen(dir.path()).head(), head);
}

#[test]
fn tampered_record_is_reported_by_verify_naming_its_seq() {
    let f = filled(5);
    raw::rewrite_records(&f.log.raw(), &[tampered(&f.log, 3)]).unwrap();
    assert_corrupt_at(f.log.verify(), 3);
}

#[test]
fn tampered_record_is_refused_at_open_naming_its_seq() {
    let f = filled(5);
    let r = tampered(&f.log, 3);
    let dir = close_and_damage(f, |db| raw::rewrite_records(db, &[r]).unwrap());
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn tampered_record_in_a_merged_chunk_is_refused_at_open_naming_its_seq() {
    let f = SledFixture::new();
    let mut batches = 0u128;
    while batches < 2 || raw::chunk_starts(&f.log.raw()).unwrap() != vec![1] {
        assert!(batches < 20, "the small chunks were never merged");
        let batch = (1..=200)
            .map(|j| ev(batches * 200 + j, "bulk", &[1]))
            .collect();
        new_records(f.log.append(batch).unwrap());
        batches += 1;
    }
    let r = tampered(&f.log, 250);
    let dir = close_and_damage(f, |db| raw::rewrite_records(db, &[r]).unwrap());
    assert_corrupt_at(SledLog::open(dir.path()), 250);
}

#[test]
fn undecodable_record_is_refused_at_open_naming_its_seq() {
    let f = filled(5);
    let dir = close_and_damage(f, |db| {
        raw::write_record_bytes(db, 4, b"\xff\xff\xff garbage").unwrap()
    });
    assert_corrupt_at(SledLog::open(dir.path()), 4);
}

#[test]
fn undecodable_chunk_is_refused_at_open_naming_its_first_seq() {
    let f = filled(5);
    let dir = close_and_damage(f, |db| raw::put_chunk_value(db, 4, b"\xff\xff\xff garbage"));
    assert_corrupt_at(SledLog::open(dir.path()), 4);
}

#[test]
fn chunk_stored_under_another_seq_is_refused_at_open() {
    let f = filled(3);
    let value = f.log.trees_for_test().chunk(2).unwrap().unwrap();
    let dir = close_and_damage(f, |db| raw::put_chunk_value(db, 3, &value));
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn undecodable_chunk_or_record_is_an_error_for_readers_not_a_panic() {
    let f = filled(3);
    raw::put_chunk_value(&f.log.raw(), 2, b"\x01");
    assert_corrupt_at(f.log.get(2), 2);
    assert_corrupt_at(f.log.read_range(1, 10), 2);
    assert_corrupt_at(f.log.verify(), 2);
    raw::put_chunk_value(&f.log.raw(), 2, &[]);
    assert_corrupt_at(f.log.read_stream("s2", 0), 2);
    let f = filled(3);
    raw::write_record_bytes(&f.log.raw(), 3, b"\x03").unwrap();
    assert_corrupt_at(f.log.get(3), 3);
    assert_corrupt_at(f.log.seq_at(crate::Timestamp::MAX), 3);
}

#[test]
fn record_missing_from_the_log_is_reported_naming_its_seq() {
    let f = filled(4);
    raw::remove_record(&f.log.raw(), 2).unwrap();
    assert_corrupt_at(f.log.verify(), 2);
    let dir = close_and_damage(f, |_| {});
    assert_corrupt_at(SledLog::open(dir.path()), 2);
}

#[test]
fn record_missing_from_the_middle_of_a_chunk_is_named_at_open() {
    let f = SledFixture::new();
    let batch = (1..=3_000).map(|i| ev(i, "bulk", &[1])).collect();
    new_records(f.log.append(batch).unwrap());
    let dir = close_and_damage(f, |db| raw::remove_record(db, 1_234).unwrap());
    match SledLog::open(dir.path()) {
        Err(StoreError::Corrupt { seq: 1_234, reason }) => {
            assert_eq!(reason, "record missing (next stored seq is 1235)");
        }
        other => panic!("expected a gap at 1234, got {other:?}"),
    }
}

#[test]
fn log_truncated_behind_meta_head_is_refused_at_open() {
    let f = filled(3);
    let dir = close_and_damage(f, |db| raw::remove_records_after(db, 2).unwrap());
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn log_truncated_with_its_meta_head_opens_at_the_shorter_head() {
    let f = filled(5);
    let third = f.log.get(3).unwrap().unwrap();
    let dir = close_and_damage(f, |db| {
        raw::remove_records_after(db, 3).unwrap();
        raw::set_meta_head(db, &crate::Head::of(&third)).unwrap();
    });
    let log = reopen(dir.path());
    assert_eq!(log.head(), crate::Head::of(&third));
    assert_eq!(log.seq_of(&Uuid::from_u128(4)).unwrap(), None);
    assert_eq!(log.verify().unwrap(), log.head());
}

#[test]
fn tampering_before_the_verified_tail_is_found_by_verify_not_by_open() {
    let f = SledFixture::new();
    let n = OPEN_VERIFY_TAIL_RECORDS as u128 + 20;
    let batch = (1..=n).map(|i| ev(i, "bulk", &[1])).collect();
    new_records(f.log.append(batch).unwrap());
    let r = tampered(&f.log, 5);
    let dir = close_and_damage(f, |db| raw::rewrite_records(db, &[r]).unwrap());
    let log = SledLog::open(dir.path()).unwrap();
    assert_eq!(log.head().seq, n as u64);
    assert_corrupt_at(log.verify(), 5);
}

#[test]
fn duplicate_event_id_is_refused_at_open_naming_the_second() {
    let f = filled(4);
    let mut r = f.log.get(3).unwrap().unwrap();
    r.event_id = Uuid::from_u128(1);
    let dir = close_and_damage(f, |db| raw::rewrite_records(db, &[r]).unwrap());
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn unknown_format_version_is_refused_at_open() {
    let f = filled(1);
    let dir = close_and_damage(f, |db| raw::set_format_version(db, FORMAT_VERSION + 1));
    match SledLog::open(dir.path()) {
        Err(StoreError::UnknownFormat { found, supported }) => {
            assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
}

#[test]
fn new_directory_is_created_and_opened_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("log");
    let log = SledLog::open(&path).unwrap();
    assert_eq!(log.head().seq, 0);
    assert_eq!(log.dir(), path);
}

#[test]
fn failed_append_leaves_the_reopened_log_unchanged() {
    let f = filled(2);
    let err = f
        .log
        .append(vec![ev(10, "x", b""), ev_expecting(11, "x", 9)])
        .unwrap_err();
    assert!(matches!(err, AppendError::VersionConflict { .. }));
    let head = f.log.head();
    let dir = close_and_damage(f, |_| {});
    let log = reopen(dir.path());
    assert_eq!(log.head(), head);
    assert_eq!(log.seq_of(&Uuid::from_u128(10)).unwrap(), None);
}

#[test]
fn directory_held_by_an_open_log_is_refused_as_locked() {
    let f = SledFixture::new();
    let started = std::time::Instant::now();
    match SledLog::open(f.dir.path()) {
        Err(StoreError::Locked { dir }) => assert_eq!(dir, f.dir.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(started.elapsed() >= crate::OPEN_LOCK_WAIT);
}

#[test]
fn small_appends_are_merged_into_one_chunk_once_they_reach_the_seal_size() {
    use crate::{SEAL_BYTES, SEAL_RECORDS};
    let f = SledFixture::new();
    let mut merged_at = None;
    for i in 1..=SEAL_RECORDS as u128 {
        append_one(&f.log, ev(i, &format!("s{}", i % 7), b"small"));
        let starts = raw::chunk_starts(&f.log.raw()).unwrap();
        if i > 1 && starts == vec![1] {
            merged_at = Some(i);
            break;
        }
        assert_eq!(starts.len() as u128, i, "one chunk per append until merged");
    }
    let merged_at = merged_at.expect("the small chunks were merged");
    // The merged chunk is sealed: it lives in a segment file, not in sled.
    assert_eq!(
        raw::unsealed_chunk_starts(&f.log.raw()).unwrap(),
        Vec::<u64>::new()
    );
    let bytes = raw::chunk_value(&f.log.raw(), 1).unwrap().unwrap().len();
    // The run's values (each with its own header) reached SEAL_BYTES; the
    // merged value has one header only.
    assert!(
        bytes * 10 >= SEAL_BYTES * 9 || merged_at == SEAL_RECORDS as u128,
        "{bytes}"
    );
    let records = all(&f.log);
    assert_eq!(f.log.verify().unwrap(), f.log.head());
    let SledFixture { log, dir } = f;
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
}

#[test]
fn a_big_batch_after_small_appends_closes_them_into_one_chunk() {
    let f = SledFixture::new();
    for i in 1..=3 {
        append_one(&f.log, ev(i, "s1", b"x"));
    }
    assert_eq!(raw::chunk_starts(&f.log.raw()).unwrap(), vec![1, 2, 3]);
    let big = (4..4 + crate::SEAL_RECORDS as u128)
        .map(|i| ev(i, "s2", b"y"))
        .collect();
    new_records(f.log.append(big).unwrap());
    let starts = raw::chunk_starts(&f.log.raw()).unwrap();
    assert_eq!(starts[..2], [1, 4]);
    assert_eq!(all(&f.log).len(), 3 + crate::SEAL_RECORDS);
    assert_eq!(f.log.verify().unwrap(), f.log.head());
}

/// A log of `batches` batches: big ones (sealed, so in segments) then small
/// ones (the unsealed tail, in sled).
fn sealed_and_tail(big: usize, small: u128) -> SledFixture {
    let f = SledFixture::new();
    let mut id = 0u128;
    for _ in 0..big {
        let batch = (0..crate::SEAL_RECORDS + 100)
            .map(|_| {
                id += 1;
                ev(id, &format!("s{}", id % 5), &id.to_le_bytes())
            })
            .collect();
        new_records(f.log.append(batch).unwrap());
    }
    for _ in 0..small {
        id += 1;
        append_one(&f.log, ev(id, "tail", b"t"));
    }
    f
}

#[test]
fn sealed_chunks_live_in_segment_files_and_only_the_tail_in_sled() {
    let f = sealed_and_tail(3, 4);
    let raw = f.log.raw();
    let all_starts = raw::chunk_starts(&raw).unwrap();
    let in_sled = raw::unsealed_chunk_starts(&raw).unwrap();
    let n = 3 * (crate::SEAL_RECORDS as u64 + 100);
    // Only the end of the log is in sled: the four small appends, maybe
    // after the unsealed rest of the last big batch.
    assert!(all_starts.ends_with(&in_sled), "{all_starts:?} {in_sled:?}");
    assert!(
        in_sled.ends_with(&[n + 1, n + 2, n + 3, n + 4]),
        "{in_sled:?}"
    );
    assert!(in_sled.len() <= 5, "{in_sled:?}");
    let in_segments = &all_starts[..all_starts.len() - in_sled.len()];
    assert!(in_segments.len() >= 3, "{all_starts:?}");
    // The segment holds exactly the sealed chunks' bytes.
    let segment = f.dir.path().join(crate::SEGMENTS_DIR).join("00000001.seg");
    let stored: u64 = in_segments
        .iter()
        .map(|s| raw::chunk_value(&raw, *s).unwrap().unwrap().len() as u64)
        .sum();
    assert_eq!(std::fs::metadata(&segment).unwrap().len(), stored);
    drop(raw);
    let records = all(&f.log);
    let SledFixture { log, dir } = f;
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    assert_eq!(log.verify().unwrap(), log.head());
}

#[test]
fn bytes_a_crash_left_after_the_last_sealed_chunk_are_never_read() {
    let f = sealed_and_tail(2, 0);
    let records = all(&f.log);
    let SledFixture { log, dir } = f;
    drop(log);
    // A crash between the segment append and sled's reference to it.
    let segment = dir.path().join(crate::SEGMENTS_DIR).join("00000001.seg");
    let len = std::fs::metadata(&segment).unwrap().len();
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&segment)
            .unwrap();
        file.write_all(&[0xAB; 1000]).unwrap();
    }
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    let more = (0..crate::SEAL_RECORDS as u128)
        .map(|i| ev(1_000_000 + i, "after", b"a"))
        .collect();
    new_records(log.append(more).unwrap());
    assert!(std::fs::metadata(&segment).unwrap().len() > len + 1000);
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(
        log.verify().unwrap().seq,
        records.len() as u64 + crate::SEAL_RECORDS as u64
    );
}

#[test]
fn a_missing_or_short_segment_file_is_refused_at_open_naming_the_chunk() {
    let f = sealed_and_tail(2, 1);
    let raw = f.log.raw();
    let in_sled = raw::unsealed_chunk_starts(&raw).unwrap();
    let last_sealed = *raw::chunk_starts(&raw)
        .unwrap()
        .iter()
        .rfind(|s| !in_sled.contains(s))
        .unwrap();
    drop(raw);
    let SledFixture { log, dir } = f;
    drop(log);
    let segment = dir.path().join(crate::SEGMENTS_DIR).join("00000001.seg");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len - 1).unwrap();
    match SledLog::open(dir.path()) {
        Err(StoreError::Corrupt { seq, reason }) => {
            assert_eq!(seq, last_sealed);
            assert!(
                reason.contains("runs past the end of segment file 00000001.seg"),
                "{reason}"
            );
        }
        other => panic!("expected a short segment, got {other:?}"),
    }
    let segments = dir.path().join(crate::SEGMENTS_DIR);
    std::fs::remove_dir_all(&segments).unwrap();
    match SledLog::open(dir.path()) {
        Err(StoreError::Corrupt { seq: 1, reason }) => {
            assert!(reason.contains("which is missing"), "{reason}");
        }
        other => panic!("expected a missing segment, got {other:?}"),
    }
    // A failed open leaves no empty segments directory behind.
    assert!(!segments.exists());
}

#[test]
fn a_chunk_stored_both_in_a_segment_and_in_sled_is_refused_at_open() {
    let f = sealed_and_tail(1, 0);
    let SledFixture { log, dir } = f;
    drop(log);
    {
        let damaged = raw::RawLog::open(dir.path()).unwrap();
        let value = raw::chunk_value(&damaged, 1).unwrap().unwrap();
        damaged
            .db()
            .open_tree(crate::keys::CHUNKS)
            .unwrap()
            .insert(crate::keys::seq_key(1), value)
            .unwrap();
        damaged.flush().unwrap();
    }
    assert_corrupt_at(SledLog::open(dir.path()), 1);
}

#[test]
fn a_format_2_directory_has_its_sealed_chunks_moved_into_segments() {
    let f = sealed_and_tail(3, 5);
    let records = all(&f.log);
    let (total, tail) = {
        let raw = f.log.raw();
        let total = raw::chunk_starts(&raw).unwrap().len();
        (total, raw::unsealed_chunk_starts(&raw).unwrap().len())
    };
    assert!(total > tail && tail >= 5, "{total} {tail}");
    let SledFixture { log, dir } = f;
    drop(log);
    // Format 2 kept every chunk in sled: put them all back there.
    {
        let damaged = raw::RawLog::open(dir.path()).unwrap();
        for first in raw::chunk_starts(&damaged).unwrap() {
            let value = raw::chunk_value(&damaged, first).unwrap().unwrap();
            raw::put_chunk_value(&damaged, first, &value);
        }
        raw::set_format_version(&damaged, 2);
        damaged.flush().unwrap();
        assert_eq!(raw::unsealed_chunk_starts(&damaged).unwrap().len(), total);
    }
    std::fs::remove_dir_all(dir.path().join(crate::SEGMENTS_DIR)).unwrap();
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    let raw = log.raw();
    assert_eq!(raw::unsealed_chunk_starts(&raw).unwrap().len(), tail);
    assert_eq!(raw::chunk_starts(&raw).unwrap().len(), total);
    let meta = raw.db().open_tree(crate::keys::META).unwrap();
    assert_eq!(
        meta.get(crate::keys::META_FORMAT)
            .unwrap()
            .unwrap()
            .as_ref(),
        FORMAT_VERSION.to_be_bytes()
    );
    drop(raw);
    drop(meta);
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    assert_eq!(log.verify().unwrap(), log.head());
}

#[test]
fn a_format_1_directory_is_upgraded_in_place_keeping_every_record() {
    // Build a log, keep its records, and write them as format 1 did.
    let source = crate::MemLog::new();
    for i in 1..=40u128 {
        let batch = (0..i % 4 + 1)
            .map(|j| {
                ev(
                    i * 10 + j,
                    &format!("s{}", (i + j) % 5),
                    &[i as u8, j as u8],
                )
            })
            .collect();
        new_records(source.append(batch).unwrap());
    }
    let records = all(&source);
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::sled_log::open_db(dir.path()).unwrap();
        crate::v1::write_for_test(&db, &records);
        db.flush().unwrap();
    }
    let log = reopen(dir.path());
    assert_eq!(log.head(), source.head());
    assert_eq!(all(&log), records);
    assert_eq!(log.verify().unwrap(), source.head());
    for r in &records {
        assert_eq!(log.seq_of(&r.event_id).unwrap(), Some(r.seq));
        assert_eq!(log.get(r.seq).unwrap().as_ref(), Some(r));
    }
    for s in 0..5 {
        let stream = format!("s{s}");
        assert_eq!(
            log.stream_version(&stream).unwrap(),
            source.stream_version(&stream).unwrap()
        );
        assert_eq!(
            log.read_stream(&stream, 1).unwrap(),
            source.read_stream(&stream, 1).unwrap()
        );
    }
    assert_eq!(raw::chunk_starts(&log.raw()).unwrap(), vec![1]);
    let names = log.raw().db().tree_names();
    for old in ["log", "by_id", "streams"] {
        assert!(
            !names.iter().any(|n| n.as_ref() == old.as_bytes()),
            "{old} dropped"
        );
    }
    // The upgraded log goes on.
    let r = append_one(&log, ev(9_999, "s1", b"after"));
    assert_eq!(r.seq, records.len() as u64 + 1);
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(log.verify().unwrap().seq, records.len() as u64 + 1);
}

#[test]
fn an_interrupted_upgrade_is_redone_from_format_1() {
    let source = crate::MemLog::new();
    for i in 1..=10u128 {
        append_one(&source, ev(i, "s", &[i as u8]));
    }
    let records = all(&source);
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::sled_log::open_db(dir.path()).unwrap();
        crate::v1::write_for_test(&db, &records);
        // Chunks half written by an upgrade that stopped before the flip.
        let damaged = raw::RawLog::of(db.clone(), dir.path()).unwrap();
        raw::put_chunk_value(&damaged, 1, b"stale");
        raw::put_chunk_value(&damaged, 7, b"stale");
        db.flush().unwrap();
    }
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    assert_eq!(log.verify().unwrap(), source.head());
}

#[test]
fn a_format_1_directory_with_a_broken_chain_is_not_upgraded() {
    let source = crate::MemLog::new();
    for i in 1..=5u128 {
        append_one(&source, ev(i, "s", &[i as u8]));
    }
    let mut records = all(&source);
    records[2].payload.push(1);
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::sled_log::open_db(dir.path()).unwrap();
        crate::v1::write_for_test(&db, &records);
        db.flush().unwrap();
    }
    assert_corrupt_at(SledLog::open(dir.path()), 3);
    // Still format 1, untouched: a fixed build could retry.
    let db = crate::sled_log::open_db(dir.path()).unwrap();
    let meta = db.open_tree(crate::keys::META).unwrap();
    assert_eq!(
        meta.get(crate::keys::META_FORMAT)
            .unwrap()
            .unwrap()
            .as_ref(),
        &1u32.to_be_bytes()
    );
}

#[test]
fn a_log_of_many_small_appends_reopens_and_goes_on() {
    // Merged tails are sealed by the sum of their parts: the merged chunk
    // (one header) may be smaller than the seal size, and stays sealed.
    let f = SledFixture::new();
    for i in 1..=5_000u128 {
        append_one(&f.log, ev(i, &format!("s{}", i % 7), b"small payload"));
    }
    let records = all(&f.log);
    let SledFixture { log, dir } = f;
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(all(&log), records);
    let in_sled = raw::unsealed_chunk_starts(&log.raw()).unwrap();
    assert!(
        !in_sled.is_empty() && in_sled.len() < 1_000,
        "{}",
        in_sled.len()
    );
    append_one(&log, ev(9_999_999, "s1", b"after"));
    drop(log);
    let log = reopen(dir.path());
    assert_eq!(log.verify().unwrap().seq, 5_001);
}
