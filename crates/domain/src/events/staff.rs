//! Staff contracts and monthly timesheets (DOMAIN.md R3).

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate::{
    check_day_hours, check_range, check_text, Validate, RULE_RANGE, RULE_SCHEMA,
};
use crate::{Czk, Fte, Hours, Rejection, ShortId, YearMonth};

/// Kind of contract (Czech labour code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    /// Employment contract (pracovní smlouva, HPP).
    Employment,
    /// Agreement to complete a job (dohoda o provedení práce, DPP), R3.4.
    Dpp,
    /// Agreement to perform work (dohoda o pracovní činnosti, DPČ), R3.5.
    Dpc,
}

/// `staff_contracted`: a staff member's contract on the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffContracted {
    /// Project-chosen id, e.g. `ST-01`.
    pub staff_id: ShortId,
    /// Name.
    pub name: String,
    /// Role, e.g. `project_manager`, `lecturer`.
    pub role: ShortId,
    /// Contract type.
    pub contract: ContractType,
    /// FTE for employment and DPČ, in (0, 1].
    #[serde(default)]
    pub fte: Option<Fte>,
    /// Hourly rate in CZK (DPP, or hourly-paid).
    #[serde(default)]
    pub hourly_rate: Option<Czk>,
    /// Monthly salary in CZK.
    #[serde(default)]
    pub monthly_salary: Option<Czk>,
    /// First day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub start: Date,
    /// Last day, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub end: Date,
}

fn check_fte(fte: Fte, field: &str) -> Result<(), Rejection> {
    if fte == Fte::ZERO || fte > Fte::ONE {
        return Err(Rejection::malformed(
            field,
            RULE_RANGE,
            "a contract's FTE is more than 0 and at most 1",
        ));
    }
    Ok(())
}

fn check_money(amount: Option<Czk>, field: &str) -> Result<(), Rejection> {
    match amount {
        Some(a) if a <= Czk::ZERO => Err(Rejection::malformed(
            field,
            RULE_RANGE,
            "must be more than 0 CZK",
        )),
        _ => Ok(()),
    }
}

impl Validate for StaffContracted {
    fn validate(&self) -> Result<(), Rejection> {
        check_text(&self.name, "name", 200)?;
        check_range(self.start, self.end, "end")?;
        match (self.contract, self.fte) {
            (ContractType::Dpp, Some(_)) => {
                return Err(Rejection::malformed(
                    "fte",
                    RULE_SCHEMA,
                    "a DPP has no FTE; it is paid by the hour",
                ))
            }
            (ContractType::Employment | ContractType::Dpc, None) => {
                return Err(Rejection::malformed(
                    "fte",
                    RULE_SCHEMA,
                    "employment and DPČ contracts state their FTE",
                ))
            }
            (_, Some(f)) => check_fte(f, "fte")?,
            _ => {}
        }
        if self.hourly_rate.is_none() && self.monthly_salary.is_none() {
            return Err(Rejection::malformed(
                "hourly_rate",
                RULE_SCHEMA,
                "give hourly_rate or monthly_salary",
            ));
        }
        check_money(self.hourly_rate, "hourly_rate")?;
        check_money(self.monthly_salary, "monthly_salary")
    }
}

/// `staff_contract_amended`: changes from `effective_from` on; absent fields are unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffContractAmended {
    /// The staff member.
    pub staff_id: ShortId,
    /// First day the change applies, inclusive.
    #[serde(with = "crate::calendar::date_text")]
    #[schemars(with = "Date")]
    pub effective_from: Date,
    /// New FTE, in (0, 1].
    #[serde(default)]
    pub fte: Option<Fte>,
    /// New hourly rate.
    #[serde(default)]
    pub hourly_rate: Option<Czk>,
    /// New monthly salary.
    #[serde(default)]
    pub monthly_salary: Option<Czk>,
    /// New last day, inclusive.
    #[serde(default, with = "crate::calendar::date_text::option")]
    #[schemars(with = "Option<Date>")]
    pub end: Option<Date>,
}

