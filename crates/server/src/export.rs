//! The export format (docs/EXPORT.md): one JSON object per record, with the
//! raw payload so that a verbatim import reproduces every hash.

use base64::Engine;
use grantledger_domain::Event;
use grantledger_store::{NewEvent, Record, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Version of the export line format.
pub const EXPORT_FORMAT: u32 = 1;

/// One exported record: the envelope, the decoded payload for readers and
/// the stored payload bytes for a verbatim import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    /// Global position, 1-based.
    pub seq: u64,
    /// Event id.
    pub event_id: Uuid,
    /// Stream.
    pub stream: String,
    /// Position in the stream, 1-based.
    pub stream_version: u64,
    /// Record time, UTC.
    pub recorded_at: Timestamp,
    /// Who appended it.
    pub actor: String,
    /// Event kind.
    pub kind: String,
    /// Payload schema version as stored.
    pub schema_version: u16,
    /// The payload as JSON in the current shape (upcast if stored at an older version).
    pub data: serde_json::Value,
    /// The stored payload bytes (postcard), base64 (standard, padded).
    pub payload: String,
    /// Hex SHA-256 chain hash of the previous record (zeros for seq 1).
    pub prev_hash: String,
    /// Hex SHA-256 chain hash of this record.
    pub hash: String,
}

impl ExportLine {
    /// The export line of a stored record, personal data as stored (sealed
    /// blobs as `"[sealed]"`). The CLI exports through
    /// [`Service::export_line`](crate::Service::export_line), which also hides
    /// erased participants' clear (v1) fields.
    ///
    /// # Errors
    /// The payload does not decode.
    pub fn of(r: &Record) -> Result<ExportLine, grantledger_domain::DecodeError> {
        let event = Event::decode(&r.kind, r.schema_version, &r.payload)?;
        Ok(ExportLine {
            seq: r.seq,
            event_id: r.event_id,
            stream: r.stream.clone(),
            stream_version: r.stream_version,
            recorded_at: r.recorded_at,
            actor: r.actor.clone(),
            kind: r.kind.clone(),
            schema_version: r.schema_version,
            data: event.data_json(),
            payload: base64::engine::general_purpose::STANDARD.encode(&r.payload),
            prev_hash: hex::encode(r.prev_hash),
            hash: hex::encode(r.hash),
        })
    }

    /// The append that reproduces this record verbatim (same id, stream,
    /// record time, actor, kind, version and bytes).
    ///
    /// # Errors
    /// The payload is not base64, or does not decode as its kind and version.
    pub fn to_new_event(&self) -> Result<NewEvent, String> {
        let payload = base64::engine::general_purpose::STANDARD
            .decode(&self.payload)
            .map_err(|e| format!("payload is not base64: {e}"))?;
        let event =
            Event::decode(&self.kind, self.schema_version, &payload).map_err(|e| e.to_string())?;
        // An erased participant's registration is exported with its personal
        // fields as "[erased]" (the payload, which the hash covers, is as stored).
        let mut masked = event.clone();
        if let Some(reg) = masked.registration_mut() {
            reg.personal = grantledger_domain::Personal::Erased;
        }
        if event.data_json() != self.data && masked.data_json() != self.data {
            return Err(
                "its `data` does not match its `payload` (the hashed bytes); the line was edited"
                    .to_string(),
            );
        }
        Ok(NewEvent {
            event_id: self.event_id,
            stream: self.stream.clone(),
            expected_version: Some(self.stream_version - 1),
            kind: self.kind.clone(),
            schema_version: self.schema_version,
            payload,
            actor: self.actor.clone(),
            recorded_at: Some(self.recorded_at),
        })
    }
}
