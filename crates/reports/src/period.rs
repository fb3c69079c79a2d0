//! The monitoring-period report (DOMAIN.md R5.3): indicators in the period
//! and cumulative, supported persons, expenses, personnel hours, budget,
//! findings, due date (R5.2) and the indicator series.

use std::collections::BTreeMap;

use grantledger_domain::calendar;
use grantledger_domain::events::{AgeBand, ContractType, Gender, MonitoringPeriod};
use grantledger_domain::{Czk, Date, Hours, YearMonth};
use grantledger_projections::{ByGender, Figure, Finding, Ledger};
use jiff::ToSpan;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::manifest::{body_sha256, ReportManifest};

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The log prefix has no `project_defined`.
    #[error("the project is not defined in this log prefix")]
    NoProject,
    /// No monitoring period with that number.
    #[error("monitoring period {0} is not defined (R5.1)")]
    NoPeriod(u32),
    /// The period has no `report_submitted` marker in the prefix.
    #[error("period {0} has no report_submitted in this log prefix; there is nothing to compare")]
    NotSubmitted(u32),
    /// Serialising the body failed (never for these types).
    #[error("the report does not serialise: {0}")]
    Serialize(#[from] serde_json::Error),
}

fn decimal_str<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.normalize())
}

/// The project the report is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectInfo {
    /// Registration number.
    pub project_id: String,
    /// Title.
    pub name: String,
    /// Beneficiary's name.
    pub beneficiary: String,
    /// Beneficiary's IČO.
    pub beneficiary_ico: String,
    /// First day of the project, inclusive.
    pub start: Date,
    /// Last day of the project, inclusive.
    pub end: Date,
}

/// The monitoring period reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodInfo {
    /// Number.
    pub no: u32,
    /// First day, inclusive.
    pub start: Date,
    /// Last day, inclusive.
    pub end: Date,
    /// Whether it is the final period.
    pub r#final: bool,
    /// When the report is due: 20 working days after the period end, 40 for
    /// the final report (R5.2, working days of the project calendar).
    pub due_date: Date,
    /// Working days allowed after the end.
    pub due_working_days: u32,
}

/// One indicator, in the period and cumulatively (R5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Target.
    pub target: Figure,
    /// Reached within the period (cumulative at its end − cumulative the day
    /// before its start); for FTE the value at the period end.
    pub period: Figure,
    /// Reached since the project start, as of the period end.
    pub cumulative: Figure,
    /// cumulative ≥ target.
    pub met: bool,
    /// Persons by gender (R1.1): in the period and cumulative.
    pub by_gender: Option<BTreeMap<String, ByGender>>,
    /// Seqs of the events behind the cumulative value.
    pub seqs: Vec<u64>,
}

/// A supported person (R1.3–R1.5), by id only (R6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonRow {
    /// The participant.
    pub participant_id: Uuid,
    /// Gender.
    pub gender: Gender,
    /// Age band at entry.
    pub age_band: AgeBand,
    /// Entry date.
    pub entry_date: Date,
    /// Exit date, if exited by the report date.
    pub exit_date: Option<Date>,
    /// Support hours in the period.
    pub hours_in_period: Hours,
    /// Support hours since the start, as of the report date.
    pub hours: Hours,
    /// The date they became a supported person.
    pub supported_on: Date,
    /// Seqs of the registration and the support events.
    pub seqs: Vec<u64>,
}

/// An expense of the period (R5.3, R4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpenseRow {
    /// The expense.
    pub expense_id: Uuid,
    /// Supplier's document number.
    pub document_no: String,
    /// Supplier.
    pub supplier: String,
    /// Supplier's IČO.
    pub supplier_ico: String,
    /// Taxable supply date.
    pub taxable_supply_date: Date,
    /// Payment date.
    pub paid_on: Option<Date>,
    /// Amount incl. VAT.
    pub amount: Czk,
    /// VAT.
    pub vat: Czk,
    /// Budget line.
    pub budget_line: String,
    /// Key activity.
    pub activity: String,
    /// Whether it is eligible by the period's end (or `as_of`, if earlier):
    /// paid later, it is claimed in the period it is paid in (R4.1).
    pub eligible: bool,
    /// Eligible amount (personnel pro rata), rounded to the haléř for display.
    pub eligible_amount: Czk,
    /// Why not eligible (rule and reason), empty when eligible.
    pub reasons: Vec<String>,
    /// How a partly eligible amount was computed (R4.6 pro rata).
    pub note: Option<String>,
    /// Seqs behind it (the expense, payments, timesheet, corrections).
    pub seqs: Vec<u64>,
}