impl Validate for StaffContractAmended {
    fn validate(&self) -> Result<(), Rejection> {
        if let Some(f) = self.fte {
            check_fte(f, "fte")?;
        }
        check_money(self.hourly_rate, "hourly_rate")?;
        check_money(self.monthly_salary, "monthly_salary")?;
        if self.fte.is_none()
            && self.hourly_rate.is_none()
            && self.monthly_salary.is_none()
            && self.end.is_none()
        {
            return Err(Rejection::malformed(
                "fte",
                RULE_SCHEMA,
                "an amendment changes at least one of fte, hourly_rate, monthly_salary, end",
            ));
        }
        Ok(())
    }
}

/// `timesheet_filed`: one staff member's month (R3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimesheetFiled {
    /// The staff member.
    pub staff_id: ShortId,
    /// The calendar month, `YYYY-MM`.
    pub month: YearMonth,
    /// Project work by activity (charged hours).
    pub entries: Vec<TimesheetEntry>,
    /// Hours on other work in the month (not charged).
    #[serde(default)]
    pub non_project_hours: Hours,
    /// Hours on indirect-cost work (not charged; covered by the flat rate, R4.4).
    #[serde(default)]
    pub indirect_hours: Hours,
}

/// One line of a timesheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimesheetEntry {
    /// Activity (key activity of the project).
    pub activity: String,
    /// What was done.
    pub description: String,
    /// Hours.
    pub hours: Hours,
    /// The day, when the timesheet has day-level detail (must lie in the month).
    #[serde(default, with = "crate::calendar::date_text::option")]
    #[schemars(with = "Option<Date>")]
    pub date: Option<Date>,
}

impl Validate for TimesheetFiled {
    fn validate(&self) -> Result<(), Rejection> {
        for (i, e) in self.entries.iter().enumerate() {
            let f = format!("entries[{i}]");
            check_text(&e.activity, &format!("{f}.activity"), 200)?;
            check_text(&e.description, &format!("{f}.description"), 1000)?;
            if let Some(d) = e.date {
                check_day_hours(e.hours, &format!("{f}.hours"))?;
                if YearMonth::of(d) != self.month {
                    return Err(Rejection::malformed(
                        format!("{f}.date"),
                        RULE_RANGE,
                        format!("{d} is not in the timesheet's month {}", self.month),
                    ));
                }
            }
        }
        // more than 24 h in a day counts every entry of that day (docs/RULES.md `range`)
        let mut by_day: Vec<(Date, Hours, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let Some(d) = e.date else { continue };
            let at = match by_day.iter().position(|(x, ..)| *x == d) {
                Some(at) => at,
                None => {
                    by_day.push((d, Hours::ZERO, i));
                    by_day.len() - 1
                }
            };
            let day = &mut by_day[at];
            day.1 = day.1.saturating_add(e.hours);
            if day.1 > Hours::from_whole(24) {
                return Err(Rejection::malformed(
                    format!("entries[{i}].hours"),
                    RULE_RANGE,
                    format!(
                        "the entries dated {d} (entries[{}] on) total {} h, more than the 24 hours of a day",
                        day.2, day.1
                    ),
                ));
            }
        }
        let days = i64::from(self.month.last_day().day());
        let total: Hours = self
            .entries
            .iter()
            .map(|e| e.hours)
            .sum::<Hours>()
            .saturating_add(self.non_project_hours)
            .saturating_add(self.indirect_hours);
        if total > Hours::from_whole(24 * days) {
            return Err(Rejection::malformed(
                "entries",
                RULE_RANGE,
                format!("the month's hours (entries + non_project_hours + indirect_hours) total {total} h, more than the {} h of its days", 24 * days),
            ));
        }
        Ok(())
    }
}
