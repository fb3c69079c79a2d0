//! The [`Event`] enum: every kind of EVENTS.md with its stable name, its JSON
//! and binary forms, its stream and its valid date.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};

use crate::events::*;
use crate::validate::{Validate, RULE_SCHEMA};
use crate::Rejection;

/// Why an event could not be encoded for the log: its personal data is not
/// sealed (the only way plain structs fail to encode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{kind}` does not encode: {reason}")]
pub struct EncodeError {
    /// The kind.
    pub kind: &'static str,
    /// Why.
    pub reason: String,
}

/// Why stored bytes could not be decoded into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The kind name is not one this code knows.
    #[error("unknown event kind `{0}`")]
    UnknownKind(String),
    /// A schema version newer than this code knows (upgrade the program).
    #[error("`{kind}` schema version {found} is newer than the supported {supported}")]
    UnknownSchemaVersion {
        /// The kind.
        kind: String,
        /// The version found in the record.
        found: u16,
        /// The newest this code reads.
        supported: u16,
    },
    /// The bytes do not decode as the kind's payload.
    #[error("`{kind}` payload does not decode: {reason}")]
    Payload {
        /// The kind.
        kind: String,
        /// The codec's message.
        reason: String,
    },
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident($ty:ty) = $name:literal ),* $(,)?) => {
        /// The kind of an event: its stable snake_case name in JSON and in the log.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $( $(#[$doc])* $variant, )*
        }

        impl Kind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The kind's place in [`Kind::ALL`] (a byte for a compact
            /// in-memory form; not stored: the log names kinds by
            /// [`Kind::as_str`]).
            pub fn number(self) -> u8 {
                let mut n = 0u8;
                $( if self == Kind::$variant { return n; } n += 1; )*
                n
            }

            /// The kind at place `n` of [`Kind::ALL`], if any.
            pub fn from_number(n: u8) -> Option<Kind> {
                Kind::ALL.get(usize::from(n)).copied()
            }

            /// The stable name (`attendance_recorded`).
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            /// The schema of this kind's `data` within `g` (definitions collected there).
            pub fn data_schema(self, g: &mut SchemaGenerator) -> Schema {
                match self { $(Kind::$variant => g.subschema_for::<$ty>(),)* }
            }

            /// The JSON Schema of this kind's `data`, standalone (for `schemas/`).
            pub fn schema(self) -> Schema {
                match self { $(Kind::$variant => schemars::schema_for!($ty),)* }
            }
        }

        impl FromStr for Kind {
            type Err = String;
            fn from_str(s: &str) -> Result<Kind, String> {
                match s {
                    $($name => Ok(Kind::$variant),)*
                    other => Err(format!("unknown event kind `{other}`")),
                }
            }
        }

        /// A domain event: one of the kinds of EVENTS.md with its typed payload.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $( $(#[$doc])* $variant($ty), )*
        }

        impl Event {
            /// The event's kind.
            pub fn kind(&self) -> Kind {
                match self { $(Event::$variant(_) => Kind::$variant,)* }
            }

            /// Parses the `data` of a request for `kind`. Unknown fields,
            /// missing fields and malformed values are refused; so is an
            /// array or object where the kind's JSON Schema allows none (a
            /// struct written as an array, a unit variant written as
            /// `{"female": null}`, which serde's derive would take). The
            /// rejection's field is the JSON path under `data` (`data.hours`).
            ///
            /// # Errors
            /// [`Rejection`] of kind `Malformed` (HTTP 400), rule `schema`.
            pub fn from_json(kind: &str, data: &serde_json::Value) -> Result<Event, Rejection> {
                let kind: Kind = kind.parse().map_err(|m: String| Rejection::malformed("kind", RULE_SCHEMA, m))?;
                crate::shape::check(kind, data)?;
                match kind {
                    $(Kind::$variant => parse_data::<$ty>(data).map(Event::$variant),)*
                }
            }

            /// Parses the `data` of a request for `kind` straight from its
            /// JSON text, without building a [`serde_json::Value`]: the fast
            /// path of the import. When it gives `Some`, [`Event::from_json`]
            /// gives the same event for the same text parsed into a value;
            /// `None` says nothing about why (the caller asks
            /// [`Event::from_json`] for the rejection).
            ///
            /// `None` for every `event_corrected`: its replacement's `data`
            /// goes through a `serde_json::Value`, which keeps the last of a
            /// repeated key silently where the request parser refuses it.
            /// Every other payload is a derived struct that refuses a repeated
            /// field, so a repeated key gives `None` too. Texts are not checked
            /// here (control characters, length): the caller must know they
            /// are clean.
            ///
            /// `None` also for a text with an array or object that may stand
            /// where the schema allows none (which serde's derive would take
            /// and [`Event::from_json`] refuses), or with a backslash (a
            /// cheap guard over the text's bytes).
            pub fn from_json_str(kind: &str, data: &str) -> Option<Event> {
                let kind: Kind = kind.parse().ok()?;
                if kind == Kind::EventCorrected {
                    return None;
                }
                let event = match kind {
                    $(Kind::$variant => serde_json::from_str::<$ty>(data).ok().map(Event::$variant),)*
                }?;
                crate::shape::text_may_pass(kind, data).then_some(event)
            }

            /// The payload as JSON (`data` of EVENTS.md).
            pub fn data_json(&self) -> serde_json::Value {
                let v = match self { $(Event::$variant(p) => serde_json::to_value(p),)* };
                v.unwrap_or(serde_json::Value::Null)
            }

            /// The payload in the log's binary codec (postcard) at the current
            /// schema version.
            ///
            /// # Errors
            /// [`EncodeError`] when personal data is not sealed yet (a
            /// `participant_registered`, or a correction replacing one, must
            /// be sealed by the personal-data layer first).
            pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
                let r = match self { $(Event::$variant(p) => postcard::to_allocvec(p),)* };
                r.map_err(|e| EncodeError { kind: self.kind().as_str(), reason: e.to_string() })
            }

            /// [`Event::encode`] appended to `out` (no allocation of its own).
            ///
            /// # Errors
            /// As [`Event::encode`]; `out` may then hold part of the payload.
            pub fn encode_to(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
                let r = match self { $(Event::$variant(p) => postcard::to_io(p, &mut *out).map(drop),)* };
                r.map_err(|e| EncodeError { kind: self.kind().as_str(), reason: e.to_string() })
            }

            /// Decodes a payload of `kind` encoded by [`Event::encode`] at the
            /// current schema version.
            ///
            /// # Errors
            /// [`DecodeError::Payload`] for bad bytes.
            pub fn decode_current(kind: Kind, bytes: &[u8]) -> Result<Event, DecodeError> {
                let bad = |e: postcard::Error| DecodeError::Payload { kind: kind.as_str().into(), reason: e.to_string() };
                Ok(match kind { $(Kind::$variant => Event::$variant(postcard::from_bytes(bytes).map_err(bad)?),)* })
            }

            /// Decodes a stored payload of `kind` at `schema_version`.
            ///
            /// # Errors
            /// [`DecodeError`] for an unknown kind, a newer schema version or bad bytes.
            pub fn decode(kind: &str, schema_version: u16, bytes: &[u8]) -> Result<Event, DecodeError> {
                let k: Kind = kind.parse().map_err(|_| DecodeError::UnknownKind(kind.to_string()))?;
                let current = k.schema_version();
                if schema_version > current || schema_version == 0 {
                    return Err(DecodeError::UnknownSchemaVersion { kind: kind.into(), found: schema_version, supported: current });
                }
                if schema_version < current {
                    return crate::upcast::decode_old(k, schema_version, bytes);
                }
                let bad = |e: postcard::Error| DecodeError::Payload { kind: kind.into(), reason: e.to_string() };
                Ok(match k { $(Kind::$variant => Event::$variant(postcard::from_bytes(bytes).map_err(bad)?),)* })
            }

            /// Stateless validation of the payload.
            ///
            /// # Errors
            /// The first problem, field relative to `data`.
            pub fn validate(&self) -> Result<(), Rejection> {
                match self { $(Event::$variant(p) => p.validate(),)* }
            }
        }
    };
}

