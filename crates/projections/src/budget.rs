//! Eligible expenses and the budget (DOMAIN.md R4; docs/COMPLIANCE.md
//! "Eligible expenses and budget").

use grantledger_domain::events::{ContractType, ExpenseRecorded};
use grantledger_domain::{Czk, Date, Event};
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::ledger::Key;
use crate::staff::{decimal_str, round};
use crate::Ledger;

/// The programme's eligibility window, EU Reg. 1303/2013 Art. 65(2) (R4.1).
pub const PROGRAMME_START: Date = Date::constant(2014, 1, 1);
/// Last day of the programme's eligibility window (R4.1).
pub const PROGRAMME_END: Date = Date::constant(2023, 12, 31);

/// Rounding rule stated in every budget answer (R4.5).
pub const ROUNDING_RULE: &str = "R4.5: amounts are summed exactly; each total shown (line, direct, indirect) is rounded once, half away from zero, to the haléř, so the rounded lines may differ from the direct total by a haléř; total = direct + indirect. R4.2: a line reimburses at most its amount";

/// Why an expense is (not) eligible, independent of `as_of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpenseStatus {
    /// Seq of the `expense_recorded` event.
    pub seq: u64,
    /// The expense.
    pub expense_id: Uuid,
    /// Budget line code.
    pub budget_line: String,
    /// Amount incl. VAT.
    pub amount: Czk,
    /// Taxable supply date.
    pub taxable_supply_date: Date,
    /// Earliest payment date, if paid.
    pub paid_on: Option<Date>,
    /// Eligible amount, exact (personnel costs pro rata, R4.6).
    #[serde(serialize_with = "decimal_str")]
    pub eligible_amount: Decimal,
    /// The date it becomes eligible (incurred and paid), `None` if never.
    pub eligible_on: Option<Date>,
    /// Rule ids and reasons it is not eligible (empty when eligible).
    pub reasons: Vec<String>,
    /// How the eligible amount was computed when it is not the whole amount
    /// (R4.6 pro rata of a personnel cost).
    pub note: Option<String>,
    /// Seqs behind the status: the expense, its payments, an earlier claim
    /// of its document (R4.3), and for personnel costs the timesheet and the
    /// contract with the amendments in force by the month's end (R4.6); with
    /// the corrections of each, sorted.
    pub evidence: Vec<u64>,
}

/// One budget line as of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetLineFigures {
    /// Line code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Budget amount.
    pub amount: Czk,
    /// Σ of the line's eligible expenses (R4.1–R4.3, R4.6), rounded once.
    pub claimed: Czk,
    /// What the line can reimburse: the claimed sum capped at the line's
    /// amount (R4.2), rounded once.
    pub eligible: Czk,
    /// claimed − eligible: spent above the line's amount, not reimbursed (R4.2).
    pub over_budget: Czk,
    /// amount − eligible (0 when the line is used up).
    pub remaining: Czk,
    /// Whether it is a personnel line.
    pub personnel: bool,
    /// Seqs of the eligible expenses and of the corrections that replaced
    /// their payloads, sorted.
    pub evidence: Vec<u64>,
}

/// The budget as of a date (`GET /api/v1/budget`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// Per line.
    pub lines: Vec<BudgetLineFigures>,
    /// Σ eligible direct costs (each line capped at its amount), rounded once.
    pub direct_eligible: Czk,
    /// Flat rate of indirect costs, percent (R4.4).
    #[serde(serialize_with = "decimal_str")]
    pub indirect_cost_rate_pct: Decimal,
    /// Indirect costs = direct × rate ÷ 100, rounded once (R4.4, R4.5).
    pub indirect: Czk,
    /// direct_eligible + indirect.
    pub total_eligible: Czk,
    /// Σ of the line amounts.
    pub total_budget: Czk,
    /// The rounding rule applied.
    pub rounding: &'static str,
}

