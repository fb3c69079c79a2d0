//! SledLog only: reopening, start-up recovery, corruption and format checks.

use std::path::Path;

use uuid::Uuid;

use super::{all, append_one, ev, ev_expecting, new_records, SledFixture};
use crate::keys::{raw, FORMAT_VERSION};
use crate::sled_log::OPEN_VERIFY_TAIL_RECORDS;
use crate::{codec, AppendError, Appended, EventLog, SledLog, StoreError};

/// Closes the log of `f`, runs `damage` on the raw sled database, and
/// returns the directory (kept alive) for reopening.
fn close_and_damage(f: SledFixture, damage: impl FnOnce(&sled::Db)) -> tempfile::TempDir {
    let SledFixture { log, dir } = f;
    drop(log);
    let db = crate::sled_log::open_db(dir.path()).unwrap();
    damage(&db);
    db.flush().unwrap();
    drop(db);
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
fn tampered(log: &SledLog, seq: u64) -> Vec<u8> {
    let mut r = log.get(seq).unwrap().unwrap();
    r.payload.push(0xff);
    codec::encode_record(&r).unwrap()
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
fn cleared_indexes_are_rebuilt_from_the_log_on_open() {
    let f = filled(6);
    let records = all(&f.log);
    let dir = close_and_damage(f, raw::clear_indexes);
    let log = reopen(dir.path());
    for r in &records {
        assert_eq!(log.seq_of(&r.event_id).unwrap(), Some(r.seq));
    }
    assert_eq!(log.read_stream("s0", 0).unwrap().len(), 2);
    assert_eq!(log.stream_version("s1").unwrap(), 2);
    assert_eq!(log.verify().unwrap(), log.head());
    // Appending continues the rebuilt versions and still detects repeats.
    let r = append_one(&log, ev_expecting(50, "s1", 2));
    assert_eq!(r.stream_version, 3);
    assert!(log.append(vec![ev(1, "s1", &[1])]).unwrap().is_repeated());
}

#[test]
fn wrong_by_id_entry_is_reported_by_verify_and_rebuilt_on_open() {
    let f = filled(3);
    raw::point_by_id(f.log.raw_db(), &Uuid::from_u128(1), 2);
    assert_corrupt_at(f.log.verify(), 1);
    let dir = close_and_damage(f, |_| {});
    let log = reopen(dir.path());
    assert_eq!(log.seq_of(&Uuid::from_u128(1)).unwrap(), Some(1));
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
fn tampered_log_value_is_reported_by_verify_naming_its_seq() {
    let f = filled(5);
    raw::put_log_value(f.log.raw_db(), 3, &tampered(&f.log, 3));
    assert_corrupt_at(f.log.verify(), 3);
}

#[test]
fn tampered_log_value_is_refused_at_open_naming_its_seq() {
    let f = filled(5);
    let value = tampered(&f.log, 3);
    let dir = close_and_damage(f, |db| raw::put_log_value(db, 3, &value));
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn undecodable_log_value_is_refused_at_open_naming_its_seq() {
    let f = filled(5);
    let dir = close_and_damage(f, |db| raw::put_log_value(db, 4, b"\xff\xff\xff garbage"));
    assert_corrupt_at(SledLog::open(dir.path()), 4);
}

#[test]
fn undecodable_log_value_is_an_error_for_readers_not_a_panic() {
    let f = filled(3);
    raw::put_log_value(f.log.raw_db(), 2, b"\x01");
    assert_corrupt_at(f.log.get(2), 2);
    assert_corrupt_at(f.log.read_range(1, 10), 2);
    assert_corrupt_at(f.log.verify(), 2);
}

#[test]
fn record_missing_from_the_log_is_reported_naming_its_seq() {
    let f = filled(4);
    raw::remove_log_value(f.log.raw_db(), 2);
    assert_corrupt_at(f.log.verify(), 2);
    let dir = close_and_damage(f, |_| {});
    assert_corrupt_at(SledLog::open(dir.path()), 2);
}

#[test]
fn log_truncated_behind_meta_head_is_refused_at_open() {
    let f = filled(3);
    let dir = close_and_damage(f, |db| raw::remove_log_value(db, 3));
    assert_corrupt_at(SledLog::open(dir.path()), 3);
}

#[test]
fn tampering_before_the_verified_tail_is_found_by_verify_not_by_open() {
    let f = SledFixture::new();
    let n = OPEN_VERIFY_TAIL_RECORDS as u128 + 20;
    let batch = (1..=n).map(|i| ev(i, "bulk", &[1])).collect();
    new_records(f.log.append(batch).unwrap());
    let value = tampered(&f.log, 5);
    let dir = close_and_damage(f, |db| raw::put_log_value(db, 5, &value));
    let log = SledLog::open(dir.path()).unwrap();
    assert_eq!(log.head().seq, n as u64);
    assert_corrupt_at(log.verify(), 5);
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
