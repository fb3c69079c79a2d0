//! The grantledger event log: the [`EventLog`] trait, its sled implementation
//! ([`SledLog`]) and an in-memory one for tests ([`MemLog`]); and the
//! RFC 6962 Merkle tree over record hashes ([`merkle`]: [`MerkleTree`],
//! [`verify_inclusion`], [`verify_consistency`]).
//!
//! Every stored [`Record`] has a global, 1-based, gap-free `seq`, a 1-based
//! `stream_version`, a `recorded_at` that never decreases along `seq`, and a
//! SHA-256 chain hash ([`record_hash`]) linking it to the previous record.
//! Appends are atomic, idempotent by `event_id`, and acknowledged only once
//! durable; readers only ever see acknowledged (durable) records.
//!
//! ```
//! use grantledger_store::{Appended, EventLog, MemLog, NewEvent};
//! let log = MemLog::new();
//! let e = NewEvent::new(uuid::Uuid::now_v7(), "project", "ProjectDefined", 1, vec![1], "alice");
//! let Appended::New(records) = log.append(vec![e.clone()])? else { unreachable!() };
//! assert_eq!(records[0].seq, 1);
//! assert!(log.append(vec![e])?.is_repeated());
//! assert_eq!(log.verify()?, log.head());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod append;
mod chain;
pub mod checkpoint;
pub mod codec;
mod error;
mod index;
pub mod keys;
mod mem_log;
pub mod merkle;
pub mod raw;
mod record;
mod segment;
mod sled_log;
mod v1;

#[cfg(test)]
mod tests;

pub use chain::{record_hash, Hash, GENESIS_HASH};
pub use codec::RecordView;
pub use error::{AppendError, StoreError};
pub use jiff::Timestamp;
pub use keys::PERSONAL_KEYS;
pub use mem_log::MemLog;
pub use merkle::{
    leaf_hash, node_hash, verify_consistency, verify_inclusion, LeafSource, MerkleTree, ProofError,
    EMPTY_ROOT,
};
pub use record::{Appended, Head, NewEvent, Record};
pub use segment::{SEGMENTS_DIR, SEGMENT_MAX_BYTES};
pub use sled_log::{
    SledLog, CACHE_CAPACITY_BYTES, CHUNK_MAX_BYTES, CHUNK_MAX_RECORDS, OPEN_LOCK_WAIT,
    OPEN_VERIFY_TAIL_RECORDS, SEAL_BYTES, SEAL_RECORDS,
};
pub use uuid::Uuid;

/// An append-only, hash-chained event log.
///
/// Implementations are `Send + Sync` and are shared as `Arc<dyn EventLog>`
/// between threads. All methods block (call them from `spawn_blocking` in
/// async code). Reads only see durable records, i.e. records up to
/// [`head`](EventLog::head).
pub trait EventLog: Send + Sync {
    /// Appends a batch atomically (all or nothing) and returns only once it
    /// is durable.
    ///
    /// The records get consecutive seqs after the head, stream versions
    /// following their streams' current versions, `recorded_at` from the
    /// store's clock (`max(now, head recorded_at)`) unless the event brings
    /// its own, and the chain hash.
    ///
    /// # Errors
    ///
    /// Checked in this order; on any error nothing is stored:
    /// - [`AppendError::EmptyBatch`], [`AppendError::DuplicateInBatch`];
    /// - idempotency: if every event id is already stored with identical
    ///   content (kind, stream, schema_version, payload) the answer is
    ///   `Ok(`[`Appended::Repeated`]`)` with the originals; a stored id with
    ///   other content is [`AppendError::EventIdReused`]; a mix of stored and
    ///   new ids is [`AppendError::PartlyStored`];
    /// - [`AppendError::VersionConflict`] when an expected version differs
    ///   from the stream's version at that point of the batch;
    /// - [`AppendError::RecordedAtDecreasing`] for an imported `recorded_at`
    ///   earlier than the previous record's;
    /// - [`AppendError::Store`] when storage fails. If the durability barrier
    ///   itself failed, the outcome is unknown (retry with the same event ids
    ///   after reopening: appends are idempotent).
    fn append(&self, batch: Vec<NewEvent>) -> Result<Appended, AppendError>;

    /// Like [`append`](EventLog::append), but returns once the batch is
    /// written, before it is durable. The records stay invisible to readers
    /// until a durability barrier covers them: call
    /// [`wait_durable`](EventLog::wait_durable) with the last seq before
    /// acknowledging them. Lets a caller that serialises its own decisions
    /// (admission rules) release its lock before waiting, so concurrent
    /// appends share one barrier (group commit).
    ///
    /// # Errors
    /// As [`append`](EventLog::append).
    fn append_deferred(&self, batch: Vec<NewEvent>) -> Result<Appended, AppendError> {
        self.append(batch)
    }

