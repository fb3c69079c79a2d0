//! Staff contracts and timesheets (DOMAIN.md R3; docs/COMPLIANCE.md
//! "Staff and timesheets").

use grantledger_domain::calendar::{self, HOURS_PER_WORKING_DAY};
use grantledger_domain::events::{ContractType, StaffContracted, TimesheetFiled};
use grantledger_domain::{Czk, Date, Event, Fte, Hours, YearMonth};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use crate::Ledger;

/// The terms of a contract in force on one day (after amendments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// FTE (`None` for a DPP).
    pub fte: Option<Fte>,
    /// Hourly rate, CZK.
    pub hourly_rate: Option<Czk>,
    /// Monthly salary, CZK.
    pub monthly_salary: Option<Czk>,
    /// Last day in force, inclusive.
    pub end: Date,
}

/// One staff member's month (`GET /api/v1/timesheets/{staff_id}?month=`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimesheetFigures {
    /// The staff member.
    pub staff_id: String,
    /// The month, `YYYY-MM`.
    pub month: YearMonth,
    /// Contract type: `employment`, `dpp` (no FTE; limited by R3.4) or `dpc`.
    pub contract: ContractType,
    /// Working days of the month (R3.2).
    pub working_days: u32,
    /// Fund at 1.0 FTE: working days × 8 h.
    pub fund_hours: Hours,
    /// Contracted hours ÷ fund, 4 places (R3.2).
    #[serde(serialize_with = "decimal_str")]
    pub contracted_fte: Decimal,
    /// Σ over working days in force of FTE × 8 h.
    #[serde(serialize_with = "decimal_str")]
    pub contracted_hours: Decimal,
    /// Whether a timesheet for the month is filed (valid on the month's last day ≤ as_of).
    pub filed: bool,
    /// Charged project hours (R3.1).
    pub project_hours: Hours,
    /// Hours on other work (not charged).
    pub non_project_hours: Hours,
    /// Hours on indirect-cost work (not charged).
    pub indirect_hours: Hours,
    /// Project hours ÷ fund, 4 places (R3.7).
    #[serde(serialize_with = "decimal_str")]
    pub actual_fte: Decimal,
    /// Seqs of the contract, its amendments and the timesheet.
    pub evidence: Vec<u64>,
}

/// Serialises an exact decimal as a string without trailing zeros.
pub(crate) fn decimal_str<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.normalize())
}

