//! Participants: registration with the monitoring sheet (R1.2), enrolment,
//! attendance, internships and exit.

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::training::positive;
use super::Party;
use crate::validate::{
    check_day_hours, check_range, check_text, Validate, RULE_RANGE, RULE_SCHEMA,
};
use crate::{Hours, Personal, Rejection, ShortId};

/// Gender, as the monitoring sheet records it (R1.1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl Gender {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// Labour-market status at entry (R1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabourStatus {
    /// Employed.
    Employed,
    /// Self-employed (counts as employed).
    SelfEmployed,
    /// Unemployed.
    Unemployed,
    /// Long-term unemployed.
    LongTermUnemployed,
    /// Inactive.
    Inactive,
    /// Inactive, not in education or training.
    InactiveNotInEducation,
}

/// Disadvantage flags (R1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disadvantage {
    /// Person with a disability.
    Disability,
    /// Migrant, person of foreign origin, minority.
    MigrantMinority,
    /// Other disadvantage.
    Other,
}

/// The personal fields of a registration (R6), sealed together as one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalFields {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Birth date.
    pub birth_date: Date,
}

impl PersonalFields {
    /// The bytes that are sealed (postcard: two length-prefixed UTF-8
    /// strings, then the date as a length-prefixed `YYYY-MM-DD` string).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings into a Vec cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads [`PersonalFields::to_bytes`] back; `None` if the bytes are not that.
    pub fn from_bytes(bytes: &[u8]) -> Option<PersonalFields> {
        postcard::from_bytes(bytes).ok()
    }
}

/// `participant_registered`: the monitoring sheet at entry (R1.2). Names and
/// birth date are personal data (R6), held as one [`Personal`] unit.
///
/// JSON (EVENTS.md): the flat object of [`ParticipantRegisteredJson`]; the
/// output adds `age_band_at_entry`, and shows the personal fields as
/// `"[sealed]"` / `"[erased]"` when they are not in clear. Binary (schema v2):
/// the personal fields only as the sealed blob, plus `age_band_at_entry`
/// (computed at registration, so figures never need the birth date again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantRegistered {
    /// The participant's id (uuid).
    pub participant_id: Uuid,
    /// Given name, family name, birth date (personal data).
    pub personal: Personal<PersonalFields>,
    /// Gender.
    pub gender: Gender,
    /// Highest education, ISCED level 0–8.
    pub education_isced: u8,
    /// Labour-market status at entry.
    pub labour_status: LabourStatus,
    /// Disadvantage flags (may be empty).
    pub disadvantages: Vec<Disadvantage>,
    /// The member organisation employing them (R1.6).
    pub organization_id: ShortId,
    /// Entry date (the monitoring sheet's date).
    pub entry_date: Date,
    /// Age band at entry (R1.2), from the birth date at registration.
    pub age_band_at_entry: AgeBand,
}

/// `participant_registered`: the monitoring sheet at entry (R1.2), as JSON
/// `data` (EVENTS.md). Names and birth date are personal data (R6): stored
/// only sealed, shown as `"[sealed]"` / `"[erased]"` when not in clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantRegisteredJson {
    /// The participant's id (uuid).
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// Given name (personal data).
    pub given_name: Personal<String>,
    /// Family name (personal data).
    pub family_name: Personal<String>,
    /// Birth date (personal data); gives the age band at entry.
    #[serde(deserialize_with = "crate::calendar::date_text::personal")]
    pub birth_date: Personal<Date>,
    /// Gender.
    pub gender: Gender,
    /// Highest education, ISCED level 0–8.
    pub education_isced: u8,
    /// Labour-market status at entry.
    pub labour_status: LabourStatus,
    /// Disadvantage flags (may be empty), each at most once.
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub disadvantages: Vec<Disadvantage>,
    /// The member organisation employing them (R1.6).
    pub organization_id: ShortId,
    /// Entry date (the monitoring sheet's date).
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub entry_date: Date,
    /// Age band at entry: computed from `birth_date` and `entry_date`; shown
    /// in answers. Optional in input, and then it must equal the computed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band_at_entry: Option<AgeBand>,
}

/// `participant_registered` as stored at schema version 2: the personal
/// fields only as the sealed blob (nonce ‖ ciphertext of [`PersonalFields::to_bytes`]).
#[derive(Serialize, Deserialize)]
struct ParticipantRegisteredV2 {
    participant_id: Uuid,
    sealed: Vec<u8>,
    gender: Gender,
    education_isced: u8,
    labour_status: LabourStatus,
    disadvantages: Vec<Disadvantage>,
    organization_id: ShortId,
    entry_date: Date,
    age_band_at_entry: AgeBand,
}

