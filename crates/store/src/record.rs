//! The shapes that go in and out of the log: [`NewEvent`] (to append),
//! [`Record`] (the stored envelope), [`Head`] and [`Appended`].

use jiff::Timestamp;
use uuid::Uuid;

use crate::chain::{Hash, GENESIS_HASH};

/// An event to append. The payload is opaque: the store never decodes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// The idempotency key: appending the same id again with identical
    /// content returns the original record instead of storing a new one.
    pub event_id: Uuid,
    /// The entity the event is about (`project`, `participant-{uuid}`, ...).
    pub stream: String,
    /// Optimistic concurrency check on the stream's version, evaluated after
    /// the events before this one in the same batch:
    /// `None` = no check; `Some(0)` = the stream must not exist yet;
    /// `Some(n)` = its current version must be `n`.
    pub expected_version: Option<u64>,
    /// The stable event kind name (e.g. `ParticipantRegistered`).
    pub kind: String,
    /// The version of the payload's schema for this kind.
    pub schema_version: u16,
    /// The encoded domain event.
    pub payload: Vec<u8>,
    /// The authenticated principal that appends the event.
    pub actor: String,
    /// Only for verbatim import: the record time to store. Refused
    /// ([`AppendError::RecordedAtDecreasing`](crate::AppendError::RecordedAtDecreasing))
    /// if earlier than the head's `recorded_at` (or the previous event's of
    /// the batch). `None` = the store's clock: `max(now, head recorded_at)`.
    pub recorded_at: Option<Timestamp>,
}

impl NewEvent {
    /// An event without expected version and with the store's clock for
    /// `recorded_at`; set the public fields to change that.
    ///
    /// ```
    /// use grantledger_store::NewEvent;
    /// let e = NewEvent::new(uuid::Uuid::nil(), "project", "ProjectDefined", 1, vec![1, 2], "alice");
    /// assert_eq!(e.expected_version, None);
    /// assert_eq!(e.recorded_at, None);
    /// ```
    pub fn new(
        event_id: Uuid,
        stream: impl Into<String>,
        kind: impl Into<String>,
        schema_version: u16,
        payload: Vec<u8>,
        actor: impl Into<String>,
    ) -> Self {
        NewEvent {
            event_id,
            stream: stream.into(),
            expected_version: None,
            kind: kind.into(),
            schema_version,
            payload,
            actor: actor.into(),
            recorded_at: None,
        }
    }
}

/// A stored record: the envelope around one event.
///
/// `hash = SHA-256(prev_hash ‖ canonical bytes of all other fields)`, see
/// [`record_hash`](crate::record_hash).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// Global position: 1-based, gap-free, assigned at append.
    pub seq: u64,
    /// The event's id (idempotency key), unique in the log.
    pub event_id: Uuid,
    /// The entity the event is about.
    pub stream: String,
    /// 1-based, gap-free position within `stream`.
    pub stream_version: u64,
    /// When the ledger stored the event (UTC, nanosecond precision); never
    /// decreases along `seq`.
    pub recorded_at: Timestamp,
    /// The principal that appended the event.
    pub actor: String,
    /// The event kind name.
    pub kind: String,
    /// The payload's schema version.
    pub schema_version: u16,
    /// The encoded domain event (opaque to the store).
    pub payload: Vec<u8>,
    /// The `hash` of the record at `seq - 1`, or [`GENESIS_HASH`] for seq 1.
    pub prev_hash: Hash,
    /// This record's chain hash.
    pub hash: Hash,
}

impl Record {
    /// Whether `e` has the same content as this record: kind, stream,
    /// schema_version and payload (actor, expected_version and recorded_at
    /// are not content).
    pub(crate) fn same_content(&self, e: &NewEvent) -> bool {
        self.kind == e.kind
            && self.stream == e.stream
            && self.schema_version == e.schema_version
            && self.payload == e.payload
    }
}

/// The log's head: its last durable record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The last seq; 0 when the log is empty.
    pub seq: u64,
    /// The last record's hash; [`GENESIS_HASH`] when the log is empty.
    pub hash: Hash,
    /// The last record's `recorded_at`; `None` when the log is empty.
    pub recorded_at: Option<Timestamp>,
}

impl Head {
    /// The head of an empty log: seq 0, [`GENESIS_HASH`], no time.
    pub const EMPTY: Head = Head {
        seq: 0,
        hash: GENESIS_HASH,
        recorded_at: None,
    };

    /// The head after `r`.
    pub fn of(r: &Record) -> Head {
        Head {
            seq: r.seq,
            hash: r.hash,
            recorded_at: Some(r.recorded_at),
        }
    }
}

impl Default for Head {
    fn default() -> Self {
        Head::EMPTY
    }
}

/// The answer to a successful append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// The batch was stored; its records, in batch order (consecutive seqs).
    New(Vec<Record>),
    /// Every event id of the batch was already stored with identical content;
    /// nothing was stored. The original records, in batch order.
    Repeated(Vec<Record>),
}

impl Appended {
    /// The records, new or original, in batch order.
    pub fn records(&self) -> &[Record] {
        match self {
            Appended::New(r) | Appended::Repeated(r) => r,
        }
    }

    /// The records, new or original, in batch order.
    pub fn into_records(self) -> Vec<Record> {
        match self {
            Appended::New(r) | Appended::Repeated(r) => r,
        }
    }

    /// Whether this was a repeat of an already-stored batch.
    pub fn is_repeated(&self) -> bool {
        matches!(self, Appended::Repeated(_))
    }
}
