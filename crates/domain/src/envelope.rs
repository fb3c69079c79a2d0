//! [`Envelope`]: a stored event with its position and record time, decoded.

use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use crate::Event;

/// A decoded record of the log (DESIGN.md "The log"): the event plus where and
/// when the ledger learned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Envelope {
    /// Global position, 1-based, gap-free.
    pub seq: u64,
    /// The event's id (idempotency key).
    pub event_id: Uuid,
    /// The stream (entity) it belongs to, e.g. `participant-{uuid}`.
    pub stream: String,
    /// 1-based position within the stream.
    pub stream_version: u64,
    /// When the ledger stored it (UTC); never decreases along `seq`.
    pub recorded_at: Timestamp,
    /// The principal that appended it.
    pub actor: String,
    /// The domain event.
    pub event: Event,
    /// SHA-256 chain hash of the record.
    #[serde(serialize_with = "hex_hash")]
    pub hash: [u8; 32],
}

fn hex_hash<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    let mut out = String::with_capacity(64);
    for b in h {
        out.push_str(&format!("{b:02x}"));
    }
    s.serialize_str(&out)
}