impl TryFrom<ParticipantRegisteredJson> for ParticipantRegistered {
    type Error = String;
    fn try_from(j: ParticipantRegisteredJson) -> Result<Self, String> {
        let (
            Personal::Clear(given_name),
            Personal::Clear(family_name),
            Personal::Clear(birth_date),
        ) = (j.given_name, j.family_name, j.birth_date)
        else {
            return Err("personal fields must be given in clear".into());
        };
        let computed = AgeBand::at_entry(birth_date, j.entry_date);
        if j.age_band_at_entry.is_some_and(|b| b != computed) {
            return Err(format!(
                "age_band_at_entry: must be the band computed from birth_date and entry_date ({}), or be left out",
                computed.as_str()
            ));
        }
        Ok(ParticipantRegistered {
            participant_id: j.participant_id,
            personal: Personal::Clear(PersonalFields {
                given_name,
                family_name,
                birth_date,
            }),
            gender: j.gender,
            education_isced: j.education_isced,
            labour_status: j.labour_status,
            disadvantages: j.disadvantages,
            organization_id: j.organization_id,
            entry_date: j.entry_date,
            age_band_at_entry: computed,
        })
    }
}

impl ParticipantRegistered {
    /// The JSON form, personal fields in the state they are in.
    pub fn to_json(&self) -> ParticipantRegisteredJson {
        ParticipantRegisteredJson {
            participant_id: self.participant_id,
            given_name: self.personal.map(|p| p.given_name.clone()),
            family_name: self.personal.map(|p| p.family_name.clone()),
            birth_date: self.personal.map(|p| p.birth_date),
            gender: self.gender,
            education_isced: self.education_isced,
            labour_status: self.labour_status,
            disadvantages: self.disadvantages.clone(),
            organization_id: self.organization_id.clone(),
            entry_date: self.entry_date,
            age_band_at_entry: Some(self.age_band_at_entry),
        }
    }

    /// Builds the registration read from an older record whose personal
    /// fields were stored in clear (schema v1).
    pub(crate) fn from_clear_v1(j: ParticipantRegisteredJson) -> Result<Self, String> {
        ParticipantRegistered::try_from(ParticipantRegisteredJson {
            age_band_at_entry: None,
            ..j
        })
    }
}

impl Serialize for ParticipantRegistered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return self.to_json().serialize(s);
        }
        let Personal::Sealed(sealed) = &self.personal else {
            return Err(serde::ser::Error::custom(
                "participant_registered: personal data must be sealed before it is encoded",
            ));
        };
        ParticipantRegisteredV2 {
            participant_id: self.participant_id,
            sealed: sealed.clone(),
            gender: self.gender,
            education_isced: self.education_isced,
            labour_status: self.labour_status,
            disadvantages: self.disadvantages.clone(),
            organization_id: self.organization_id.clone(),
            entry_date: self.entry_date,
            age_band_at_entry: self.age_band_at_entry,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ParticipantRegistered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let j = ParticipantRegisteredJson::deserialize(d)?;
            return ParticipantRegistered::try_from(j).map_err(serde::de::Error::custom);
        }
        let v = ParticipantRegisteredV2::deserialize(d)?;
        Ok(ParticipantRegistered {
            participant_id: v.participant_id,
            personal: Personal::Sealed(v.sealed),
            gender: v.gender,
            education_isced: v.education_isced,
            labour_status: v.labour_status,
            disadvantages: v.disadvantages,
            organization_id: v.organization_id,
            entry_date: v.entry_date,
            age_band_at_entry: v.age_band_at_entry,
        })
    }
}

impl JsonSchema for ParticipantRegistered {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ParticipantRegistered".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ParticipantRegisteredJson::json_schema(g)
    }
}

