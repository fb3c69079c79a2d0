//! `project_defined` and `organization_joined`: the project's parameters and its
//! member organisations.

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Party;
use crate::validate::{check_range, check_text, Validate, RULE_RANGE, RULE_SCHEMA};
use crate::{Czk, Hours, Ico, Quantity, Rejection, ShortId};

/// `project_defined`: the one definition of the project, every parameter the
/// rules need (DOMAIN.md: "project parameter"). Exactly one per log, first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDefined {
    /// Registration number, e.g. `CZ.03.2.63/0.0/0.0/99_041/0002223`.
    pub project_id: ShortId,
    /// Project title.
    pub name: String,
    /// The beneficiary (příjemce).
    pub beneficiary: Party,
    /// Realisation period, both ends inclusive.
    pub period: DateRange,
    /// IANA time zone of the project calendar, e.g. `Europe/Prague`.
    pub timezone: String,
    /// R1.3: support hours a participant must exceed (strictly) to be a supported person.
    pub support_threshold_hours: Hours,
    /// The monitored indicators with targets (R2).
    pub indicators: Vec<IndicatorDefinition>,
    /// The budget lines (R4.2).
    pub budget_lines: Vec<BudgetLine>,
    /// R4.4: indirect costs as a percentage of eligible direct costs, e.g. `"25"`.
    pub indirect_cost_rate_pct: Quantity,
    /// R5.1: monitoring periods, numbered from 1, inclusive ranges.
    pub monitoring_periods: Vec<MonitoringPeriod>,
}

/// An inclusive range of civil dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
}

impl DateRange {
    /// Whether `d` is in the range (both ends inclusive).
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }
}

/// What an indicator counts: one of the measures the engine knows (DOMAIN.md R2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// R1.3–R1.5: participants whose support hours exceed the threshold.
    SupportedPersons,
    /// R2.1: courses with at least one held run.
    CourseTypesHeld,
    /// R2.1: runs whose sessions reached the course's planned hours.
    CourseRunsHeld,
    /// R2.2: distinct municipalities of seminars held (within the indicator's list if given).
    MunicipalitiesReached,
    /// R2.2: seminars plus workshops held.
    SeminarsAndWorkshopsHeld,
    /// R2.2: conferences held (on their last day).
    ConferencesHeld,
    /// Internships completed (on their last day).
    InternshipsCompleted,
    /// R3.7: contracted FTE in force of the staff with the indicator's `role`.
    StaffFte,
}

impl Measure {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::SupportedPersons => "supported_persons",
            Measure::CourseTypesHeld => "course_types_held",
            Measure::CourseRunsHeld => "course_runs_held",
            Measure::MunicipalitiesReached => "municipalities_reached",
            Measure::SeminarsAndWorkshopsHeld => "seminars_and_workshops_held",
            Measure::ConferencesHeld => "conferences_held",
            Measure::InternshipsCompleted => "internships_completed",
            Measure::StaffFte => "staff_fte",
        }
    }
}

/// One monitored indicator (R2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDefinition {
    /// Indicator code, e.g. `6 00 00` or `P-KURZ-BEH`.
    pub code: ShortId,
    /// Name.
    pub name: String,
    /// Unit, e.g. `persons`, `FTE`.
    pub unit: String,
    /// Target value (count, or FTE for `staff_fte`).
    pub target: Quantity,
    /// What the engine computes.
    pub measure: Measure,
    /// For `staff_fte`: the staff role whose FTE is measured (e.g. `project_manager`).
    #[serde(default)]
    pub role: Option<ShortId>,
    /// For `municipalities_reached`: the municipalities that count (R2.3); when
    /// absent every distinct municipality counts.
    #[serde(default)]
    pub municipalities: Option<Vec<String>>,
}

/// One line of the project budget (R4.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    /// Line code, e.g. `1.1.1`.
    pub code: ShortId,
    /// Name.
    pub name: String,
    /// Amount in CZK (≥ 0).
    pub amount: Czk,
    /// Whether this is a personnel line (R4.6: its expenses name a staff member and month).
    #[serde(default)]
    pub personnel: bool,
}

