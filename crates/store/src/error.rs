//! The store's error types: [`AppendError`] for refused appends, [`StoreError`]
//! for storage failures and corruption.

use jiff::Timestamp;
use uuid::Uuid;

/// Why an append was refused. Nothing of the batch was stored in any case.
///
/// HTTP mapping (for the server): `EmptyBatch` and `RecordedAtDecreasing`
/// are 400/422 (a bad request); `VersionConflict`, `EventIdReused`,
/// `DuplicateInBatch` and `PartlyStored` are 409 (conflict); `Store` is
/// 500/503.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The batch holds no event.
    #[error("the batch holds no event")]
    EmptyBatch,
    /// An event stated an expected version of its stream that is not the
    /// current one (counting the events before it in the same batch).
    /// `expected` and `actual` are stream versions (0 = the stream does not exist).
    #[error("stream {stream:?} is at version {actual}, the event expected {expected}")]
    VersionConflict {
        /// The stream whose version differs.
        stream: String,
        /// The version the event expected.
        expected: u64,
        /// The stream's version at that point of the batch.
        actual: u64,
        /// The event's place in its batch (0-based).
        index: usize,
    },
    /// The event id is already stored (at `seq`) with different content
    /// (kind, stream, schema_version or payload).
    #[error("event id {event_id} is already stored at seq {seq} with different content")]
    EventIdReused {
        /// The reused event id.
        event_id: Uuid,
        /// Where the original is stored.
        seq: u64,
    },
    /// The batch mixes already-stored event ids (with identical content) and
    /// new ones; `event_id` is the first already-stored one. Resend only the
    /// new events, or the whole original batch.
    #[error("event id {event_id} is already stored but other events of the batch are new")]
    PartlyStored {
        /// The first already-stored event id of the batch.
        event_id: Uuid,
    },
    /// The same event id appears twice in the batch.
    #[error("event id {event_id} appears more than once in the batch")]
    DuplicateInBatch {
        /// The duplicated event id.
        event_id: Uuid,
    },
    /// An imported `recorded_at` is earlier than the log head's (or than the
    /// previous event's of the same batch): record time never decreases along seq.
    #[error("recorded_at {given} is earlier than the head's {head}")]
    RecordedAtDecreasing {
        /// The refused record time.
        given: Timestamp,
        /// The record time it may not precede.
        head: Timestamp,
    },
    /// The storage failed; see [`StoreError`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A storage failure or a corrupt log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file-system operation failed (opening the directory, fsync, ...).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The sled engine reported an error.
    #[error("sled error: {0}")]
    Sled(#[from] sled::Error),
    /// Encoding a record failed (should not happen for well-formed records).
    #[error("codec error: {0}")]
    Codec(String),
    /// The stored data is inconsistent. `seq` is the first bad record
    /// (1-based); `seq` 0 means the metadata rather than a record.
    #[error("corrupt log at seq {seq}: {reason}")]
    Corrupt {
        /// The first bad seq (0 = metadata).
        seq: u64,
        /// What is wrong, for an operator.
        reason: String,
    },
    /// The directory holds a log in an on-disk format this build does not read.
    #[error("unknown log format version {found} (this build reads version {supported})")]
    UnknownFormat {
        /// The `format_version` found on disk.
        found: u32,
        /// The format version this build reads and writes.
        supported: u32,
    },
    /// Another open log holds the directory's lock (another process, or a
    /// log in this process that is still open).
    #[error(
        "the log directory {dir:?} is in use by another open log (a running \
         `grantledger serve` holds it: stop it first, or ask it instead: \
         POST /api/v1/events appends, GET /api/v1/verify checks the log)"
    )]
    Locked {
        /// The log's directory.
        dir: std::path::PathBuf,
    },
    /// A durability barrier (flush + fsync) failed earlier, so the outcome of
    /// writes since then is unknown; the log refuses further appends. Reopen
    /// the log to find out what was stored (retrying with the same event ids
    /// is safe: they are idempotent).
    #[error("the log refuses appends after a failed durability barrier: {reason}")]
    Unavailable {
        /// The error of the failed barrier.
        reason: String,
    },
    /// A participant already has a personal-data key; keys are never replaced.
    #[error("participant {participant} already has a personal-data key")]
    KeyExists {
        /// The participant.
        participant: uuid::Uuid,
    },
}

impl StoreError {
    /// Shorthand for [`StoreError::Corrupt`].
    pub(crate) fn corrupt(seq: u64, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            seq,
            reason: reason.into(),
        }
    }
}