/// Exact CZK decimal rounded half away from zero to the haléř.
pub(crate) fn to_czk(d: Decimal) -> Czk {
    let r = round(d, 2);
    let units = (r * Decimal::from(100)).trunc();
    Czk::from_halere(i64::try_from(units).unwrap_or(if r.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    }))
}

/// The normalised document key of R4.3: supplier IČO + document number.
pub(crate) fn document_key(e: &ExpenseRecorded) -> DocumentKey {
    (
        Key::new(e.supplier.ico.as_str()),
        Key::new(e.document_no.trim().to_lowercase()),
    )
}

/// (supplier IČO, document number trimmed and lower-cased): inline strings,
/// so that copying a B-tree leaf of them (a snapshot diverging from the
/// head) allocates nothing.
pub(crate) type DocumentKey = (Key, Key);

impl Ledger {
    /// Live expenses as (seq, payload), in log order.
    pub fn expenses(&self) -> Vec<(u64, Box<ExpenseRecorded>)> {
        let mut out: Vec<(u64, Box<ExpenseRecorded>)> = self
            .ix
            .expenses
            .values()
            .filter_map(|&s| match self.event_owned(s) {
                Some(Event::ExpenseRecorded(e)) => Some((s, e)),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(s, _)| *s);
        out
    }

    /// The earliest payment of an expense and the seqs of `expense_paid` events.
    pub(crate) fn payment(&self, e: &ExpenseRecorded) -> (Option<Date>, Vec<u64>) {
        let mut paid = e.paid_on;
        let mut seqs = Vec::new();
        for s in self
            .ix
            .payments_by_expense
            .get(&e.expense_id)
            .into_iter()
            .flatten()
        {
            if let Some(Event::ExpensePaid(p)) = self.event(s).as_deref() {
                paid = Some(paid.map_or(p.paid_on, |d| d.min(p.paid_on)));
                seqs.push(s);
            }
        }
        (paid, seqs)
    }

    /// Whether an expense is personnel cost: on a personnel line or naming a staff member (R4.6).
    pub(crate) fn is_personnel(&self, e: &ExpenseRecorded) -> bool {
        e.staff_id.is_some()
            || self.project().is_some_and(|p| {
                p.budget_lines
                    .iter()
                    .any(|l| l.code == e.budget_line && l.personnel)
            })
    }

    /// The eligibility of every live expense, in log order (R4.1–R4.3, R4.6).
    pub fn expense_statuses(&self) -> Vec<ExpenseStatus> {
        self.expense_statuses_dated(|_, _| true, |s, _| Some(s))
    }

    /// What `f` makes of the status of each live expense that `dated`
    /// accepts by its dates (taxable supply date, and the date it becomes
    /// eligible if ever), with the expense itself, those it maps to `Some`,
    /// in log order: a period report's rows, say, without a status made for
    /// the expenses of other periods.
    ///
    /// The derived state keeps only the figures of a status (ADR 0008); its
    /// reasons, note and evidence are made here, from the same rules as at
    /// each refresh ([`Ledger::expense_status`]).
    pub fn expense_statuses_dated<T>(
        &self,
        dated: impl Fn(Date, Option<Date>) -> bool,
        mut f: impl FnMut(ExpenseStatus, &ExpenseRecorded) -> Option<T>,
    ) -> Vec<T> {
        let Some(project) = self.project() else {
            return Vec::new();
        };
        let cache = self.cache();
        // the seqs first, so that the vector of `T`s (a report's rows, ≈
        // 300 bytes each) is made at its size and not doubled as it grows
        let seqs: Vec<u64> = cache
            .expenses()
            .filter(|(_, x)| dated(x.taxable_supply_date, x.eligible_on))
            .map(|(seq, _)| seq)
            .collect();
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let event = self.event(seq);
            let Some(Event::ExpenseRecorded(e)) = event.as_deref() else {
                continue;
            };
            let first = cache.first_with_document(self, e, seq);
            if let Some(t) = f(self.expense_status(project, seq, e, first), e) {
                out.push(t);
            }
        }
        out
    }