/// One monitoring period (R5.1), both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPeriod {
    /// Number, from 1.
    pub no: u32,
    /// First day.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
    /// Whether this is the final period (its report is the final report).
    #[serde(default)]
    pub r#final: bool,
}

impl ProjectDefined {
    /// The indicator definition with `code`, if any.
    pub fn indicator(&self, code: &str) -> Option<&IndicatorDefinition> {
        self.indicators.iter().find(|i| i.code.as_str() == code)
    }
}

impl Validate for ProjectDefined {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.name, "name", 500)?;
        self.beneficiary.check("beneficiary")?;
        check_range(self.period.start, self.period.end, "period.end")?;
        check_text(&self.timezone, "timezone", 64)?;
        if self.support_threshold_hours == Hours::ZERO {
            return Err(Rejection::malformed(
                "support_threshold_hours",
                RULE_RANGE,
                "must be more than 0",
            ));
        }
        if self.indirect_cost_rate_pct > Quantity::from_units(100 * 10_000) {
            return Err(Rejection::malformed(
                "indirect_cost_rate_pct",
                RULE_RANGE,
                "a percentage must be at most 100",
            ));
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            let f = format!("indicators[{i}]");
            check_text(&ind.name, &format!("{f}.name"), 500)?;
            check_text(&ind.unit, &format!("{f}.unit"), 64)?;
            if self.indicators[..i].iter().any(|o| o.code == ind.code) {
                return Err(Rejection::malformed(
                    format!("{f}.code"),
                    RULE_RANGE,
                    format!("indicator code `{}` appears twice", ind.code),
                ));
            }
            if ind.measure == Measure::StaffFte && ind.role.is_none() {
                return Err(Rejection::malformed(
                    format!("{f}.role"),
                    RULE_SCHEMA,
                    "a staff_fte indicator names the staff role it measures",
                ));
            }
        }
        for (i, line) in self.budget_lines.iter().enumerate() {
            let f = format!("budget_lines[{i}]");
            check_text(&line.name, &format!("{f}.name"), 500)?;
            if self.budget_lines[..i].iter().any(|o| o.code == line.code) {
                return Err(Rejection::malformed(
                    format!("{f}.code"),
                    RULE_RANGE,
                    format!("budget line `{}` appears twice", line.code),
                ));
            }
            if line.amount < Czk::ZERO {
                return Err(Rejection::malformed(
                    format!("{f}.amount"),
                    RULE_RANGE,
                    "a budget amount cannot be negative",
                ));
            }
        }
        for (i, p) in self.monitoring_periods.iter().enumerate() {
            let f = format!("monitoring_periods[{i}]");
            if p.no as usize != i + 1 {
                return Err(Rejection::malformed(
                    format!("{f}.no"),
                    RULE_RANGE,
                    format!("periods are numbered 1, 2, … in order; expected {}", i + 1),
                ));
            }
            check_range(p.start, p.end, &format!("{f}.end"))?;
            if !self.period.contains(p.start) || !self.period.contains(p.end) {
                return Err(Rejection::malformed(
                    format!("{f}.start"),
                    RULE_RANGE,
                    "a monitoring period lies within the project period",
                ));
            }
            if i > 0 && p.start <= self.monitoring_periods[i - 1].end {
                return Err(Rejection::malformed(
                    format!("{f}.start"),
                    RULE_RANGE,
                    "monitoring periods must not overlap",
                ));
            }
        }
        Ok(())
    }
}

/// `organization_joined`: a member organisation whose staff are the target group (R1.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationJoined {
    /// Project-chosen id.
    pub organization_id: ShortId,
    /// Registered name.
    pub name: String,
    /// IČO, 8 digits.
    pub ico: Ico,
    /// Legal form, e.g. `s.r.o.`, `z.ú.`.
    pub legal_form: String,
    /// Date of joining the cluster / project.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub joined_on: Date,
}

impl Validate for OrganizationJoined {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.name, "name", 300)?;
        check_text(&self.legal_form, "legal_form", 64)
    }
}