/// One staff member's month of the period (R3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonnelRow {
    /// Staff id.
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Contract type.
    pub contract: ContractType,
    /// Month.
    pub month: YearMonth,
    /// Fund at 1.0 FTE, hours.
    pub fund_hours: Hours,
    /// Contracted FTE.
    #[serde(serialize_with = "decimal_str")]
    pub contracted_fte: Decimal,
    /// Charged project hours.
    pub project_hours: Hours,
    /// Actual FTE = project hours ÷ fund (R3.7).
    #[serde(serialize_with = "decimal_str")]
    pub actual_fte: Decimal,
    /// Whether the timesheet is filed.
    pub filed: bool,
    /// Seqs behind it.
    pub seqs: Vec<u64>,
}

/// A budget line: drawdown in the period and cumulative (R4.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetRow {
    /// Line code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Budget amount.
    pub amount: Czk,
    /// Eligible (capped at the amount) within the period.
    pub eligible_in_period: Czk,
    /// Eligible (capped) since the start.
    pub eligible: Czk,
    /// Claimed above the line's amount (not reimbursed).
    pub over_budget: Czk,
    /// amount − eligible.
    pub remaining: Czk,
    /// Seqs of the eligible expenses.
    pub seqs: Vec<u64>,
}

/// Budget totals (R4.4, R4.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetSummary {
    /// Direct eligible costs in the period.
    pub direct_in_period: Czk,
    /// Direct eligible costs since the start.
    pub direct: Czk,
    /// Indirect costs rate, percent.
    #[serde(serialize_with = "decimal_str")]
    pub indirect_rate_pct: Decimal,
    /// Indirect costs since the start.
    pub indirect: Czk,
    /// direct + indirect since the start.
    pub total: Czk,
    /// Σ of the lines' budgets.
    pub total_budget: Czk,
    /// The rounding rule applied (R4.5).
    pub rounding: String,
}

/// Every indicator's value at one date (the series).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// The date (a month's last day, or the report date).
    pub date: Date,
    /// Value by indicator code.
    pub values: BTreeMap<String, Figure>,
}

/// The monitoring-period report (R5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodReport {
    /// Provenance.
    pub manifest: ReportManifest,
    /// The project.
    pub project: ProjectInfo,
    /// The period.
    pub period: PeriodInfo,
    /// Indicators.
    pub indicators: Vec<IndicatorRow>,
    /// Supported persons as of the report date.
    pub supported_persons: Vec<PersonRow>,
    /// Expenses of the period: those incurred in it (by taxable supply date;
    /// period 1 also holds those before the project start, the final period
    /// those after its end) and those that became eligible in it (incurred
    /// in an earlier period, paid in this one), in log order.
    pub expenses: Vec<ExpenseRow>,
    /// Staff months of the period.
    pub personnel: Vec<PersonnelRow>,
    /// Budget lines.
    pub budget: Vec<BudgetRow>,
    /// Budget totals.
    pub budget_summary: BudgetSummary,
    /// Findings dated ≤ the report date (the final report also those dated the
    /// day after the project end).
    pub findings: Vec<Finding>,
    /// Every indicator at each month end from the project start to the report date.
    pub series: Vec<SeriesPoint>,
}

/// The body of a period report: everything but the manifest (what `body_sha256` covers).
#[derive(Serialize)]
struct Body<'a> {
    project: &'a ProjectInfo,
    period: &'a PeriodInfo,
    indicators: &'a [IndicatorRow],
    supported_persons: &'a [PersonRow],
    expenses: &'a [ExpenseRow],
    personnel: &'a [PersonnelRow],
    budget: &'a [BudgetRow],
    budget_summary: &'a BudgetSummary,
    findings: &'a [Finding],
    series: &'a [SeriesPoint],
}