    #[cfg(test)]
    /// [`Ledger::expense_statuses`], computed from the live facts.
    pub(crate) fn compute_expense_statuses(&self) -> Vec<ExpenseStatus> {
        let Some(project) = self.project() else {
            return Vec::new();
        };
        let mut seen: std::collections::BTreeMap<DocumentKey, u64> =
            std::collections::BTreeMap::new();
        let mut out = Vec::new();
        for (seq, e) in self.expenses() {
            let first = match seen.get(&document_key(&e)) {
                Some(&first) => Some(first),
                None => {
                    seen.insert(document_key(&e), seq);
                    None
                }
            };
            out.push(self.expense_status(project, seq, &e, first));
        }
        out
    }

    /// The eligibility of the live expense at `seq`; `first` is the seq of
    /// the first live expense (in log order) with the same document, if it
    /// is another one (R4.3).
    pub(crate) fn expense_status(
        &self,
        project: &grantledger_domain::events::ProjectDefined,
        seq: u64,
        e: &ExpenseRecorded,
        first: Option<u64>,
    ) -> ExpenseStatus {
        {
            let mut reasons = Vec::new();
            let mut evidence = vec![seq];
            let (paid_on, pay_seqs) = self.payment(e);
            evidence.extend(pay_seqs);
            let t = e.taxable_supply_date;
            if !project.period.contains(t) || t < PROGRAMME_START || t > PROGRAMME_END {
                reasons.push(format!("R4.1: incurred on {t}, outside the project period"));
            }
            match paid_on {
                None => reasons.push("R4.1: not paid".to_string()),
                Some(p) if p > project.period.end => reasons.push(format!(
                    "R4.1: paid on {p}, after the project end {}",
                    project.period.end
                )),
                Some(_) => {}
            }
            if let Some(first) = first {
                evidence.push(first);
                reasons.push(format!(
                    "R4.3: document {} of {} is claimed twice",
                    e.document_no.trim(),
                    e.supplier.ico.as_str()
                ));
            }
            if let Some(other) = &e.other_funding {
                reasons.push(format!("R4.3: financed from another source ({other})"));
            }
            let mut eligible_amount = e.amount.to_decimal();
            let mut note = None;
            if self.is_personnel(e) {
                match (&e.staff_id, e.month) {
                    (Some(staff), Some(month)) => match self.timesheet(staff.as_str(), month) {
                        Some((ts_seq, ts)) => {
                            // the timesheet, and the contract with the
                            // amendments in force by the month's end (they
                            // give the contracted hours it is divided by)
                            evidence.push(ts_seq);
                            evidence.extend(self.contract(staff.as_str()).map(|(s, _)| s));
                            evidence.extend(
                                self.amendments(staff.as_str())
                                    .into_iter()
                                    .filter(|(from, _)| *from <= month.last_day())
                                    .map(|(_, s)| s),
                            );
                            let project_hours: Decimal =
                                ts.entries.iter().map(|x| x.hours.to_decimal()).sum();
                            let divisor =
                                match self.contract(staff.as_str()).map(|(_, c)| c.contract) {
                                    Some(ContractType::Dpp) => {
                                        project_hours
                                            + ts.non_project_hours.to_decimal()
                                            + ts.indirect_hours.to_decimal()
                                    }
                                    _ => self.contracted_hours(staff.as_str(), month),
                                };
                            // multiply before dividing: amount × P ÷ C, at most the amount
                            let whole = eligible_amount;
                            eligible_amount = if divisor.is_zero() {
                                Decimal::ZERO
                            } else {
                                (eligible_amount * project_hours / divisor).min(eligible_amount)
                            };
                            if eligible_amount != whole {
                                let of = if matches!(
                                    self.contract(staff.as_str()).map(|(_, c)| c.contract),
                                    Some(ContractType::Dpp)
                                ) {
                                    "hours worked"
                                } else {
                                    "contracted hours"
                                };
                                note = Some(format!(
                                    "R4.6: {} of {} {of} in {month} charged to the project: {} of {} CZK",
                                    project_hours.normalize(),
                                    divisor.normalize(),
                                    to_czk(eligible_amount),
                                    e.amount
                                ));
                            }
                        }
                        None => reasons.push(format!("R4.6: no timesheet of {staff} for {month}")),
                    },
                    _ => reasons.push(
                        "R4.6: a personnel expense must name the staff member (staff_id) and month"
                            .to_string(),
                    ),
                }
            }
            let evidence = self.with_corrections(&evidence);
            let eligible_on = match (reasons.is_empty(), paid_on) {
                (true, Some(p)) => Some(t.max(p)),
                _ => None,
            };
            ExpenseStatus {
                seq,
                expense_id: e.expense_id,
                budget_line: e.budget_line.to_string(),
                amount: e.amount,
                taxable_supply_date: t,
                paid_on,
                eligible_amount: if eligible_on.is_some() {
                    eligible_amount
                } else {
                    Decimal::ZERO
                },
                eligible_on,
                reasons,
                note,
                evidence,
            }
        }
    }

