//! Participants: registration with the monitoring sheet (R1.2), enrolment,
//! attendance, internships and exit.

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::training::positive;
use super::Party;
use crate::validate::{check_day_hours, check_range, check_text, Validate, RULE_RANGE};
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

/// `participant_registered`: the monitoring sheet at entry (R1.2). Names and
/// birth date are personal data (R6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantRegistered {
    /// The participant's id (uuid).
    pub participant_id: Uuid,
    /// Given name (personal data).
    pub given_name: Personal<String>,
    /// Family name (personal data).
    pub family_name: Personal<String>,
    /// Birth date (personal data); gives the age band at entry.
    pub birth_date: Personal<Date>,
    /// Gender.
    pub gender: Gender,
    /// Highest education, ISCED level 0–8.
    pub education_isced: u8,
    /// Labour-market status at entry.
    pub labour_status: LabourStatus,
    /// Disadvantage flags (may be empty).
    #[serde(default)]
    pub disadvantages: Vec<Disadvantage>,
    /// The member organisation employing them (R1.6).
    pub organization_id: ShortId,
    /// Entry date (the monitoring sheet's date).
    pub entry_date: Date,
}

impl Validate for ParticipantRegistered {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(self.given_name.expose(), "given_name", 100)?;
        check_text(self.family_name.expose(), "family_name", 100)?;
        if self.education_isced > 8 {
            return Err(Rejection::malformed(
                "education_isced",
                RULE_RANGE,
                "an ISCED level is 0–8",
            ));
        }
        if *self.birth_date.expose() >= self.entry_date {
            return Err(Rejection::malformed(
                "birth_date",
                RULE_RANGE,
                "the birth date must be before the entry date",
            ));
        }
        Ok(())
    }
}

/// Age band at entry (R1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Under 25.
    Under25,
    /// 25–54.
    From25To54,
    /// Over 54.
    Over54,
}

impl ParticipantRegistered {
    /// The age band at entry: completed years on the entry date.
    pub fn age_band(&self) -> AgeBand {
        let b = self.birth_date.expose();
        let e = self.entry_date;
        let mut years = i32::from(e.year()) - i32::from(b.year());
        if (e.month(), e.day()) < (b.month(), b.day()) {
            years -= 1;
        }
        match years {
            y if y < 25 => AgeBand::Under25,
            y if y <= 54 => AgeBand::From25To54,
            _ => AgeBand::Over54,
        }
    }
}

/// `participant_enrolled`: a participant enrolled in a course run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantEnrolled {
    /// The participant.
    pub participant_id: Uuid,
    /// The run.
    pub run_id: ShortId,
    /// Date of enrolment.
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
    pub participant_id: Uuid,
    /// The session.
    pub session_id: ShortId,
    /// Hours attended, 0 < h ≤ 24 and never above the session's hours (R1.4).
    pub hours: Hours,
    /// Reference of the signed attendance list (the evidence).
    #[serde(default)]
    pub sheet_ref: Option<String>,
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
    pub participant_id: Uuid,
    /// Host organisation.
    pub host: Party,
    /// First day, inclusive.
    pub start: Date,
    /// Last day, inclusive: the valid date of the internship.
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
    pub participant_id: Uuid,
    /// Exit date.
    pub exit_date: Date,
    /// Situation at exit, e.g. `completed`, `left_early`.
    pub exit_status: String,
}

impl Validate for ParticipantExited {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.exit_status, "exit_status", 64)
    }
}