/// The day after `d` (saturating).
fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

/// The day before `d` (saturating).
fn prev_day(d: Date) -> Date {
    d.yesterday().unwrap_or(d)
}

/// The date `n` working days after `d` (R5.2).
pub(crate) fn working_days_after(d: Date, n: u32) -> Date {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        day = next_day(day);
        if calendar::is_working_day(day) {
            left -= 1;
        }
    }
    day
}

fn minus(a: Figure, b: Figure) -> Figure {
    match (a, b) {
        (Figure::Count(x), Figure::Count(y)) => Figure::Count(x.saturating_sub(y)),
        (a, _) => a,
    }
}

impl PeriodReport {
    /// Builds the report of monitoring period `no` from `ledger` (the prefix)
    /// as of `as_of` (default: the period's end). `known_at` and `generator`
    /// go into the manifest.
    ///
    /// # Errors
    /// No project in the prefix, or no such period.
    pub fn build(
        ledger: &Ledger,
        no: u32,
        as_of: Option<Date>,
        known_at: Option<jiff::Timestamp>,
        engine_rule_set: &str,
        generator: &str,
    ) -> Result<PeriodReport, ReportError> {
        let project = ledger.project().ok_or(ReportError::NoProject)?;
        let mp: MonitoringPeriod = *project
            .monitoring_periods
            .iter()
            .find(|p| p.no == no)
            .ok_or(ReportError::NoPeriod(no))?;
        let as_of = as_of.unwrap_or(mp.end);
        let end = as_of.min(mp.end);
        let before = prev_day(mp.start);
        let due_working_days = if mp.r#final { 40 } else { 20 };
        let info = PeriodInfo {
            no,
            start: mp.start,
            end: mp.end,
            r#final: mp.r#final,
            due_date: working_days_after(mp.end, due_working_days),
            due_working_days,
        };

        // indicators
        let now = ledger.indicators(end);
        let then = ledger.indicator_values(before);
        let indicators = now
            .into_iter()
            .map(|n| {
                let b = then.iter().find(|t| t.code == n.code);
                let period = match (n.measure, b) {
                    ("staff_fte", _) | (_, None) => n.value,
                    (_, Some(b)) => minus(n.value, b.value),
                };
                let by_gender = n.by_gender.map(|g| {
                    let gb = b.and_then(|b| b.by_gender).unwrap_or_default();
                    BTreeMap::from([
                        ("cumulative".to_string(), g),
                        (
                            "period".to_string(),
                            ByGender {
                                female: g.female.saturating_sub(gb.female),
                                male: g.male.saturating_sub(gb.male),
                            },
                        ),
                    ])
                });
                // moved, not copied: the supported persons' evidence is
                // 10^5 seqs and more
                let mut seqs = n.evidence;
                ledger.add_corrections(&mut seqs);
                IndicatorRow {
                    code: n.code,
                    name: n.name,
                    unit: n.unit,
                    target: n.target,
                    period,
                    cumulative: n.value,
                    met: n.met,
                    by_gender,
                    seqs,
                }
            })
            .collect();

        // supported persons: only those supported by `end` make a row (the
        // vector of rows made at its size: a row is ≈ 100 bytes, and 10^4
        // rows and more would leave up to half of a doubled vector unused)
        let ids: Vec<Uuid> = ledger
            .participant_ids()
            .into_iter()
            .filter(|id| ledger.supported_since(id).is_some_and(|on| on <= end))
            .collect();
        let mut supported_persons = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some(f) = ledger.participant(id, end) else {
                continue;
            };
            let (Some(on), Some(reg)) = (f.supported_on, ledger.registration(id)) else {
                continue;
            };
            let earlier = ledger
                .participant(id, before)
                .map_or(Hours::ZERO, |p| p.hours);
            let mut seqs = f.evidence;
            if let Some(s) = ledger.seq_of_participant(id) {
                seqs.push(s);
            }
            ledger.add_corrections(&mut seqs);
            supported_persons.push(PersonRow {
                participant_id: *id,
                gender: f.gender,
                age_band: reg.age_band(),
                entry_date: f.entry_date,
                exit_date: f.exit_date,
                hours_in_period: Hours::from_units(f.hours.units() - earlier.units()),
                hours: f.hours,
                supported_on: on,
                seqs,
            });
        }