    /// Every event behind a budget line's eligible figure as of `as_of`
    /// (inclusive): for each expense of line `code` eligible by then, the
    /// evidence of its status (the expense, its payments, for personnel
    /// costs the timesheet, contract and amendments, R4.6) with the
    /// corrections of each; sorted, each seq once. Empty for an unknown line
    /// or one without eligible expenses.
    pub fn budget_line_evidence(&self, code: &str, as_of: Date) -> Vec<u64> {
        let by = |d: Option<Date>| d.is_some_and(|d| d <= as_of);
        let mut seqs: Vec<u64> = self
            .expense_statuses_dated(
                |_, eligible_on| by(eligible_on),
                |s, e| (e.budget_line.as_str() == code && by(s.eligible_on)).then_some(s.evidence),
            )
            .into_iter()
            .flatten()
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }

    /// The budget as of `as_of` (inclusive); `None` before `project_defined`.
    pub fn budget(&self, as_of: Date) -> Option<Budget> {
        let project = self.project()?;
        let cache = self.cache();
        let mut direct = Decimal::ZERO;
        let mut lines = Vec::new();
        let mut total_budget = Czk::ZERO;
        for line in &project.budget_lines {
            // the derived index of the line's eligible expenses, not a
            // pass over every expense for each line
            let mine = cache.line_eligible(line.code.as_str(), as_of);
            let exact: Decimal = mine.iter().map(|(_, amount)| amount).sum();
            let capped = exact.min(line.amount.to_decimal());
            direct += capped;
            let (claimed, eligible) = (to_czk(exact), to_czk(capped));
            total_budget = total_budget.saturating_add(line.amount);
            lines.push(BudgetLineFigures {
                code: line.code.to_string(),
                name: line.name.clone(),
                amount: line.amount,
                claimed,
                eligible,
                over_budget: Czk::from_halere(claimed.halere() - eligible.halere()),
                remaining: Czk::from_halere(line.amount.halere() - eligible.halere()),
                personnel: line.personnel,
                evidence: self
                    .with_corrections(&mine.iter().map(|(seq, _)| *seq).collect::<Vec<_>>()),
            });
        }
        let rate = project.indirect_cost_rate_pct.to_decimal();
        let direct_eligible = to_czk(direct);
        let indirect = to_czk(direct * rate / Decimal::from(100));
        Some(Budget {
            lines,
            direct_eligible,
            indirect_cost_rate_pct: rate,
            indirect,
            total_eligible: direct_eligible.saturating_add(indirect),
            total_budget,
            rounding: ROUNDING_RULE,
        })
    }
}