catalogue! {
    /// `project_defined`
    ProjectDefined(Box<ProjectDefined>) = "project_defined",
    /// `organization_joined`
    OrganizationJoined(Box<OrganizationJoined>) = "organization_joined",
    /// `course_defined`
    CourseDefined(Box<CourseDefined>) = "course_defined",
    /// `course_run_scheduled`
    CourseRunScheduled(Box<CourseRunScheduled>) = "course_run_scheduled",
    /// `session_held`
    SessionHeld(SessionHeld) = "session_held",
    /// `seminar_held`
    SeminarHeld(SeminarHeld) = "seminar_held",
    /// `workshop_held`
    WorkshopHeld(WorkshopHeld) = "workshop_held",
    /// `conference_held`
    ConferenceHeld(Box<ConferenceHeld>) = "conference_held",
    /// `participant_registered`
    ParticipantRegistered(Box<ParticipantRegistered>) = "participant_registered",
    /// `participant_enrolled`
    ParticipantEnrolled(ParticipantEnrolled) = "participant_enrolled",
    /// `attendance_recorded`
    AttendanceRecorded(AttendanceRecorded) = "attendance_recorded",
    /// `internship_completed`
    InternshipCompleted(Box<InternshipCompleted>) = "internship_completed",
    /// `participant_exited`
    ParticipantExited(ParticipantExited) = "participant_exited",
    /// `staff_contracted`
    StaffContracted(Box<StaffContracted>) = "staff_contracted",
    /// `staff_contract_amended`
    StaffContractAmended(Box<StaffContractAmended>) = "staff_contract_amended",
    /// `timesheet_filed`
    TimesheetFiled(Box<TimesheetFiled>) = "timesheet_filed",
    /// `expense_recorded`
    ExpenseRecorded(Box<ExpenseRecorded>) = "expense_recorded",
    /// `expense_paid`
    ExpensePaid(ExpensePaid) = "expense_paid",
    /// `report_submitted`
    ReportSubmitted(ReportSubmitted) = "report_submitted",
    /// `event_corrected`
    EventCorrected(EventCorrected) = "event_corrected",
    /// `event_voided`
    EventVoided(EventVoided) = "event_voided",
    /// `personal_data_erased`
    PersonalDataErased(PersonalDataErased) = "personal_data_erased",
    /// `rule_set_adopted`
    RuleSetAdopted(RuleSetAdopted) = "rule_set_adopted",
}