        // expenses of the period
        let first = project.monitoring_periods.iter().map(|p| p.no).min() == Some(no);
        let last = project.monitoring_periods.iter().map(|p| p.no).max() == Some(no);
        let in_period = |d: Date| {
            (mp.start <= d && d <= mp.end) || (first && d < mp.start) || (last && d > mp.end)
        };
        // those incurred in the period, and those that became eligible in
        // it (incurred before, paid in it): the expenses the budget's
        // `eligible_in_period` counts are all listed
        let listed = |t: Date, eligible_on: Option<Date>| {
            in_period(t) || eligible_on.is_some_and(|d| mp.start <= d && d <= end)
        };
        let expenses = ledger.expense_statuses_dated(listed, |s, e| {
            // judged at the period's end (or `as_of`, if earlier), as the
            // budget's drawdown is: an expense paid after the period is
            // claimed in the period it is paid in, not again in this one
            let eligible = s.eligible_on.is_some_and(|d| d <= end);
            Some(ExpenseRow {
                expense_id: s.expense_id,
                document_no: e.document_no.clone(),
                supplier: e.supplier.name.clone(),
                supplier_ico: e.supplier.ico.as_str().to_string(),
                taxable_supply_date: s.taxable_supply_date,
                paid_on: s.paid_on,
                amount: e.amount,
                vat: e.vat,
                budget_line: s.budget_line,
                activity: e.activity.clone(),
                eligible,
                eligible_amount: if eligible {
                    czk(s.eligible_amount)
                } else {
                    Czk::ZERO
                },
                reasons: if s.reasons.is_empty() && !eligible {
                    vec![format!("R4.1: not yet paid by {end}")]
                } else {
                    s.reasons
                },
                note: s.note,
                seqs: s.evidence,
            })
        });

        // personnel months of the period
        let mut personnel = Vec::new();
        for (staff_id, _, c) in ledger.contracts() {
            for month in ledger.staff_months(staff_id, end).unwrap_or_default() {
                if month.last_day() < mp.start || month.first_day() > mp.end {
                    continue;
                }
                let Some(t) = ledger.timesheet_figures(staff_id, month, as_of) else {
                    continue;
                };
                personnel.push(PersonnelRow {
                    staff_id: staff_id.to_string(),
                    name: c.name.clone(),
                    role: c.role.to_string(),
                    contract: c.contract,
                    month,
                    fund_hours: t.fund_hours,
                    contracted_fte: t.contracted_fte,
                    project_hours: t.project_hours,
                    actual_fte: t.actual_fte,
                    filed: t.filed,
                    seqs: t.evidence,
                });
            }
        }

        // budget
        let b_now = ledger.budget(end).ok_or(ReportError::NoProject)?;
        let b_then = ledger.budget(before).ok_or(ReportError::NoProject)?;
        let budget = b_now
            .lines
            .iter()
            .map(|l| {
                let then = b_then
                    .lines
                    .iter()
                    .find(|t| t.code == l.code)
                    .map_or(Czk::ZERO, |t| t.eligible);
                BudgetRow {
                    code: l.code.clone(),
                    name: l.name.clone(),
                    amount: l.amount,
                    eligible_in_period: Czk::from_halere(l.eligible.halere() - then.halere()),
                    eligible: l.eligible,
                    over_budget: l.over_budget,
                    remaining: l.remaining,
                    seqs: l.evidence.clone(),
                }
            })
            .collect();
        let budget_summary = BudgetSummary {
            direct_in_period: Czk::from_halere(
                b_now.direct_eligible.halere() - b_then.direct_eligible.halere(),
            ),
            direct: b_now.direct_eligible,
            indirect_rate_pct: b_now.indirect_cost_rate_pct,
            indirect: b_now.indirect,
            total: b_now.total_eligible,
            total_budget: b_now.total_budget,
            rounding: b_now.rounding.to_string(),
        };

