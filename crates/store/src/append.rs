//! The append rules, written once for every [`EventLog`](crate::EventLog)
//! implementation: batch checks, idempotency, expected versions, and the
//! assignment of seq, stream_version, recorded_at and the chain hash.
//!
//! An implementation holds its writer lock, calls [`plan`] with a view of
//! everything written so far, and stores the planned records atomically.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use jiff::Timestamp;
use uuid::Uuid;

use crate::chain::record_hash;
use crate::error::{AppendError, StoreError};
use crate::record::{Head, NewEvent, Record};

/// What [`plan`] needs to read from a log (including records written but
/// not yet durable: the writer sees everything it wrote).
pub(crate) trait AppendView {
    /// The last written record's head.
    fn written_head(&self) -> Head;
    /// The written record with this event id.
    fn find_by_id(&self, event_id: &Uuid) -> Result<Option<Record>, StoreError>;
    /// The written version of `stream` (0 when unknown).
    fn current_version(&self, stream: &str) -> Result<u64, StoreError>;
}

/// The outcome of [`plan`].
#[derive(Debug)]
pub(crate) enum Plan {
    /// Every event was already stored with identical content: the originals,
    /// in batch order. Nothing is to be stored.
    Repeated(Vec<Record>),
    /// The records to store, in seq order, following the written head.
    New(Vec<Record>),
}

/// Decides what appending `batch` means, without writing anything.
///
/// Order of checks: empty batch, duplicates within the batch, idempotency
/// (repeat / reuse / partly stored), then per event the expected version
/// (against the version as it evolves within the batch) and `recorded_at`.
/// `now` is the store's clock, used for events without `recorded_at`.
pub(crate) fn plan(
    view: &impl AppendView,
    batch: Vec<NewEvent>,
    now: Timestamp,
) -> Result<Plan, AppendError> {
    if batch.is_empty() {
        return Err(AppendError::EmptyBatch);
    }
    let mut seen = HashSet::with_capacity(batch.len());
    for e in &batch {
        if !seen.insert(e.event_id) {
            return Err(AppendError::DuplicateInBatch {
                event_id: e.event_id,
            });
        }
    }

    let mut originals = Vec::new();
    let mut first_stored = None;
    for e in &batch {
        if let Some(r) = view.find_by_id(&e.event_id)? {
            if !r.same_content(e) {
                return Err(AppendError::EventIdReused {
                    event_id: e.event_id,
                    seq: r.seq,
                });
            }
            first_stored.get_or_insert(e.event_id);
            originals.push(r);
        }
    }
    if originals.len() == batch.len() {
        return Ok(Plan::Repeated(originals));
    }
    if let Some(event_id) = first_stored {
        return Err(AppendError::PartlyStored { event_id });
    }

    let mut head = view.written_head();
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut records = Vec::with_capacity(batch.len());
    for (index, e) in batch.into_iter().enumerate() {
        let current = match versions.get(&e.stream) {
            Some(v) => *v,
            None => view.current_version(&e.stream)?,
        };
        if let Some(expected) = e.expected_version {
            if expected != current {
                return Err(AppendError::VersionConflict {
                    stream: e.stream,
                    expected,
                    actual: current,
                    index,
                });
            }
        }
        let recorded_at = match (e.recorded_at, head.recorded_at) {
            (Some(given), Some(last)) if given < last => {
                return Err(AppendError::RecordedAtDecreasing { given, head: last });
            }
            (Some(given), _) => given,
            (None, Some(last)) => now.max(last),
            (None, None) => now,
        };
        let seq = head
            .seq
            .checked_add(1)
            .ok_or_else(|| StoreError::corrupt(head.seq, "seq counter overflow"))?;
        let stream_version = current
            .checked_add(1)
            .ok_or_else(|| StoreError::corrupt(seq, "stream version overflow"))?;
        versions.insert(e.stream.clone(), stream_version);
        let mut r = Record {
            seq,
            event_id: e.event_id,
            stream: e.stream,
            stream_version,
            recorded_at,
            actor: e.actor,
            kind: e.kind,
            schema_version: e.schema_version,
            payload: e.payload,
            prev_hash: head.hash,
            hash: [0; 32],
        };
        r.hash = record_hash(&r.prev_hash, &r);
        head = Head::of(&r);
        records.push(r);
    }
    Ok(Plan::New(records))
}