impl Kind {
    /// The payload schema version this code writes for the kind; older
    /// versions are read through the upcasters of [`crate::upcast`].
    ///
    /// - `attendance_recorded` v2 adds the optional `mode` (`in_person` | `online`);
    /// - `report_submitted` v2 adds the optional signed `checkpoint` of `at_seq`;
    /// - `event_corrected` v2 stores its replacement with the replacement's own
    ///   schema version (`(kind, version, bytes)`; v1 stored `(kind, bytes)` at v1);
    /// - `participant_registered` v2 stores the personal fields only sealed
    ///   (one blob) and adds `age_band_at_entry`; v1 stored them in clear.
    ///
    /// Every other kind is at v1.
    pub fn schema_version(self) -> u16 {
        match self {
            Kind::AttendanceRecorded
            | Kind::EventCorrected
            | Kind::ReportSubmitted
            | Kind::ParticipantRegistered => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn parse_data<T: serde::de::DeserializeOwned>(data: &serde_json::Value) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(data).map_err(|e| {
        let path = e.path().to_string();
        let mut field = if path == "." || path.is_empty() {
            "data".to_string()
        } else {
            format!("data.{path}")
        };
        let mut message = strip_position(&e.into_inner().to_string());
        // A nested event (a correction's replacement) reports "data.x: why" in its message.
        if field.ends_with(".replacement") {
            if let Some((inner, why)) = message.split_once(": ") {
                if inner == "kind" || inner == "data" || inner.starts_with("data.") {
                    field = format!("{field}.{inner}");
                    message = why.to_string();
                }
            }
        }
        // A whole-struct check (a `TryFrom`) names its field as "field: why".
        if !field.ends_with(".replacement") {
            if let Some((name, why)) = message.split_once(": ") {
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    field = format!("{field}.{name}");
                    message = why.to_string();
                }
            }
        }
        // serde names the missing/unknown field in its message; put it in the path too.
        if let Some(name) = missing_or_unknown(&message) {
            if !field.ends_with(&format!(".{name}")) {
                field = format!("{field}.{name}");
            }
        }
        // serde's words for an externally tagged enum (a string or a map);
        // the schema allows only its strings
        if let Some(head) = message.strip_suffix(", expected string or map") {
            message = format!("{head}, expected a string (one of the schema's values)");
        }
        // serde's names of unsigned integers, in words
        for (rust, words) in [
            ("u8", "a whole number from 0 to 255"),
            ("u16", "a whole number from 0 to 65535"),
            ("u32", "a whole number from 0 to 4294967295"),
            ("u64", "a whole number from 0 to 18446744073709551615"),
        ] {
            if let Some(head) = message.strip_suffix(&format!(", expected {rust}")) {
                message = format!("{head}, expected {words}");
            }
        }
        // jiff's words for a date it could not read (a civil date is the
        // only jiff type in `data`)
        if message.contains("jiff")
            || message.starts_with("failed to parse")
            || message.starts_with("parsed date")
            || message.contains("invalid date")
        {
            message = "is not a valid date YYYY-MM-DD (a real calendar day)".to_string();
        }
        Rejection::malformed(field, RULE_SCHEMA, message)
    })
}

/// The field named by serde's "missing field `x`" / "unknown field `x`" messages.
fn missing_or_unknown(msg: &str) -> Option<String> {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Stream names: the entity an event is about (DESIGN.md "The log").
impl Event {
    /// The stream this event belongs to, or `None` for `event_corrected` /
    /// `event_voided`, which join their target's stream.
    pub fn stream(&self) -> Option<String> {
        Some(match self {
            Event::ProjectDefined(_) | Event::RuleSetAdopted(_) => "project".to_string(),
            Event::OrganizationJoined(e) => format!("organization-{}", e.organization_id),
            Event::CourseDefined(e) => format!("course-{}", e.course_id),
            Event::CourseRunScheduled(e) => format!("run-{}", e.run_id),
            Event::SessionHeld(e) => format!("run-{}", e.run_id),
            Event::SeminarHeld(e) => format!("seminar-{}", e.seminar_id),
            Event::WorkshopHeld(e) => format!("workshop-{}", e.workshop_id),
            Event::ConferenceHeld(e) => format!("conference-{}", e.conference_id),
            Event::ParticipantRegistered(e) => format!("participant-{}", e.participant_id),
            Event::ParticipantEnrolled(e) => format!("participant-{}", e.participant_id),
            Event::AttendanceRecorded(e) => format!("participant-{}", e.participant_id),
            Event::InternshipCompleted(e) => format!("participant-{}", e.participant_id),
            Event::ParticipantExited(e) => format!("participant-{}", e.participant_id),
            Event::PersonalDataErased(e) => format!("participant-{}", e.participant_id),
            Event::StaffContracted(e) => format!("staff-{}", e.staff_id),
            Event::StaffContractAmended(e) => format!("staff-{}", e.staff_id),
            Event::TimesheetFiled(e) => format!("staff-{}", e.staff_id),
            Event::ExpenseRecorded(e) => format!("expense-{}", e.expense_id),
            Event::ExpensePaid(e) => format!("expense-{}", e.expense_id),
            Event::ReportSubmitted(e) => format!("report-{}", e.period_no),
            Event::EventCorrected(_) | Event::EventVoided(_) => return None,
        })
    }

    /// What a fact is about: its stream, and for a session its id and for a
    /// timesheet its month. A correction must keep it (ledger rule G5): to
    /// record something about another entity, void and record anew.
    pub fn identity(&self) -> Option<String> {
        match self {
            Event::SessionHeld(e) => Some(format!("session {}", e.session_id)),
            Event::TimesheetFiled(e) => Some(format!("staff-{} {}", e.staff_id, e.month)),
            other => other.stream(),
        }
    }

    /// The valid date of the event in the project calendar, when the payload
    /// alone gives it. `attendance_recorded` takes its session's date and
    /// corrections take their target's, so both give `None` here.
    pub fn valid_date(&self) -> Option<Date> {
        match self {
            Event::ProjectDefined(e) => Some(e.period.start),
            Event::OrganizationJoined(e) => Some(e.joined_on),
            Event::CourseDefined(_) => None,
            Event::CourseRunScheduled(e) => Some(e.start),
            Event::SessionHeld(e) => Some(e.date),
            Event::SeminarHeld(e) => Some(e.date),
            Event::WorkshopHeld(e) => Some(e.date),
            Event::ConferenceHeld(e) => Some(e.end),
            Event::ParticipantRegistered(e) => Some(e.entry_date),
            Event::ParticipantEnrolled(e) => Some(e.enrolled_on),
            Event::AttendanceRecorded(_) => None,
            Event::InternshipCompleted(e) => Some(e.end),
            Event::ParticipantExited(e) => Some(e.exit_date),
            Event::StaffContracted(e) => Some(e.start),
            Event::StaffContractAmended(e) => Some(e.effective_from),
            Event::TimesheetFiled(e) => Some(e.month.last_day()),
            Event::ExpenseRecorded(e) => Some(e.taxable_supply_date),
            Event::ExpensePaid(e) => Some(e.paid_on),
            Event::ReportSubmitted(e) => Some(e.submitted_on),
            Event::EventCorrected(_) | Event::EventVoided(_) | Event::PersonalDataErased(_) => None,
            Event::RuleSetAdopted(e) => Some(e.effective_from),
        }
    }

    /// The registration carrying personal data in this event: the event
    /// itself, or a correction's replacement (at any depth).
    pub fn registration(&self) -> Option<&ParticipantRegistered> {
        match self {
            Event::ParticipantRegistered(p) => Some(p),
            Event::EventCorrected(c) => c.replacement.registration(),
            _ => None,
        }
    }

    /// [`Event::registration`], to seal, open or hide its personal data.
    pub fn registration_mut(&mut self) -> Option<&mut ParticipantRegistered> {
        match self {
            Event::ParticipantRegistered(p) => Some(p),
            Event::EventCorrected(c) => c.replacement.registration_mut(),
            _ => None,
        }
    }

    /// The payload's schema version as this code writes it ([`Kind::schema_version`]).
    pub fn schema_version(&self) -> u16 {
        self.kind().schema_version()
    }
}

/// JSON: `{"kind": "...", "data": {...}}`; binary: `(kind, schema version, postcard bytes)`.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut st = s.serialize_struct("Event", 2)?;
            st.serialize_field("kind", self.kind().as_str())?;
            st.serialize_field("data", &self.data_json())?;
            st.end()
        } else {
            let mut t = s.serialize_tuple(3)?;
            t.serialize_element(self.kind().as_str())?;
            t.serialize_element(&self.schema_version())?;
            t.serialize_element(&self.encode().map_err(serde::ser::Error::custom)?)?;
            t.end()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventJson {
    kind: String,
    data: serde_json::Value,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let j = EventJson::deserialize(d)?;
            Event::from_json(&j.kind, &j.data)
                .map_err(|r| de::Error::custom(format!("{}: {}", r.field, r.message)))
        } else {
            let (kind, version, bytes): (String, u16, Vec<u8>) = Deserialize::deserialize(d)?;
            Event::decode(&kind, version, &bytes).map_err(de::Error::custom)
        }
    }
}