        // findings (the final report also sees those of the day after the end)
        let horizon = if mp.r#final && as_of >= mp.end {
            next_day(end)
        } else {
            end
        };
        let findings = ledger.findings(horizon);

        // series: every month end from the project start to the report date
        let mut series = Vec::new();
        let mut month = YearMonth::of(project.period.start);
        loop {
            let date = month.last_day().min(end);
            series.push(SeriesPoint {
                date,
                values: ledger
                    .indicator_values(date)
                    .into_iter()
                    .map(|v| (v.code, v.value))
                    .collect(),
            });
            if date >= end {
                break;
            }
            match month.last_day().checked_add(1.day()) {
                Ok(d) => month = YearMonth::of(d),
                Err(_) => break,
            }
        }

        let project_info = ProjectInfo {
            project_id: project.project_id.to_string(),
            name: project.name.clone(),
            beneficiary: project.beneficiary.name.clone(),
            beneficiary_ico: project.beneficiary.ico.as_str().to_string(),
            start: project.period.start,
            end: project.period.end,
        };
        let mut rule_sets = vec![engine_rule_set.to_string()];
        rule_sets.extend(ledger.rule_sets_on(as_of));
        let mut report = PeriodReport {
            manifest: ReportManifest {
                report: format!("period {no}"),
                as_of,
                known_at: known_at.or(ledger.head_recorded_at()),
                at_seq: ledger.at_seq(),
                head_hash: hex::encode(ledger.head_hash()),
                rule_sets,
                generator: generator.to_string(),
                body_sha256: String::new(),
            },
            project: project_info,
            period: info,
            indicators,
            supported_persons,
            expenses,
            personnel,
            budget,
            budget_summary,
            findings,
            series,
        };
        report.manifest.body_sha256 = body_sha256(&report.body())?;
        Ok(report)
    }

    fn body(&self) -> Body<'_> {
        Body {
            project: &self.project,
            period: &self.period,
            indicators: &self.indicators,
            supported_persons: &self.supported_persons,
            expenses: &self.expenses,
            personnel: &self.personnel,
            budget: &self.budget,
            budget_summary: &self.budget_summary,
            findings: &self.findings,
            series: &self.series,
        }
    }
}

/// An exact amount rounded half away from zero to the haléř (for display).
fn czk(d: Decimal) -> Czk {
    let r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let units = (r * Decimal::from(100)).trunc();
    Czk::from_halere(i64::try_from(units).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// DOMAIN.md R5.2 with the R3.2 calendar: period 1 ends Fri 2017-03-31;
    /// 20 working days later (April 2017 has Good Friday 14th and Easter
    /// Monday 17th) and 1 May a holiday, is 3 May.
    #[test]
    fn the_period_1_report_is_due_20_working_days_after_31_march_2017() {
        // April 2017 working days: 3-7 (5), 10-13 (4, 14th Good Friday), 18-21 (4, 17th Easter Monday),
        // 24-28 (5) = 18; then 2 May (1 May holiday) = 19, 3 May = 20.
        assert_eq!(working_days_after(date(2017, 3, 31), 20), date(2017, 5, 3));
    }

    #[test]
    fn the_final_report_is_due_40_working_days_after_30_september_2018() {
        // Oct 2018: 1-5 (5), 8-12 (5), 15-19 (5), 22-26 (5), 29-31 (3; 28 Oct is a Sunday) = 23;
        // Nov: 1-2 (2) = 25, 5-9 (5) = 30, 12-16 (5) = 35, 19-23 (5) = 40 → 23 Nov (17 Nov is a Saturday).
        assert_eq!(
            working_days_after(date(2018, 9, 30), 40),
            date(2018, 11, 23)
        );
    }
}