    /// Returns once every record up to `seq` is durable (and visible),
    /// running a barrier if none in progress covers it. Immediate for logs
    /// that are durable on write.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if a barrier failed.
    fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        let _ = seq;
        Ok(())
    }

    /// The last durable record's seq, hash and time ([`Head::EMPTY`] when empty).
    fn head(&self) -> Head;

    /// The records with seq in `[from_seq, from_seq + limit)` that exist
    /// (seq 0 never exists; nothing past the head), in seq order.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or a record is corrupt.
    fn read_range(&self, from_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError>;

    /// Hands `f` a borrowed view of each record [`EventLog::read_range`]
    /// would return, in seq order, without copying the records' strings and
    /// payloads where the log can lend them (a replay's reader).
    ///
    /// # Errors
    ///
    /// As [`EventLog::read_range`], or the first error of `f` (which stops
    /// the walk).
    fn read_range_views(
        &self,
        from_seq: u64,
        limit: usize,
        f: &mut dyn FnMut(RecordView<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for r in self.read_range(from_seq, limit)? {
            f(RecordView::of(&r))?;
        }
        Ok(())
    }

    /// The record at `seq`, or `None` when `seq` is 0 or past the head.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or the record is corrupt/missing.
    fn get(&self, seq: u64) -> Result<Option<Record>, StoreError>;

    /// The seq of the record with this event id, or `None` if not stored.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or the index is corrupt.
    fn seq_of(&self, event_id: &Uuid) -> Result<Option<u64>, StoreError>;

    /// The record with this event id, or `None` if not stored.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or the record is corrupt.
    fn get_by_id(&self, event_id: &Uuid) -> Result<Option<Record>, StoreError> {
        match self.seq_of(event_id)? {
            Some(seq) => self.get(seq),
            None => Ok(None),
        }
    }

    /// The records of `stream` with `stream_version >= from_version`, in
    /// version (and seq) order; empty for an unknown stream.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or a record is corrupt.
    fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<Record>, StoreError>;

    /// The current version of `stream` (its number of records); 0 when unknown.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or the index is corrupt.
    fn stream_version(&self, stream: &str) -> Result<u64, StoreError>;

    /// The largest seq whose `recorded_at <= at`, or 0 if none: the log as
    /// known at instant `at` is exactly the prefix `1..=seq_at(at)`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when storage fails or a record is corrupt.
    fn seq_at(&self, at: Timestamp) -> Result<u64, StoreError>;

    /// Re-reads every record `1..=head`, recomputes the chain and checks seqs,
    /// links, hashes, record times and stream versions; returns the head
    /// verified.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] naming the first bad seq and why; other
    /// [`StoreError`]s when storage fails.
    fn verify(&self) -> Result<Head, StoreError>;

    /// The store of per-participant personal-data keys kept beside this log
    /// (never in it), if the log has one.
    fn keys(&self) -> Option<&dyn KeyStore> {
        None
    }
}

/// The length of a personal-data key in bytes (XChaCha20-Poly1305: 256 bits).
pub const PERSONAL_KEY_BYTES: usize = 32;

/// Per-participant keys sealing personal data (DESIGN.md "Personal data"):
/// kept beside the log in their own storage, never in records, never in
/// exports. Destroying a key erases the participant's personal data while
/// every record and hash stays as it was.
pub trait KeyStore: Send + Sync {
    /// The participant's key, if there is one (none yet, or destroyed).
    ///
    /// # Errors
    /// [`StoreError`] when storage fails or the stored key is malformed.
    fn get_key(&self, participant: &Uuid) -> Result<Option<[u8; PERSONAL_KEY_BYTES]>, StoreError>;

    /// Stores a new key for the participant. It is written now and durable
    /// once the next durability barrier runs: put it *before* appending the
    /// event it sealed, so that the append's barrier covers it (no
    /// acknowledged event is ever left without its key).
    ///
    /// # Errors
    /// [`StoreError::KeyExists`] when the participant already has a key
    /// (keys are never replaced); [`StoreError`] when storage fails.
    fn put_key(&self, participant: &Uuid, key: &[u8; PERSONAL_KEY_BYTES])
        -> Result<(), StoreError>;

    /// Destroys the participant's key, durably, before returning. Returns
    /// whether there was one. See docs/FORMAT.md on what sled keeps in its
    /// segment files until it reuses them.
    ///
    /// # Errors
    /// [`StoreError`] when storage or the durability barrier fails.
    fn destroy_key(&self, participant: &Uuid) -> Result<bool, StoreError>;
}

/// Largest seq in `1..=head_seq` with `recorded_at <= at`, by binary search
/// over `recorded_at_of` (monotone along seq); 0 if none.
pub(crate) fn seq_at_by_search(
    head_seq: u64,
    at: Timestamp,
    mut recorded_at_of: impl FnMut(u64) -> Result<Timestamp, StoreError>,
) -> Result<u64, StoreError> {
    // Invariant: recorded_at(lo) <= at (lo = 0 stands for "none"),
    // recorded_at(hi + 1) > at (hi + 1 = head_seq + 1 stands for "past the end").
    let (mut lo, mut hi) = (0u64, head_seq);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if recorded_at_of(mid)? <= at {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}
