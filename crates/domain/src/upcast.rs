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
//! | `participant_registered` | 1 → 2 | names and birth date stored only sealed (one blob); `age_band_at_entry` added | personal fields read in clear (`Personal::Clear`), age band computed from them |

use serde::Deserialize;
use uuid::Uuid;

use crate::events::{
    AttendanceRecorded, Disadvantage, EventCorrected, Gender, LabourStatus, ParticipantRegistered,
    ParticipantRegisteredJson, ReportSubmitted,
};
use crate::{DecodeError, Event, Hours, Kind, Personal, ShortId};

/// `participant_registered` as written at schema version 1: the personal
/// fields in clear (the clear text stays in those records' bytes for good;
/// erasure can only hide it, docs/FORMAT.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ParticipantRegisteredV1 {
    /// The participant.
    pub participant_id: Uuid,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Birth date.
    pub birth_date: jiff::civil::Date,
    /// Gender.
    pub gender: Gender,
    /// ISCED level.
    pub education_isced: u8,
    /// Labour-market status at entry.
    pub labour_status: LabourStatus,
    /// Disadvantage flags.
    pub disadvantages: Vec<Disadvantage>,
    /// Employer.
    pub organization_id: ShortId,
    /// Entry date.
    pub entry_date: jiff::civil::Date,
}

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
                sheet_ref: v1.sheet_ref.map(String::into_boxed_str),
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
        (Kind::ParticipantRegistered, 1) => {
            let v1: ParticipantRegisteredV1 = postcard::from_bytes(bytes).map_err(bad)?;
            let reg = ParticipantRegistered::from_clear_v1(ParticipantRegisteredJson {
                participant_id: v1.participant_id,
                given_name: Personal::Clear(v1.given_name),
                family_name: Personal::Clear(v1.family_name),
                birth_date: Personal::Clear(v1.birth_date),
                gender: v1.gender,
                education_isced: v1.education_isced,
                labour_status: v1.labour_status,
                disadvantages: v1.disadvantages,
                organization_id: v1.organization_id,
                entry_date: v1.entry_date,
                age_band_at_entry: None,
            })
            .map_err(|reason| DecodeError::Payload {
                kind: kind.as_str().into(),
                reason,
            })?;
            Ok(Event::ParticipantRegistered(Box::new(reg)))
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

/// The v1 bytes of a registration (personal fields in clear), as the program
/// before v2 wrote them (for tests of old logs).
pub fn encode_v1_registration(v: &ParticipantRegisteredV1) -> Vec<u8> {
    postcard::to_allocvec(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{AgeBand, PersonalFields};

    fn v1_registration() -> ParticipantRegisteredV1 {
        ParticipantRegisteredV1 {
            participant_id: Uuid::from_u128(0x0191e0a0_0000_7000_8000_000000000001),
            given_name: "Alena".into(),
            family_name: "Nováková".into(),
            birth_date: jiff::civil::date(1992, 5, 6),
            gender: Gender::Female,
            education_isced: 3,
            labour_status: LabourStatus::Employed,
            disadvantages: vec![Disadvantage::Disability],
            organization_id: ShortId::new("ORG-01").unwrap(),
            entry_date: jiff::civil::date(2017, 5, 5),
        }
    }

    #[test]
    fn a_v1_registration_reads_in_clear_with_its_age_band_computed() {
        let bytes = encode_v1_registration(&v1_registration());
        let Event::ParticipantRegistered(r) =
            Event::decode("participant_registered", 1, &bytes).unwrap()
        else {
            panic!("wrong kind")
        };
        assert_eq!(
            r.personal,
            Personal::Clear(PersonalFields {
                given_name: "Alena".into(),
                family_name: "Nováková".into(),
                birth_date: jiff::civil::date(1992, 5, 6),
            })
        );
        // 24 completed years on the entry date (the birthday is a day later).
        assert_eq!(r.age_band_at_entry, AgeBand::Under25);
        assert_eq!(r.disadvantages, vec![Disadvantage::Disability]);
    }

    #[test]
    fn v1_registration_bytes_do_not_read_as_v2() {
        let bytes = encode_v1_registration(&v1_registration());
        assert!(Event::decode("participant_registered", 2, &bytes).is_err());
    }

    #[test]
    fn a_v1_correction_of_a_v1_registration_reads_with_its_replacement_upcast() {
        let c = EventCorrectedV1 {
            target_event_id: Uuid::from_u128(7),
            replacement: (
                "participant_registered".into(),
                encode_v1_registration(&v1_registration()),
            ),
            reason: "typo".into(),
        };
        let bytes = postcard::to_allocvec(&c).unwrap();
        let Event::EventCorrected(e) = Event::decode("event_corrected", 1, &bytes).unwrap() else {
            panic!("wrong kind")
        };
        let reg = e.replacement.registration().unwrap();
        assert!(matches!(reg.personal, Personal::Clear(_)));
    }

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