impl JsonSchema for Event {
    fn schema_name() -> Cow<'static, str> {
        "Event".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let variants: Vec<serde_json::Value> = Kind::ALL
            .iter()
            .map(|k| {
                let data = k.data_schema(g);
                serde_json::json!({
                    "type": "object",
                    "properties": {"kind": {"const": k.as_str()}, "data": data},
                    "required": ["kind", "data"],
                    "additionalProperties": false,
                })
            })
            .collect();
        json_schema!({ "oneOf": variants })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attendance() -> serde_json::Value {
        json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "session_id": "K03-1-S2", "hours": "6",
               "sheet_ref": "PL-K03-1-S2"})
    }

    /// Kind numbers are the places in `Kind::ALL`, each given once; an
    /// event encoded into a buffer after other bytes decodes back equal.
    #[test]
    fn kind_numbers_and_encoding_into_a_buffer_round_trip() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(usize::from(k.number()), i);
            assert_eq!(Kind::from_number(k.number()), Some(*k));
        }
        assert_eq!(
            Kind::from_number(u8::try_from(Kind::ALL.len()).unwrap()),
            None
        );
        let e = Event::from_json("attendance_recorded", &attendance()).unwrap();
        let mut buf = vec![7, 7];
        e.encode_to(&mut buf).unwrap();
        assert_eq!(&buf[2..], &e.encode().unwrap()[..]);
        assert_eq!(Event::decode_current(e.kind(), &buf[2..]).unwrap(), e);
        assert!(Event::decode_current(Kind::ExpenseRecorded, &buf[2..]).is_err());
    }

    /// A day holds 24 hours: dated timesheet entries of one day are summed
    /// (docs/RULES.md `range`), naming the entry that passes 24 h; the same
    /// hours on different days pass.
    #[test]
    fn a_timesheets_entries_of_one_day_hold_at_most_24_hours() {
        let entry = |hours: &str, date: &str| json!({"activity": "KA1", "description": "lectures", "hours": hours, "date": date});
        let sheet = |entries: serde_json::Value| {
            Event::from_json(
                "timesheet_filed",
                &json!({"staff_id": "ST-1", "month": "2018-09", "entries": entries}),
            )
            .unwrap()
            .validate()
        };
        assert!(sheet(json!([
            entry("20", "2018-09-03"),
            entry("20", "2018-09-04")
        ]))
        .is_ok());
        assert!(sheet(json!([
            entry("12", "2018-09-03"),
            entry("12", "2018-09-03")
        ]))
        .is_ok());
        let r = sheet(json!([
            entry("20", "2018-09-03"),
            entry("3", "2018-09-04"),
            entry("4.5", "2018-09-03")
        ]))
        .unwrap_err();
        assert_eq!(
            (r.field.as_str(), r.rule.as_str()),
            ("entries[2].hours", "range")
        );
        assert_eq!(
            r.message,
            "the entries dated 2018-09-03 (entries[0] on) total 24.5 h, more than the 24 hours of a day"
        );
    }

    /// Texts a manager must give are refused blank, naming the field; a
    /// disadvantage flag is refused twice.
    #[test]
    fn blank_texts_and_repeated_flags_are_refused() {
        let run = json!({"run_id": "K1-1", "course_id": "K1", "start": "2017-03-01", "end": "2017-03-31",
            "venue": "Ostrava", "lecturer": "Ing. Eva Malá"});
        let workshop = json!({"workshop_id": "W1", "date": "2017-03-01", "venue": "Opava", "hours": "4", "attendees": 10});
        let course = json!({"course_id": "K1", "title": "Základy", "topic": "management", "planned_hours": "8"});
        for (kind, base, field) in [
            ("course_run_scheduled", &run, "venue"),
            ("course_run_scheduled", &run, "lecturer"),
            ("workshop_held", &workshop, "venue"),
            ("course_defined", &course, "topic"),
        ] {
            assert!(
                Event::from_json(kind, base).unwrap().validate().is_ok(),
                "{kind}"
            );
            let mut d = base.clone();
            d[field] = json!("  ");
            let r = Event::from_json(kind, &d).unwrap().validate().unwrap_err();
            assert_eq!(
                (r.field.as_str(), r.message.as_str()),
                (field, "must not be empty"),
                "{kind}"
            );
        }
        let reg = json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
            "family_name": "Nováková", "birth_date": "1992-05-06", "gender": "female",
            "education_isced": 3, "labour_status": "employed", "disadvantages": ["disability", "other", "disability"],
            "organization_id": "ORG-01", "entry_date": "2017-05-05"});
        let r = Event::from_json("participant_registered", &reg)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(r.field, "disadvantages[2]");
        assert_eq!(
            r.message,
            "\"disability\" is listed twice; each disadvantage is a flag, given once"
        );
        let mut strict = reg.clone();
        strict["disadvantages"] = json!(["disability"]);
        strict["birth_date"] = json!("19920506");
        let r = Event::from_json("participant_registered", &strict).unwrap_err();
        assert_eq!(r.field, "data.birth_date");
        assert!(
            r.message.starts_with("\"19920506\" is not a valid date"),
            "{}",
            r.message
        );
    }

    /// The import's fast path refuses (gives `None` for) what the slow path
    /// refuses: a date in another form than `YYYY-MM-DD`.
    #[test]
    fn the_fast_path_takes_no_lenient_date() {
        let ok = r#"{"seminar_id": "SEM-1", "municipality": "Brno", "date": "2017-03-01", "hours": "4", "attendees": 12}"#;
        assert!(Event::from_json_str("seminar_held", ok).is_some());
        for bad in ["20170301", "2017-03-01T00:00:00", "+002017-03-01"] {
            let text = ok.replace("2017-03-01", bad);
            assert_eq!(Event::from_json_str("seminar_held", &text), None, "{bad}");
        }
    }

    #[test]
    fn attendance_parses_from_the_contract_example() {
        let e = Event::from_json("attendance_recorded", &attendance()).unwrap();
        let Event::AttendanceRecorded(a) = &e else {
            panic!("wrong kind")
        };
        assert_eq!(a.hours, crate::Hours::from_whole(6));
        assert_eq!(a.sheet_ref.as_deref(), Some("PL-K03-1-S2"));
        assert_eq!(
            e.stream().unwrap(),
            "participant-0191e0a0-0000-7000-8000-000000000001"
        );
    }

    #[test]
    fn payload_round_trips_through_the_binary_codec() {
        let e = Event::from_json(
            "participant_registered",
            &json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                    "family_name": "Nováková", "birth_date": "1980-02-29", "gender": "female",
                    "education_isced": 3, "labour_status": "employed", "disadvantages": ["disability"],
                    "organization_id": "ORG-01", "entry_date": "2016-11-02"}),
        )
        .unwrap();
        // Personal data in clear never encodes: it must be sealed first.
        assert!(e.encode().is_err());
        let mut e = e;
        e.registration_mut().unwrap().personal = crate::Personal::Sealed(vec![7; 40]);
        let bytes = e.encode().unwrap();
        assert_eq!(
            Event::decode("participant_registered", 2, &bytes).unwrap(),
            e
        );
        let wrapped = EventCorrected {
            target_event_id: uuid::Uuid::nil(),
            replacement: Box::new(e.clone()),
            reason: "typo".into(),
        };
        let c = Event::EventCorrected(wrapped);
        assert_eq!(
            Event::decode("event_corrected", 2, &c.encode().unwrap()).unwrap(),
            c
        );
        // JSON shows a sealed registration's personal fields as markers, never bytes.
        let data = c.data_json();
        let shown = &data["replacement"]["data"];
        assert_eq!(shown["given_name"], "[sealed]");
        assert_eq!(shown["birth_date"], "[sealed]");
        assert_eq!(shown["age_band_at_entry"], "from25_to54");
    }

    #[test]
    fn a_uuid_in_data_must_be_hyphenated_in_either_case() {
        let with = |id: &str| {
            let mut d = attendance();
            d["participant_id"] = json!(id);
            Event::from_json("attendance_recorded", &d)
        };
        let upper = with("0191E0A0-0000-7000-8000-00000000000A").unwrap();
        let Event::AttendanceRecorded(a) = upper else {
            panic!("wrong kind")
        };
        assert_eq!(
            a.participant_id.to_string(),
            "0191e0a0-0000-7000-8000-00000000000a"
        );
        for bad in [
            "{0191e0a0-0000-7000-8000-000000000001}",
            "urn:uuid:0191e0a0-0000-7000-8000-000000000001",
            "0191e0a0000070008000000000000001",
            "0191e0a0-0000-7000-8000-00000000000g",
            "0191e0a0-0000-7000-8000_000000000001",
        ] {
            let r = with(bad).unwrap_err();
            assert_eq!(r.field, "data.participant_id", "{bad}");
            assert!(r.message.contains("8-4-4-4-12"), "{bad}: {}", r.message);
            // the import's fast path refuses it too (and the caller then asks from_json)
            let text = serde_json::to_string(&{
                let mut d = attendance();
                d["participant_id"] = json!(bad);
                d
            })
            .unwrap();
            assert_eq!(
                Event::from_json_str("attendance_recorded", &text),
                None,
                "{bad}"
            );
        }
    }

    /// A date or a whole number that does not parse is named in words, not
    /// in jiff's or serde's (a fresh-user trial's list).
    #[test]
    fn a_bad_date_or_whole_number_is_named_in_words() {
        for (field, value, want) in [
            (
                "date",
                json!("2017-3-1"),
                "\"2017-3-1\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            (
                "date",
                json!("99999-03-01"),
                "\"99999-03-01\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            (
                "date",
                json!("2017-02-30"),
                "\"2017-02-30\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            // forms jiff reads that the contract (EVENTS.md: `YYYY-MM-DD`) does not
            (
                "date",
                json!("20170301"),
                "\"20170301\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            (
                "date",
                json!("2017-03-01T00:00:00"),
                "\"2017-03-01T00:00:00\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            (
                "date",
                json!("+002017-03-01"),
                "\"+002017-03-01\" is not a valid date YYYY-MM-DD (a real calendar day)",
            ),
            (
                "date",
                json!(20170301),
                "invalid type: integer `20170301`, expected a date YYYY-MM-DD",
            ),
            (
                "attendees",
                json!(-1),
                "invalid value: integer `-1`, expected a whole number from 0 to 4294967295",
            ),
            (
                "attendees",
                json!("3"),
                "invalid type: string \"3\", expected a whole number from 0 to 4294967295",
            ),
        ] {
            let mut d = json!({"seminar_id": "SEM-1", "municipality": "Brno", "date": "2017-03-01", "hours": "4", "attendees": 12});
            d[field] = value;
            let r = Event::from_json("seminar_held", &d).unwrap_err();
            assert_eq!(
                (r.field.as_str(), r.message.as_str()),
                (format!("data.{field}").as_str(), want)
            );
        }
    }

    #[test]
    fn a_wrong_type_for_an_enum_asks_for_a_string_not_a_map() {
        let mut d = json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                "family_name": "Nováková", "birth_date": "1992-05-06", "gender": "female",
                "education_isced": 3, "labour_status": "employed",
                "organization_id": "ORG-01", "entry_date": "2017-05-05"});
        for wrong in [json!(null), json!(3)] {
            d["gender"] = wrong;
            let r = Event::from_json("participant_registered", &d).unwrap_err();
            assert_eq!(r.field, "data.gender");
            assert!(
                r.message
                    .ends_with("expected a string (one of the schema's values)"),
                "{}",
                r.message
            );
        }
    }

    #[test]
    fn a_registration_in_clear_round_trips_through_json_with_its_age_band() {
        let d = json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                "family_name": "Nováková", "birth_date": "1992-05-06", "gender": "female",
                "education_isced": 3, "labour_status": "employed",
                "organization_id": "ORG-01", "entry_date": "2017-05-05"});
        let e = Event::from_json("participant_registered", &d).unwrap();
        let out = e.data_json();
        assert_eq!(out["given_name"], "Alena");
        assert_eq!(out["age_band_at_entry"], "under25");
        assert_eq!(Event::from_json("participant_registered", &out).unwrap(), e);
        // A given age band must be the computed one.
        let mut wrong = d.clone();
        wrong["age_band_at_entry"] = json!("over54");
        let r = Event::from_json("participant_registered", &wrong).unwrap_err();
        assert_eq!(
            (r.field.as_str(), r.message.as_str()),
            (
                "data.age_band_at_entry",
                "must be the band computed from birth_date and entry_date (under25), or be left out"
            )
        );
        // Hidden-data markers are not names.
        let mut marker = d;
        marker["family_name"] = json!("[erased]");
        let r = Event::from_json("participant_registered", &marker)
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(r.field, "family_name");
    }

    #[test]
    fn erased_personal_data_shows_as_erased_in_json() {
        let d = json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                "family_name": "Nováková", "birth_date": "1980-02-29", "gender": "female",
                "education_isced": 3, "labour_status": "employed",
                "organization_id": "ORG-01", "entry_date": "2016-11-02"});
        let mut e = Event::from_json("participant_registered", &d).unwrap();
        e.registration_mut().unwrap().personal = crate::Personal::Erased;
        let out = e.data_json();
        for f in ["given_name", "family_name", "birth_date"] {
            assert_eq!(out[f], "[erased]", "{f}");
        }
        assert_eq!(out["gender"], "female");
        assert_eq!(out["age_band_at_entry"], "from25_to54");
    }

    #[test]
    fn unknown_field_is_refused_and_named() {
        let mut d = attendance();
        d["minutes"] = json!(5);
        let r = Event::from_json("attendance_recorded", &d).unwrap_err();
        assert_eq!(r.field, "data.minutes");
        assert_eq!(r.rule, "schema");
    }

    #[test]
    fn missing_field_is_refused_and_named() {
        let mut d = attendance();
        d.as_object_mut().unwrap().remove("hours");
        let r = Event::from_json("attendance_recorded", &d).unwrap_err();
        assert_eq!(r.field, "data.hours");
    }

    #[test]
    fn negative_hours_are_refused_with_the_field() {
        let mut d = attendance();
        d["hours"] = json!("-2");
        let r = Event::from_json("attendance_recorded", &d).unwrap_err();
        assert_eq!(r.field, "data.hours");
        assert!(r.message.contains("negative"), "{}", r.message);
    }

    /// EVENTS.md lists `sheet_ref` without `?`: a new attendance names its
    /// attendance list, not blank.
    #[test]
    fn an_attendance_without_its_sheet_ref_is_refused() {
        for sheet in [None, Some(json!(null)), Some(json!("  "))] {
            let mut d = attendance();
            match sheet {
                None => drop(d.as_object_mut().unwrap().remove("sheet_ref")),
                Some(v) => d["sheet_ref"] = v,
            }
            let r = Event::from_json("attendance_recorded", &d)
                .unwrap()
                .validate()
                .unwrap_err();
            assert_eq!(
                (r.field.as_str(), r.rule.as_str()),
                ("sheet_ref", "schema"),
                "{d}"
            );
        }
    }

    #[test]
    fn more_than_24_hours_in_a_day_is_refused() {
        let mut d = attendance();
        d["hours"] = json!("24.5");
        let e = Event::from_json("attendance_recorded", &d).unwrap();
        let r = e.validate().unwrap_err();
        assert_eq!((r.field.as_str(), r.rule.as_str()), ("hours", "range"));
    }

    #[test]
    fn a_replacement_field_error_names_the_full_path() {
        let d = json!({"target_event_id": "0191e0a0-0000-7000-8000-000000000009", "reason": "typo",
            "replacement": {"kind": "attendance_recorded", "data": {"participant_id": "0191e0a0-0000-7000-8000-000000000001", "session_id": "S", "hours": "x"}}});
        let r = Event::from_json("event_corrected", &d).unwrap_err();
        assert_eq!(r.field, "data.replacement.data.hours");
        assert!(r.message.contains("not a decimal"), "{}", r.message);
    }

    #[test]
    fn an_impossible_date_is_refused_in_plain_words() {
        let d = json!({"session_id": "S", "run_id": "R", "date": "2017-02-30", "hours": "2"});
        let r = Event::from_json("session_held", &d).unwrap_err();
        assert_eq!(r.field, "data.date");
        assert!(!r.message.contains("jiff"), "{}", r.message);
    }

    #[test]
    fn unknown_kind_is_refused() {
        let r = Event::from_json("attendance_guessed", &attendance()).unwrap_err();
        assert_eq!(r.field, "kind");
    }

    /// From text, the same event as from the parsed value; `None` for a
    /// correction, a repeated key, an unknown kind or a bad payload.
    #[test]
    fn an_event_from_text_is_the_event_from_its_value() {
        let registration = json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                "family_name": "Nováková", "birth_date": "1980-02-29", "gender": "female",
                "education_isced": 3, "labour_status": "employed", "disadvantages": ["disability"],
                "organization_id": "ORG-01", "entry_date": "2016-11-02"});
        let session = json!({"session_id": "S", "run_id": "R", "date": "2017-02-28", "hours": "2"});
        for (kind, data) in [
            ("attendance_recorded", attendance()),
            ("participant_registered", registration),
            ("session_held", session),
        ] {
            assert_eq!(
                Event::from_json_str(kind, &data.to_string()),
                Some(Event::from_json(kind, &data).unwrap()),
                "{kind}"
            );
        }
        let correction = json!({"target_event_id": "0191e0a0-0000-7000-8000-000000000009", "reason": "typo",
            "replacement": {"kind": "attendance_recorded", "data": attendance()}});
        assert!(Event::from_json("event_corrected", &correction).is_ok());
        assert_eq!(
            Event::from_json_str("event_corrected", &correction.to_string()),
            None
        );
        let repeated = r#"{"participant_id": "0191e0a0-0000-7000-8000-000000000001", "session_id": "S", "hours": "6", "hours": "1"}"#;
        assert_eq!(Event::from_json_str("attendance_recorded", repeated), None);
        let text = attendance().to_string();
        assert_eq!(Event::from_json_str("attendance_guessed", &text), None);
        assert_eq!(Event::from_json_str("session_held", &text), None);
    }

    #[test]
    fn newer_schema_version_is_refused_on_decode() {
        let e = Event::from_json("attendance_recorded", &attendance()).unwrap();
        assert!(matches!(
            Event::decode("attendance_recorded", 3, &e.encode().unwrap()),
            Err(DecodeError::UnknownSchemaVersion {
                found: 3,
                supported: 2,
                ..
            })
        ));
    }

    #[test]
    fn every_kind_has_a_schema_and_round_trips_its_name() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
            let s = serde_json::to_value(k.schema()).unwrap();
            assert!(
                s.get("properties").is_some() || s.get("$ref").is_some(),
                "{k}"
            );
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Arbitrary JSON values, nested a few levels.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            prop_oneof![
                Just("2017-02-30"),
                Just("6.5"),
                Just("-1"),
                Just("1e3"),
                Just("0191e0a0-0000-7000-8000-000000000001"),
                Just("2017-13")
            ]
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("hours".to_string()),
                        Just("participant_id".to_string()),
                        Just("session_id".to_string()),
                        Just("date".to_string()),
                        Just("replacement".to_string()),
                        Just("kind".to_string()),
                        Just("data".to_string()),
                        ".{0,8}".prop_map(String::from)
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The event JSON parser refuses or accepts any input — it never
        /// panics — and what it accepts validates and round-trips.
        #[test]
        fn arbitrary_json_never_panics_the_event_parser(k in 0usize..Kind::ALL.len(), data in json()) {
            let kind = Kind::ALL[k].as_str();
            if let Ok(e) = Event::from_json(kind, &data) {
                let _ = e.validate();
                prop_assert_eq!(Event::from_json(kind, &e.data_json()).ok().map(|x| x.kind()), Some(e.kind()));
            }
        }

        /// Arbitrary bytes given to the payload decoder of any kind and version
        /// give an event or an error, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic_the_payload_decoder(k in 0usize..Kind::ALL.len(), v in 0u16..4, bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Event::decode(Kind::ALL[k].as_str(), v, &bytes);
        }
    }
}