impl Validate for ParticipantRegistered {
    fn validate(&self) -> Result<(), Rejection> {
        if let Personal::Clear(p) = &self.personal {
            for (name, field) in [
                (&p.given_name, "given_name"),
                (&p.family_name, "family_name"),
            ] {
                check_text(name, field, 100)?;
                if name == Personal::<String>::SEALED || name == Personal::<String>::ERASED {
                    return Err(Rejection::malformed(
                        field,
                        RULE_RANGE,
                        format!("`{name}` marks hidden personal data; it is not a name"),
                    ));
                }
            }
            if p.birth_date >= self.entry_date {
                return Err(Rejection::malformed(
                    "birth_date",
                    RULE_RANGE,
                    "the birth date must be before the entry date",
                ));
            }
        }
        if self.education_isced > 8 {
            return Err(Rejection::malformed(
                "education_isced",
                RULE_RANGE,
                "an ISCED level is 0–8",
            ));
        }
        // a set of flags (the schema's `uniqueItems`): each at most once
        for (i, d) in self.disadvantages.iter().enumerate() {
            if self.disadvantages[..i].contains(d) {
                return Err(Rejection::malformed(
                    format!("disadvantages[{i}]"),
                    RULE_SCHEMA,
                    format!(
                        "{} is listed twice; each disadvantage is a flag, given once",
                        serde_json::to_string(d).unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Age band at entry (R1.2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Under 25.
    Under25,
    /// 25–54.
    From25To54,
    /// Over 54.
    Over54,
}

impl AgeBand {
    /// The band of completed years on `entry` for a person born on `birth`
    /// (R1.2: under 25, 25–54, over 54).
    ///
    /// ```
    /// use grantledger_domain::events::AgeBand;
    /// use jiff::civil::date;
    /// assert_eq!(AgeBand::at_entry(date(1992, 5, 6), date(2017, 5, 5)), AgeBand::Under25);
    /// assert_eq!(AgeBand::at_entry(date(1992, 5, 5), date(2017, 5, 5)), AgeBand::From25To54);
    /// ```
    pub fn at_entry(birth: Date, entry: Date) -> AgeBand {
        let mut years = i32::from(entry.year()) - i32::from(birth.year());
        if (entry.month(), entry.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        match years {
            y if y < 25 => AgeBand::Under25,
            y if y <= 54 => AgeBand::From25To54,
            _ => AgeBand::Over54,
        }
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under25 => "under25",
            AgeBand::From25To54 => "from25_to54",
            AgeBand::Over54 => "over54",
        }
    }
}

impl ParticipantRegistered {
    /// The age band at entry, recorded at registration (needs no birth date,
    /// so it survives erasure).
    pub fn age_band(&self) -> AgeBand {
        self.age_band_at_entry
    }
}

/// `participant_enrolled`: a participant enrolled in a course run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantEnrolled {
    /// The participant.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// The run.
    pub run_id: ShortId,
    /// Date of enrolment.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub enrolled_on: Date,
}

impl Validate for ParticipantEnrolled {
    fn validate(&self) -> Result<(), Rejection> {
        Ok(())
    }
}

/// `attendance_recorded`: hours a participant attended a session (R1.4); its
/// valid date is the session's date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecorded {
    /// The participant.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// The session.
    pub session_id: ShortId,
    /// Hours attended, 0 < h ≤ 24 and never above the session's hours (R1.4).
    pub hours: Hours,
    /// Reference of the signed attendance list (the evidence).
    #[serde(default)]
    pub sheet_ref: Option<Box<str>>,
    /// How the participant attended (schema v2; absent in v1 records).
    #[serde(default)]
    pub mode: Option<AttendanceMode>,
}

/// How a participant attended a session (`attendance_recorded` v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceMode {
    /// In the room.
    InPerson,
    /// Online.
    Online,
}

impl Validate for AttendanceRecorded {
    fn validate(&self) -> Result<(), Rejection> {
        // EVENTS.md lists it without `?`: a new attendance names its evidence
        // (records stored before this rule may lack it, and read back so)
        match &self.sheet_ref {
            None => {
                return Err(Rejection::malformed(
                    "sheet_ref",
                    RULE_SCHEMA,
                    "missing field `sheet_ref`: the reference of the signed attendance list (the evidence)",
                ))
            }
            // its length is bounded as every text's (docs/RULES.md)
            Some(r) if r.trim().is_empty() => {
                return Err(Rejection::malformed(
                    "sheet_ref",
                    RULE_SCHEMA,
                    "must not be empty",
                ))
            }
            Some(_) => {}
        }
        positive(self.hours, "hours")?;
        check_day_hours(self.hours, "hours")
    }
}

/// `internship_completed`: an internship at a host organisation; its hours are
/// support hours (R1.4), valid on its last day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternshipCompleted {
    /// The participant.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// Host organisation.
    pub host: Party,
    /// First day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day, inclusive: the valid date of the internship.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
    /// Hours of the internship (> 0, at most 24 per day of the range).
    pub hours: Hours,
}

impl Validate for InternshipCompleted {
    fn validate(&self) -> Result<(), Rejection> {
        self.host.check("host")?;
        check_range(self.start, self.end, "end")?;
        positive(self.hours, "hours")?;
        let days = (self.end - self.start).get_days() as i64 + 1;
        if self.hours > Hours::from_whole(24 * days) {
            return Err(Rejection::malformed(
                "hours",
                RULE_RANGE,
                format!("{} h is more than 24 h a day over {days} days", self.hours),
            ));
        }
        Ok(())
    }
}

/// `participant_exited`: exit date and situation at exit (R1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantExited {
    /// The participant.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// Exit date.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub exit_date: Date,
    /// Situation at exit, e.g. `completed`, `left_early`.
    pub exit_status: String,
}

impl Validate for ParticipantExited {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.exit_status, "exit_status", 64)
    }
}
