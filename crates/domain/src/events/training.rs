//! Courses, runs, sessions, seminars, workshops and conferences (DOMAIN.md R2).

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate::{check_day_hours, check_range, check_text, Validate, RULE_RANGE};
use crate::{Hours, Rejection, ShortId};

/// `course_defined`: a course type with its planned length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseDefined {
    /// Project-chosen id, e.g. `K03`.
    pub course_id: ShortId,
    /// Title.
    pub title: String,
    /// Topic.
    pub topic: String,
    /// R2.1: hours a run must hold to count as held (> 0).
    pub planned_hours: Hours,
}

impl Validate for CourseDefined {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.title, "title", 300)?;
        check_text(&self.topic, "topic", 300)?;
        if self.planned_hours == Hours::ZERO {
            return Err(Rejection::malformed(
                "planned_hours",
                RULE_RANGE,
                "must be more than 0",
            ));
        }
        Ok(())
    }
}

/// `course_run_scheduled`: one run of a course.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseRunScheduled {
    /// Project-chosen id, e.g. `K03-1`.
    pub run_id: ShortId,
    /// The course it runs.
    pub course_id: ShortId,
    /// First day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
    /// Venue.
    pub venue: String,
    /// Lecturer's name.
    pub lecturer: String,
}

impl Validate for CourseRunScheduled {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.venue, "venue", 300)?;
        check_text(&self.lecturer, "lecturer", 300)?;
        check_range(self.start, self.end, "end")
    }
}

/// `session_held`: one teaching day of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionHeld {
    /// Project-chosen id, e.g. `K03-1-S2`.
    pub session_id: ShortId,
    /// The run it belongs to.
    pub run_id: ShortId,
    /// The day it was held.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub date: Date,
    /// Its length, 0 < h ≤ 24.
    pub hours: Hours,
}

impl Validate for SessionHeld {
    fn validate(&self) -> Result<(), Rejection> {
        positive(self.hours, "hours")?;
        check_day_hours(self.hours, "hours")
    }
}

/// `seminar_held`: a seminar for public administration in a municipality (R2.2).
/// Attendees are counted, not given participant hours (R1.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeminarHeld {
    /// Project-chosen id.
    pub seminar_id: ShortId,
    /// The municipality where it was held (R2.3 lists the ones that count).
    pub municipality: String,
    /// The day.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub date: Date,
    /// Length, 0 < h ≤ 24.
    pub hours: Hours,
    /// Number of attendees.
    pub attendees: u32,
}

impl Validate for SeminarHeld {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.municipality, "municipality", 100)?;
        positive(self.hours, "hours")?;
        check_day_hours(self.hours, "hours")
    }
}

/// `workshop_held`: a business workshop (R2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkshopHeld {
    /// Project-chosen id.
    pub workshop_id: ShortId,
    /// The day.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub date: Date,
    /// Venue.
    pub venue: String,
    /// Length, 0 < h ≤ 24.
    pub hours: Hours,
    /// Number of attendees.
    pub attendees: u32,
}

impl Validate for WorkshopHeld {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.venue, "venue", 300)?;
        positive(self.hours, "hours")?;
        check_day_hours(self.hours, "hours")
    }
}

/// `conference_held`: an (international) conference; held on its last day (R2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConferenceHeld {
    /// Project-chosen id.
    pub conference_id: ShortId,
    /// First day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
    /// Venue.
    pub venue: String,
    /// Number of attendees.
    pub attendees: u32,
    /// Foreign experts by country.
    #[serde(default)]
    pub foreign_experts: Vec<ForeignExpert>,
}

/// A foreign expert at a conference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignExpert {
    /// ISO 3166-1 alpha-2 country code, e.g. `SK`.
    pub country: String,
}

impl Validate for ConferenceHeld {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.venue, "venue", 300)?;
        check_range(self.start, self.end, "end")?;
        for (i, e) in self.foreign_experts.iter().enumerate() {
            if e.country.len() != 2 || !e.country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Rejection::malformed(
                    format!("foreign_experts[{i}].country"),
                    RULE_RANGE,
                    format!("`{}` is not an ISO 3166 two-letter country code", e.country),
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn positive(hours: Hours, field: &str) -> Result<(), Rejection> {
    if hours == Hours::ZERO {
        return Err(Rejection::malformed(
            field,
            RULE_RANGE,
            "must be more than 0 hours",
        ));
    }
    Ok(())
}