/// Rounds half away from zero to `places`.
pub(crate) fn round(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

impl Ledger {
    /// The contract of a staff member, if live.
    pub fn contract(&self, staff_id: &str) -> Option<(u64, &StaffContracted)> {
        let seq = *self.ix.staff.get(staff_id)?;
        self.contract_at(seq).map(|c| (seq, c))
    }

    /// The live contract stated at `seq`, if that is one.
    fn contract_at(&self, seq: u64) -> Option<&StaffContracted> {
        match self.decoded(seq) {
            Some(Event::StaffContracted(c)) => Some(c),
            _ => None,
        }
    }

    /// Amendments of a staff member as (effective_from, seq), in the order they apply.
    pub fn amendments(&self, staff_id: &str) -> Vec<(Date, u64)> {
        let mut out: Vec<(Date, u64)> = self
            .ix
            .amendments_by_staff
            .get(staff_id)
            .into_iter()
            .flatten()
            .filter_map(|s| match self.decoded(s) {
                Some(Event::StaffContractAmended(a)) => Some((a.effective_from, s)),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// The terms in force on `day`, or `None` when the contract is not in force
    /// (before its start or after its end as amended).
    pub fn terms_on(&self, staff_id: &str, day: Date) -> Option<Terms> {
        let (_, c) = self.contract(staff_id)?;
        let mut t = Terms {
            fte: c.fte,
            hourly_rate: c.hourly_rate,
            monthly_salary: c.monthly_salary,
            end: c.end,
        };
        for (from, seq) in self.amendments(staff_id) {
            if from > day {
                break;
            }
            if let Some(Event::StaffContractAmended(a)) = self.decoded(seq) {
                t.fte = a.fte.or(t.fte);
                t.hourly_rate = a.hourly_rate.or(t.hourly_rate);
                t.monthly_salary = a.monthly_salary.or(t.monthly_salary);
                t.end = a.end.unwrap_or(t.end);
            }
        }
        (c.start <= day && day <= t.end).then_some(t)
    }

    /// The last day of the contract after every amendment (whatever their dates).
    pub(crate) fn final_end(&self, staff_id: &str) -> Option<Date> {
        let (_, c) = self.contract(staff_id)?;
        let mut end = c.end;
        for (_, seq) in self.amendments(staff_id) {
            if let Some(Event::StaffContractAmended(a)) = self.decoded(seq) {
                end = a.end.unwrap_or(end);
            }
        }
        Some(end)
    }

    /// Contracted hours of a month: Σ over its working days in force of FTE × 8 h (R3.2).
    pub fn contracted_hours(&self, staff_id: &str, month: YearMonth) -> Decimal {
        calendar::working_days_of(month)
            .filter_map(|d| self.terms_on(staff_id, d).and_then(|t| t.fte))
            .map(|f| f.to_decimal() * Decimal::from(HOURS_PER_WORKING_DAY))
            .sum()
    }

    /// The timesheet of a staff member for a month, if filed in this prefix
    /// (decoded: the ledger keeps timesheets encoded).
    pub fn timesheet(
        &self,
        staff_id: &str,
        month: YearMonth,
    ) -> Option<(u64, Box<TimesheetFiled>)> {
        let seq = *self
            .ix
            .timesheets
            .get(&(crate::ledger::Key::from(staff_id), month))?;
        match self.event_owned(seq) {
            Some(Event::TimesheetFiled(t)) => Some((seq, t)),
            _ => None,
        }
    }

    /// Every live timesheet as (seq, payload), by staff id then month.
    pub(crate) fn timesheets(&self) -> impl Iterator<Item = (u64, Box<TimesheetFiled>)> + '_ {
        self.ix
            .timesheets
            .values()
            .filter_map(|&s| match self.event_owned(s) {
                Some(Event::TimesheetFiled(t)) => Some((s, t)),
                _ => None,
            })
    }

    /// A staff member's month as of `as_of`; `None` if there is no such staff member.
    pub fn timesheet_figures(
        &self,
        staff_id: &str,
        month: YearMonth,
        as_of: Date,
    ) -> Option<TimesheetFigures> {
        let (contract_seq, c) = self.contract(staff_id)?;
        let contract = c.contract;
        let working_days = calendar::working_days(month);
        let fund = calendar::fund(month);
        let fund_dec = fund.to_decimal();
        let contracted = self.contracted_hours(staff_id, month);
        let sheet = self
            .timesheet(staff_id, month)
            .filter(|_| month.last_day() <= as_of);
        let mut evidence = vec![contract_seq];
        evidence.extend(
            self.amendments(staff_id)
                .into_iter()
                .filter(|(d, _)| *d <= month.last_day())
                .map(|(_, s)| s),
        );
        let (project, non_project, indirect) = match sheet {
            Some((seq, ref t)) => {
                evidence.push(seq);
                (
                    t.entries.iter().map(|e| e.hours).sum(),
                    t.non_project_hours,
                    t.indirect_hours,
                )
            }
            None => (Hours::ZERO, Hours::ZERO, Hours::ZERO),
        };
        let ratio = |h: Decimal| {
            if fund_dec.is_zero() {
                Decimal::ZERO
            } else {
                round(h / fund_dec, 4)
            }
        };
        let evidence = self.with_corrections(&evidence);
        Some(TimesheetFigures {
            staff_id: staff_id.to_string(),
            month,
            contract,
            working_days,
            fund_hours: fund,
            contracted_fte: ratio(contracted),
            contracted_hours: contracted.normalize(),
            filed: sheet.is_some(),
            project_hours: project,
            non_project_hours: non_project,
            indirect_hours: indirect,
            actual_fte: ratio(project.to_decimal()),
            evidence,
        })
    }

    /// Live staff contracts as (staff_id, seq, contract), by staff id.
    pub fn contracts(&self) -> impl Iterator<Item = (&str, u64, &StaffContracted)> {
        self.ix
            .staff
            .iter()
            .filter_map(|(id, &s)| Some((id.as_str(), s, self.contract_at(s)?)))
    }

    /// Live staff contracts with `role` as (staff_id, seq, contract), by
    /// staff id: [`Ledger::contracts`] of one role, without reading the
    /// others.
    pub fn contracts_in_role(&self, role: &str) -> Vec<(&str, u64, &StaffContracted)> {
        let mut out: Vec<(&str, u64, &StaffContracted)> = self
            .ix
            .staff_by_role
            .get(role)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let c = self.contract_at(s)?;
                Some((c.staff_id.as_str(), s, c))
            })
            .collect();
        out.sort_unstable_by_key(|(id, _, _)| *id);
        out
    }

    /// Whether a contract type limits hours by FTE (R3.2).
    pub(crate) fn has_fte(contract: ContractType) -> bool {
        matches!(contract, ContractType::Employment | ContractType::Dpc)
    }
}

impl Ledger {
    /// The months of a staff member's contract (start to end as amended),
    /// within the project period and up to the month of `as_of`; `None` if
    /// there is no such staff member.
    pub fn staff_months(&self, staff_id: &str, as_of: Date) -> Option<Vec<YearMonth>> {
        let (_, c) = self.contract(staff_id)?;
        let period = self.project()?.period;
        let start = c.start.max(period.start);
        let end = self.final_end(staff_id)?.min(period.end).min(as_of);
        let mut out = Vec::new();
        let mut m = YearMonth::of(start);
        while m.first_day() <= end {
            out.push(m);
            match m.last_day().tomorrow() {
                Ok(next) => m = YearMonth::of(next),
                Err(_) => break,
            }
        }
        Some(out)
    }
}
