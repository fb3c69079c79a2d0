//! Reporting markers, corrections, erasure and rule sets (DOMAIN.md R5, R6).

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validate::{check_text, Validate, RULE_RANGE};
use crate::{Event, Rejection};

/// `report_submitted`: the monitoring-period report was submitted, built from
/// the log prefix `seq ≤ at_seq` (R5.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSubmitted {
    /// The monitoring period's number.
    pub period_no: u32,
    /// Date of submission.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub submitted_on: Date,
    /// The log position the submitted report was built from (≥ 1).
    pub at_seq: u64,
    /// The signed checkpoint (C2SP signed note) of the log at `at_seq`,
    /// pinning the report to a signed Merkle root. The server fills it in when
    /// it is absent (schema v2; absent in v1 records).
    #[serde(default)]
    pub checkpoint: Option<String>,
}

impl Validate for ReportSubmitted {
    fn validate(&self) -> Result<(), Rejection> {
        if self.at_seq == 0 {
            return Err(Rejection::malformed(
                "at_seq",
                RULE_RANGE,
                "a report is built from at least one event",
            ));
        }
        Ok(())
    }
}

/// `event_corrected`: replaces the payload of an earlier event, for every
/// query whose log prefix contains this correction (DESIGN.md "Time").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventCorrected {
    /// The event whose payload is replaced.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub target_event_id: Uuid,
    /// The replacement: `{kind, data}`, of the target's kind.
    pub replacement: Box<Event>,
    /// Why (shown in the corrections report).
    pub reason: String,
}

impl Validate for EventCorrected {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.reason, "reason", 1000)?;
        self.replacement
            .validate()
            .map_err(|r| r.under("replacement.data"))
    }
}

/// `event_voided`: removes an earlier event's effect, for every query whose
/// log prefix contains this void.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventVoided {
    /// The event whose effect is removed.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub target_event_id: Uuid,
    /// Why.
    pub reason: String,
}

impl Validate for EventVoided {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.reason, "reason", 1000)
    }
}

/// `personal_data_erased`: a participant's personal data was erased (R6); the
/// figures stay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonalDataErased {
    /// The participant.
    #[serde(with = "crate::ids::uuid_field")]
    #[schemars(with = "Uuid")]
    pub participant_id: Uuid,
    /// Why (e.g. the data subject's request).
    pub reason: String,
}

impl Validate for PersonalDataErased {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.reason, "reason", 1000)
    }
}

/// `rule_set_adopted`: a version of the programme's rules in force from a date (R5.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSetAdopted {
    /// Name and version of the rule set, e.g. `OPZ participant guidelines v5`.
    pub rule_set: String,
    /// First day it applies.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub effective_from: Date,
    /// What changed, one line each.
    #[serde(default)]
    pub changes: Vec<String>,
}

impl Validate for RuleSetAdopted {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.rule_set, "rule_set", 200)
    }
}
