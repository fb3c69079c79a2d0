//! Upcasters: payloads stored at an older schema version are decoded with
//! the shape they were written in and lifted to the current one. Stored bytes
//! are never rewritten, so the hashes of old records do not change
//! (DOMAIN.md R5.6: the log stays readable).
//!
//! | kind | version | change | upcast |
//! | --- | --- | --- | --- |
//! | `attendance_recorded` | 1 → 2 | optional `mode` added | `mode: None` |
//! | `report_submitted` | 1 → 2 | optional signed `checkpoint` added | `checkpoint: None` |
//! | `event_corrected` | 1 → 2 | replacement stored as `(kind, version, bytes)` instead of `(kind, bytes)` | v1 replacements are at version 1 of their kind |

use serde::Deserialize;
use uuid::Uuid;

use crate::events::{AttendanceRecorded, EventCorrected, ReportSubmitted};
use crate::{DecodeError, Event, Hours, Kind, ShortId};

/// `attendance_recorded` as written at schema version 1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct AttendanceRecordedV1 {
    /// The participant.
    pub participant_id: Uuid,
    /// The session.
    pub session_id: ShortId,
    /// Hours attended.
    pub hours: Hours,
    /// Attendance list reference.
    pub sheet_ref: Option<String>,
}

/// `report_submitted` as written at schema version 1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ReportSubmittedV1 {
    /// Monitoring period.
    pub period_no: u32,
    /// Submission date.
    pub submitted_on: jiff::civil::Date,
    /// The prefix the report was built from.
    pub at_seq: u64,
}

/// `event_corrected` as written at schema version 1: the replacement is
/// `(kind, postcard bytes at version 1)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct EventCorrectedV1 {
    /// The corrected event.
    pub target_event_id: Uuid,
    /// `(kind, bytes)` of the replacement, at version 1 of its kind.
    pub replacement: (String, Vec<u8>),
    /// Why.
    pub reason: String,
}

/// Decodes `bytes` of `kind` written at the older `version` and upcasts them.
///
/// # Errors
/// [`DecodeError::Payload`] when the bytes do not decode as that version, or
/// [`DecodeError::UnknownSchemaVersion`] for a version this code never wrote.
pub fn decode_old(kind: Kind, version: u16, bytes: &[u8]) -> Result<Event, DecodeError> {
    let bad = |e: postcard::Error| DecodeError::Payload {
        kind: kind.as_str().into(),
        reason: e.to_string(),
    };
    match (kind, version) {
        (Kind::AttendanceRecorded, 1) => {
            let v1: AttendanceRecordedV1 = postcard::from_bytes(bytes).map_err(bad)?;
            Ok(Event::AttendanceRecorded(AttendanceRecorded {
                participant_id: v1.participant_id,
                session_id: v1.session_id,
                hours: v1.hours,
                sheet_ref: v1.sheet_ref,
                mode: None,
            }))
        }
        (Kind::ReportSubmitted, 1) => {
            let v1: ReportSubmittedV1 = postcard::from_bytes(bytes).map_err(bad)?;
            Ok(Event::ReportSubmitted(ReportSubmitted {
                period_no: v1.period_no,
                submitted_on: v1.submitted_on,
                at_seq: v1.at_seq,
                checkpoint: None,
            }))
        }
        (Kind::EventCorrected, 1) => {
            let v1: EventCorrectedV1 = postcard::from_bytes(bytes).map_err(bad)?;
            let (inner_kind, inner_bytes) = v1.replacement;
            Ok(Event::EventCorrected(EventCorrected {
                target_event_id: v1.target_event_id,
                replacement: Box::new(Event::decode(&inner_kind, 1, &inner_bytes)?),
                reason: v1.reason,
            }))
        }
        _ => Err(DecodeError::UnknownSchemaVersion {
            kind: kind.as_str().into(),
            found: version,
            supported: kind.schema_version(),
        }),
    }
}

/// The v1 bytes of an attendance, as the program before v2 wrote them (for
/// tests of old logs).
pub fn encode_v1_attendance(v: &AttendanceRecordedV1) -> Vec<u8> {
    postcard::to_allocvec(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1() -> AttendanceRecordedV1 {
        AttendanceRecordedV1 {
            participant_id: Uuid::from_u128(0x0191e0a0_0000_7000_8000_000000000001),
            session_id: ShortId::new("K03-1-S2").unwrap(),
            hours: "6.5".parse().unwrap(),
            sheet_ref: Some("PL-7".into()),
        }
    }

    /// The v1 layout, written out byte by byte (postcard: uuid as 16 length-
    /// prefixed bytes, strings length-prefixed, hours as zigzag varint i64 650,
    /// Option as 0/1 tag). If this changes, old logs no longer read.
    #[test]
    fn v1_attendance_bytes_are_the_documented_layout() {
        let bytes = postcard::to_allocvec(&v1()).unwrap();
        let mut want = vec![16];
        want.extend_from_slice(&0x0191e0a0_0000_7000_8000_000000000001u128.to_be_bytes());
        want.push(8);
        want.extend_from_slice(b"K03-1-S2");
        want.extend_from_slice(&[0x94, 0x0a]); // zigzag(650) = 1300 = 0x514 → varint 94 0a
        want.push(1);
        want.push(4);
        want.extend_from_slice(b"PL-7");
        assert_eq!(bytes, want);
    }

    #[test]
    fn a_v1_attendance_reads_as_v2_without_mode() {
        let bytes = postcard::to_allocvec(&v1()).unwrap();
        let Event::AttendanceRecorded(a) = Event::decode("attendance_recorded", 1, &bytes).unwrap()
        else {
            panic!("wrong kind")
        };
        assert_eq!(
            (a.hours, a.mode, a.sheet_ref.as_deref()),
            ("6.5".parse().unwrap(), None, Some("PL-7"))
        );
    }

    #[test]
    fn v2_bytes_do_not_decode_as_v1_and_the_reverse_is_refused_too() {
        // A v1 record must not be read as v2 (it lacks the mode tag).
        let bytes = postcard::to_allocvec(&v1()).unwrap();
        assert!(Event::decode("attendance_recorded", 2, &bytes).is_err());
    }

    #[test]
    fn a_v1_report_marker_reads_without_checkpoint() {
        let v1 = ReportSubmittedV1 {
            period_no: 1,
            submitted_on: jiff::civil::date(2017, 4, 18),
            at_seq: 306,
        };
        let bytes = postcard::to_allocvec(&v1).unwrap();
        let Event::ReportSubmitted(r) = Event::decode("report_submitted", 1, &bytes).unwrap()
        else {
            panic!("wrong kind")
        };
        assert_eq!((r.at_seq, r.checkpoint), (306, None));
    }

    #[test]
    fn a_v1_correction_of_a_v1_attendance_reads_with_its_replacement_upcast() {
        let inner = postcard::to_allocvec(&v1()).unwrap();
        let c = EventCorrectedV1 {
            target_event_id: Uuid::from_u128(7),
            replacement: ("attendance_recorded".into(), inner),
            reason: "wrong hours".into(),
        };
        let bytes = postcard::to_allocvec(&c).unwrap();
        let Event::EventCorrected(e) = Event::decode("event_corrected", 1, &bytes).unwrap() else {
            panic!("wrong kind")
        };
        assert!(matches!(*e.replacement, Event::AttendanceRecorded(ref a) if a.mode.is_none()));
    }
}
