//! The store's tests. `suite` holds the behaviour every [`EventLog`] must
//! have; it runs once per implementation (`mem_log::*`, `sled_log::*`).
//! `sled_only` covers reopening, recovery and corruption; `props` the
//! property tests; `merkle` the RFC 6962 Merkle tree and its test vectors.

use jiff::Timestamp;
use tempfile::TempDir;
use uuid::Uuid;

use crate::{Appended, EventLog, MemLog, NewEvent, Record, SledLog};

mod merkle;
mod props;
mod sled_only;
mod suite;

/// Something holding a log under test (and whatever it needs to live).
pub(crate) trait Fixture {
    fn log(&self) -> &dyn EventLog;
}

pub(crate) struct MemFixture(MemLog);

impl MemFixture {
    pub(crate) fn new() -> Self {
        MemFixture(MemLog::new())
    }
}

impl Fixture for MemFixture {
    fn log(&self) -> &dyn EventLog {
        &self.0
    }
}

pub(crate) struct SledFixture {
    pub(crate) log: SledLog,
    pub(crate) dir: TempDir,
}

impl SledFixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = SledLog::open(dir.path()).unwrap();
        SledFixture { log, dir }
    }
}

impl Fixture for SledFixture {
    fn log(&self) -> &dyn EventLog {
        &self.log
    }
}

/// An event with id `id` in `stream`, kind `Kind`, schema 1, actor `tester`.
pub(crate) fn ev(id: u128, stream: &str, payload: &[u8]) -> NewEvent {
    NewEvent::new(
        Uuid::from_u128(id),
        stream,
        "Kind",
        1,
        payload.to_vec(),
        "tester",
    )
}

/// `ev` with an expected version.
pub(crate) fn ev_expecting(id: u128, stream: &str, expected: u64) -> NewEvent {
    NewEvent {
        expected_version: Some(expected),
        ..ev(id, stream, b"x")
    }
}

/// `ev` with an imported record time.
pub(crate) fn ev_at(id: u128, stream: &str, at: Timestamp) -> NewEvent {
    NewEvent {
        recorded_at: Some(at),
        ..ev(id, stream, b"x")
    }
}

/// The instant `secs` seconds after the Unix epoch.
pub(crate) fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

/// The records of an `Appended::New`; panics on a repeat.
#[track_caller]
pub(crate) fn new_records(a: Appended) -> Vec<Record> {
    match a {
        Appended::New(r) => r,
        Appended::Repeated(r) => panic!("expected new records, got a repeat of {r:?}"),
    }
}

/// Appends one event and returns its record.
#[track_caller]
pub(crate) fn append_one(log: &dyn EventLog, e: NewEvent) -> Record {
    new_records(log.append(vec![e]).unwrap()).remove(0)
}

/// Every record of the log.
pub(crate) fn all(log: &dyn EventLog) -> Vec<Record> {
    log.read_range(1, usize::MAX).unwrap()
}

#[test]
fn logs_can_be_shared_between_threads_as_arc_dyn_event_log() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MemLog>();
    assert_send_sync::<SledLog>();
    let shared: std::sync::Arc<dyn EventLog> = std::sync::Arc::new(MemLog::new());
    let clone = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || append_one(&*clone, ev(1, "a", b"")))
        .join()
        .unwrap();
    assert_eq!(shared.head().seq, 1);
}

macro_rules! suite_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                use $crate::tests::Fixture as _;
                let fixture = $make;
                $crate::tests::suite::$name(fixture.log());
            }
        )*
    };
}

macro_rules! all_suite_tests {
    ($make:expr) => {
        suite_tests!($make;
            empty_log_has_genesis_head_and_no_records,
            appended_events_get_gap_free_seqs_starting_at_one,
            each_record_links_to_the_previous_hash_starting_at_genesis,
            events_of_one_stream_get_versions_one_to_n,
            expected_version_equal_to_current_version_is_accepted,
            expected_version_zero_for_new_stream_is_accepted,
            expected_version_zero_for_existing_stream_is_a_conflict,
            wrong_expected_version_is_a_conflict_naming_stream_expected_and_actual,
            expected_versions_within_a_batch_follow_the_evolving_stream_version,
            batch_whose_third_event_conflicts_stores_nothing,
            batch_gets_consecutive_seqs_and_is_returned_in_order,
            empty_batch_is_refused,
            duplicate_event_id_within_a_batch_is_refused_and_stores_nothing,
            repeated_event_id_with_identical_content_returns_original,
            repeated_batch_ignores_actor_expected_version_and_recorded_at,
            repeated_event_id_with_other_content_is_an_id_reuse_error,
            batch_mixing_stored_and_new_event_ids_is_partly_stored_and_stores_nothing,
            batch_with_one_reused_id_among_stored_ones_is_an_id_reuse_error,
            idempotency_is_checked_before_expected_versions,
            recorded_at_defaults_to_now,
            imported_recorded_at_is_stored_verbatim,
            imported_recorded_at_equal_to_head_is_accepted,
            imported_recorded_at_earlier_than_head_is_refused_and_stores_nothing,
            imported_recorded_at_decreasing_within_a_batch_is_refused,
            clock_time_after_a_future_import_is_the_head_time,
            seq_at_before_first_record_is_zero,
            seq_at_exact_time_is_the_last_record_with_that_time,
            seq_at_between_records_is_the_earlier_one,
            seq_at_after_last_record_is_head_seq,
            read_range_returns_only_existing_records_in_the_window,
            read_range_views_lend_the_records_read_range_returns,
            get_returns_none_for_seq_zero_and_past_head,
            seq_of_and_get_by_id_find_stored_events_and_none_for_unknown,
            read_stream_returns_the_stream_records_from_a_version,
            stream_version_of_unknown_stream_is_zero,
            stream_names_that_prefix_each_other_stay_apart,
            verify_of_a_healthy_log_returns_its_head,
            stored_hashes_are_record_hash_of_the_previous_hash,
            concurrent_appends_from_many_threads_are_gap_free_and_chained,
            concurrent_repeats_of_one_event_store_it_once,
            deferred_append_is_visible_once_waited_durable,
        );
    };
}

mod mem_log {
    all_suite_tests!(super::MemFixture::new());
}

mod sled_log {
    all_suite_tests!(super::SledFixture::new());
}
