//! Findings: every breach of the grant rules an auditor would find, with its
//! evidence and the valid date it arises on (docs/COMPLIANCE.md "Findings").

use std::collections::BTreeMap;

use grantledger_domain::calendar;
use grantledger_domain::events::{ContractType, TimesheetFiled};
use grantledger_domain::{Czk, Date, Hours, YearMonth};
use jiff::ToSpan;
use rust_decimal::Decimal;
use serde::Serialize;

use uuid::Uuid;

use crate::budget::{ExpenseStatus, PROGRAMME_END, PROGRAMME_START};
use crate::participants::SupportEntry;
use crate::Ledger;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A breach: the cost or figure is not eligible as it stands.
    Error,
    /// Something to check or explain.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding (`GET /api/v1/findings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// DOMAIN.md rule id.
    pub rule: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What it is about: `staff ST-01 2017-04`, `expense <uuid>`, …
    pub subject: String,
    /// What is wrong, for a manager.
    pub message: String,
    /// The valid date it arises on; listed for every `as_of` ≥ it.
    pub date: Date,
    /// Seqs of the evidence, sorted.
    pub seqs: Vec<u64>,
}

/// Minimum wage per hour in CZK by year (R3.6; Czech government decrees on the minimum wage).
pub const MINIMUM_WAGE_PER_HOUR: [(i16, Czk); 13] = [
    (2014, Czk::from_halere(5_060)),
    (2015, Czk::from_halere(5_500)),
    (2016, Czk::from_halere(5_870)),
    (2017, Czk::from_halere(6_600)),
    (2018, Czk::from_halere(7_320)),
    (2019, Czk::from_halere(7_980)),
    (2020, Czk::from_halere(8_730)),
    (2021, Czk::from_halere(9_050)),
    (2022, Czk::from_halere(9_640)),
    (2023, Czk::from_halere(10_380)),
    (2024, Czk::from_halere(11_250)),
    (2025, Czk::from_halere(12_440)),
    (2026, Czk::from_halere(13_440)),
];

/// The minimum hourly wage of a year, if known.
pub fn minimum_wage(year: i16) -> Option<Czk> {
    MINIMUM_WAGE_PER_HOUR
        .iter()
        .find(|(y, _)| *y == year)
        .map(|(_, w)| *w)
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

/// One person's contracts: (staff id, contract seq, contract type).
type PersonContracts = Vec<(String, u64, ContractType)>;
/// Timesheets by staff id: (seq, payload).
type SheetsByStaff<'a> = BTreeMap<&'a str, Vec<(u64, &'a TimesheetFiled)>>;

fn person_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Collects findings with sorted evidence.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    /// Adds a finding, its texts and evidence trimmed to their length: the
    /// derived state keeps every finding (and each older version in a
    /// snapshot), and `format!` leaves up to half of a text unused.
    fn push(
        &mut self,
        rule: &'static str,
        severity: Severity,
        mut subject: String,
        date: Date,
        mut seqs: Vec<u64>,
        mut message: String,
    ) {
        seqs.sort_unstable();
        seqs.dedup();
        seqs.shrink_to_fit();
        subject.shrink_to_fit();
        message.shrink_to_fit();
        self.0.push(Finding {
            rule,
            severity,
            subject,
            message,
            date,
            seqs,
        });
    }
}

impl Ledger {
    /// Every finding of this prefix with the date it arises on, sorted by
    /// (date, rule, subject). Filter by `date ≤ as_of` for a point in valid time
    /// (see [`Ledger::findings`]).
    pub fn all_findings(&self) -> Vec<Finding> {
        self.cache().findings(None).into_iter().cloned().collect()
    }

    /// The findings that have arisen by `as_of` (inclusive).
    pub fn findings(&self, as_of: Date) -> Vec<Finding> {
        self.cache()
            .findings(Some(as_of))
            .into_iter()
            .cloned()
            .collect()
    }

    /// The findings over contracts and timesheets (R3.2–R3.6), in the order
    /// found, evidence with its corrections.
    pub(crate) fn staff_group(&self) -> Vec<Finding> {
        let mut f = Findings::default();
        if self.project().is_some() {
            self.staff_findings(&mut f);
        }
        self.corrected(f)
    }

    #[cfg(test)]
    /// The findings over expenses (R4.1–R4.3, R4.6) from their `statuses`.
    pub(crate) fn expense_group(&self, statuses: &[ExpenseStatus]) -> Vec<Finding> {
        let mut f = Findings::default();
        self.expense_findings(&mut f, statuses);
        self.corrected(f)
    }

    /// R1.2 for one registered participant (`reg_seq`, entered on `entry`)
    /// with their support `entries`.
    pub(crate) fn participant_findings(
        &self,
        id: &Uuid,
        (reg_seq, entry): (u64, Date),
        entries: &[SupportEntry],
    ) -> Vec<Finding> {
        let mut f = Findings::default();
        self.participant_findings_into(&mut f, id, (reg_seq, entry), entries);
        self.corrected(f)
    }

    fn corrected(&self, f: Findings) -> Vec<Finding> {
        let mut out = f.0;
        for finding in &mut out {
            self.add_corrections(&mut finding.seqs);
        }
        out
    }

    /// R3.2–R3.6 over contracts and timesheets.
    fn staff_findings(&self, f: &mut Findings) {
        // person key → (display name, [(staff_id, contract seq, type)])
        let mut persons: BTreeMap<String, (String, PersonContracts)> = BTreeMap::new();
        for (id, seq, c) in self.contracts() {
            persons
                .entry(person_key(&c.name))
                .or_insert_with(|| (c.name.trim().to_string(), Vec::new()))
                .1
                .push((id.to_string(), seq, c.contract));
        }
        let timesheets: Vec<(u64, Box<TimesheetFiled>)> = self.timesheets().collect();
        let mut by_staff: BTreeMap<&str, Vec<(u64, &TimesheetFiled)>> = BTreeMap::new();
        for (seq, t) in &timesheets {
            by_staff
                .entry(t.staff_id.as_str())
                .or_default()
                .push((*seq, t));
        }
        for (staff_id, contract_seq, c) in self.contracts() {
            let sheets = by_staff.get(staff_id).cloned().unwrap_or_default();
            for &(ts_seq, t) in &sheets {
                let month = t.month;
                let last = month.last_day();
                let project: Hours = t.entries.iter().map(|e| e.hours).sum();
                let contracted = self.contracted_hours(staff_id, month);
                // the contract, the amendments in force by the month's end, the timesheet
                let mut terms_seqs = vec![contract_seq, ts_seq];
                terms_seqs.extend(
                    self.amendments(staff_id)
                        .into_iter()
                        .filter(|(d, _)| *d <= last)
                        .map(|(_, s)| s),
                );
                // R3.2: project hours above FTE × fund
                if Ledger::has_fte(c.contract) && project.to_decimal() > contracted {
                    f.push("R3.2", Severity::Error, format!("staff {staff_id} {month}"), last, terms_seqs.clone(),
                        format!("{staff_id} charged {project} h in {month}, above the {} h the contract allows (FTE × fund of {} h)",
                            contracted.normalize(), calendar::fund(month)));
                }
                // R3.6: pay below the minimum wage
                let in_force_last = self.final_end(staff_id).map_or(last, |e| e.min(last));
                // no day of the month in force: no pay to check
                let terms = (in_force_last >= month.first_day())
                    .then(|| self.terms_on(staff_id, in_force_last))
                    .flatten();
                if let Some(terms) = terms {
                    match minimum_wage(month.year()) {
                        None => f.push(
                            "R3.6",
                            Severity::Warning,
                            format!("staff {staff_id} {month}"),
                            last,
                            terms_seqs.clone(),
                            format!(
                                "no minimum wage is known for {}; check {staff_id}'s pay by hand",
                                month.year()
                            ),
                        ),
                        Some(min) => {
                            // either pay below the minimum is the finding (one per month)
                            let floor = min.to_decimal() * contracted;
                            let low_rate = terms.hourly_rate.filter(|r| *r < min);
                            let low_salary = terms
                                .monthly_salary
                                .filter(|s| !contracted.is_zero() && s.to_decimal() < floor);
                            if let Some(rate) = low_rate {
                                f.push("R3.6", Severity::Error, format!("staff {staff_id} {month}"), last, terms_seqs.clone(),
                                    format!("{staff_id} is paid {rate} CZK/h in {month}, below the minimum wage of {min} CZK/h"));
                            } else if let Some(salary) = low_salary {
                                f.push("R3.6", Severity::Error, format!("staff {staff_id} {month}"), last, terms_seqs.clone(),
                                    format!("{staff_id}'s salary {salary} CZK in {month} is below the minimum wage for {} contracted hours ({} CZK)",
                                        contracted.normalize(), crate::budget::to_czk(floor)));
                            }
                        }
                    }
                }
                // R3.2 (warning): work on a weekend day or public holiday
                let mut days: BTreeMap<Date, Hours> = BTreeMap::new();
                for e in &t.entries {
                    if let Some(d) = e.date {
                        let h = days.entry(d).or_default();
                        *h = h.saturating_add(e.hours);
                    }
                }
                for (d, h) in days {
                    if !calendar::is_working_day(d) {
                        let what = if calendar::is_public_holiday(d) {
                            "a public holiday"
                        } else {
                            "a weekend day"
                        };
                        f.push(
                            "R3.2",
                            Severity::Warning,
                            format!("staff {staff_id} {d}"),
                            d,
                            vec![ts_seq],
                            format!("{staff_id} recorded {h} h on {d}, {what}"),
                        );
                    }
                }
            }
            if c.contract == ContractType::Dpc {
                self.dpc_findings(f, staff_id, contract_seq, &sheets);
            }
        }
        for (name, contracts) in persons.values() {
            self.person_findings(f, name, contracts, &by_staff);
        }
    }

    /// R3.3 and R3.4 for one person over all their contracts.
    fn person_findings(
        &self,
        f: &mut Findings,
        name: &str,
        contracts: &[(String, u64, ContractType)],
        by_staff: &SheetsByStaff,
    ) {
        let mut months: BTreeMap<YearMonth, (Hours, Vec<u64>)> = BTreeMap::new();
        let mut dpp_years: BTreeMap<i16, Vec<(YearMonth, Hours, u64)>> = BTreeMap::new();
        let mut dpp_days: BTreeMap<Date, (Hours, Vec<u64>)> = BTreeMap::new();
        for (staff_id, _, kind) in contracts {
            for &(seq, t) in by_staff.get(staff_id.as_str()).into_iter().flatten() {
                let project: Hours = t.entries.iter().map(|e| e.hours).sum();
                let m = months.entry(t.month).or_default();
                m.0 = m.0.saturating_add(project).saturating_add(t.indirect_hours);
                m.1.push(seq);
                if *kind == ContractType::Dpp {
                    let all = project
                        .saturating_add(t.non_project_hours)
                        .saturating_add(t.indirect_hours);
                    dpp_years
                        .entry(t.month.year())
                        .or_default()
                        .push((t.month, all, seq));
                    for e in &t.entries {
                        if let Some(d) = e.date {
                            let day = dpp_days.entry(d).or_default();
                            day.0 = day.0.saturating_add(e.hours);
                            day.1.push(seq);
                        }
                    }
                }
            }
        }
        for (month, (hours, seqs)) in months {
            let fund = calendar::fund(month);
            if hours > fund {
                f.push("R3.3", Severity::Error, format!("person {name} {month}"), month.last_day(), seqs,
                    format!("{name} worked {hours} h on the project in {month} over all contracts, above the {fund} h of 1.0 FTE"));
            }
        }
        let limit = Hours::from_whole(300);
        for (year, mut list) in dpp_years {
            list.sort();
            let mut total = Hours::ZERO;
            let mut seqs = Vec::new();
            for (month, hours, seq) in list {
                total = total.saturating_add(hours);
                seqs.push(seq);
                if total > limit {
                    f.push("R3.4", Severity::Error, format!("person {name} {year}"), month.last_day(), seqs.clone(),
                        format!("{name} worked {total} h on DPP in {year} by {month}, above the 300 h a year"));
                    break;
                }
            }
        }
        for (day, (hours, seqs)) in dpp_days {
            if hours > Hours::from_whole(12) {
                f.push(
                    "R3.4",
                    Severity::Error,
                    format!("person {name} {day}"),
                    day,
                    seqs,
                    format!("{name} worked {hours} h on DPP on {day}, above the 12 h a day"),
                );
            }
        }
    }

    /// R3.5: a DPČ's average over each 52-week assessment window.
    fn dpc_findings(
        &self,
        f: &mut Findings,
        staff_id: &str,
        contract_seq: u64,
        sheets: &[(u64, &TimesheetFiled)],
    ) {
        let Some((_, c)) = self.contract(staff_id) else {
            return;
        };
        let end = self.final_end(staff_id).unwrap_or(c.end);
        let mut windows: Vec<(Date, Date, Hours, Vec<u64>, bool)> = Vec::new();
        let mut start = c.start;
        while start <= end {
            let w_end = start.checked_add(363.days()).map_or(end, |d| d.min(end));
            windows.push((start, w_end, Hours::ZERO, vec![contract_seq], false));
            match w_end.tomorrow() {
                Ok(n) => start = n,
                Err(_) => break,
            }
        }
        let mut sorted: Vec<_> = sheets.to_vec();
        sorted.sort_by_key(|(_, t)| t.month);
        for (seq, t) in sorted {
            let first_in_force = t.month.first_day().max(c.start);
            let Some(w) = windows
                .iter_mut()
                .find(|w| w.0 <= first_in_force && first_in_force <= w.1)
            else {
                continue;
            };
            let hours: Hours = t
                .entries
                .iter()
                .map(|e| e.hours)
                .sum::<Hours>()
                .saturating_add(t.non_project_hours)
                .saturating_add(t.indirect_hours);
            w.2 = w.2.saturating_add(hours);
            w.3.push(seq);
            let days = i64::from((w.1 - w.0).get_days()) + 1;
            // hours > 20 × days ÷ 7  ⇔  centihours × 7 > 2000 × days
            if !w.4 && w.2.centihours() * 7 > 2000 * days {
                w.4 = true;
                let limit = Decimal::from(20 * days) / Decimal::from(7);
                f.push("R3.5", Severity::Error, format!("staff {staff_id} window {}..{}", w.0, w.1), t.month.last_day(), w.3.clone(),
                    format!("{staff_id} (DPČ) worked {} h in {}..{}, above the average 20 h/week ({} h)", w.2, w.0, w.1, crate::staff::round(limit, 2)));
            }
        }
    }

    #[cfg(test)]
    /// R4.1, R4.2, R4.3, R4.6 over expenses.
    fn expense_findings(&self, f: &mut Findings, statuses: &[ExpenseStatus]) {
        let Some(project) = self.project() else {
            return;
        };
        for s in statuses {
            self.one_expense_findings(f, project, s);
        }
        for line in &project.budget_lines {
            let mut mine: Vec<_> = statuses
                .iter()
                .filter(|s| s.budget_line == line.code.as_str())
                .filter_map(|s| Some((s.eligible_on?, s.seq, s.eligible_amount)))
                .collect();
            mine.sort();
            line_findings(f, line, &mine);
        }
    }

    /// The findings of one expense (R4.1, R4.3, R4.6), evidence with its corrections.
    pub(crate) fn expense_findings_of(&self, s: &ExpenseStatus) -> Vec<Finding> {
        let mut f = Findings::default();
        if let Some(project) = self.project() {
            self.one_expense_findings(&mut f, project, s);
        }
        self.corrected(f)
    }

    /// R4.2 over every budget line: `lines[i]` holds line i's eligible
    /// expenses as (eligible on, seq, eligible amount), sorted.
    pub(crate) fn budget_line_findings(&self, lines: &[Vec<(Date, u64, Decimal)>]) -> Vec<Finding> {
        let mut f = Findings::default();
        if let Some(project) = self.project() {
            for (line, mine) in project.budget_lines.iter().zip(lines) {
                line_findings(&mut f, line, mine);
            }
        }
        self.corrected(f)
    }

    fn one_expense_findings(
        &self,
        f: &mut Findings,
        project: &grantledger_domain::events::ProjectDefined,
        s: &ExpenseStatus,
    ) {
        let after_end = next_day(project.period.end);
        {
            let event = self.event(s.seq);
            let Some(grantledger_domain::Event::ExpenseRecorded(e)) = event.as_deref() else {
                return;
            };
            let subject = format!("expense {}", s.expense_id);
            let t = s.taxable_supply_date;
            let doc = format!(
                "{} {} ({})",
                e.supplier.name.trim(),
                e.document_no.trim(),
                s.amount
            );
            if !project.period.contains(t) || t < PROGRAMME_START || t > PROGRAMME_END {
                f.push(
                    "R4.1",
                    Severity::Error,
                    subject.clone(),
                    t,
                    s.evidence.clone(),
                    format!(
                        "{doc} was incurred on {t}, outside the project period {} – {}",
                        project.period.start, project.period.end
                    ),
                );
            }
            if s.paid_on.is_none_or(|p| p > project.period.end) {
                f.push(
                    "R4.1",
                    Severity::Error,
                    subject.clone(),
                    after_end,
                    s.evidence.clone(),
                    format!(
                        "{doc} was not paid by the project end {}",
                        project.period.end
                    ),
                );
            }
            if let Some(p) = project
                .monitoring_periods
                .iter()
                .find(|p| p.start <= t && t <= p.end)
            {
                if !p.r#final
                    && p.end < project.period.end
                    && s.paid_on.is_none_or(|paid| paid > p.end)
                {
                    f.push("R4.1", Severity::Warning, subject.clone(), next_day(p.end), s.evidence.clone(),
                        format!("{doc} was not paid by the end of monitoring period {} ({}); it can only be claimed later", p.no, p.end));
                }
            }
            for r in &s.reasons {
                if r.starts_with("R4.3: document") {
                    f.push(
                        "R4.3",
                        Severity::Error,
                        subject.clone(),
                        t,
                        s.evidence.clone(),
                        format!("{doc}: the same document is already claimed (double funding)"),
                    );
                } else if r.starts_with("R4.3: financed") {
                    f.push(
                        "R4.3",
                        Severity::Error,
                        subject.clone(),
                        t,
                        s.evidence.clone(),
                        format!("{doc} is {}", r.trim_start_matches("R4.3: ")),
                    );
                } else if r.starts_with("R4.6") {
                    f.push(
                        "R4.6",
                        Severity::Error,
                        subject.clone(),
                        t,
                        s.evidence.clone(),
                        format!("{doc}: {}", r.trim_start_matches("R4.6: ")),
                    );
                }
            }
        }
    }

    /// R1.2: no support begins before the participant's entry (their
    /// characteristics are recorded at entry), every participant has an exit
    /// date once the final period has ended, and no support is recorded
    /// after the exit.
    fn participant_findings_into(
        &self,
        f: &mut Findings,
        id: &Uuid,
        (seq, entry): (u64, Date),
        entries: &[SupportEntry],
    ) {
        let Some(project) = self.project() else {
            return;
        };
        // begun before the entry (an internship by its first day), dated
        // at the first such support's valid date
        let before: Vec<_> = entries.iter().filter(|e| e.start < entry).collect();
        if let Some(first) = before.first() {
            let mut seqs: Vec<u64> = before.iter().flat_map(|e| e.seqs()).collect();
            seqs.push(seq);
            let began = before.iter().map(|e| e.start).min().unwrap_or(first.start);
            f.push("R1.2", Severity::Error, format!("participant {id} before entry"), first.date, seqs,
                format!("participant {id} entered on {entry} but has support from {began} (check the dates)"));
        }
        // the final period's end; a project that marks no period final ends with its period
        let last = Some(
            project
                .monitoring_periods
                .iter()
                .filter(|p| p.r#final)
                .map(|p| p.end)
                .max()
                .unwrap_or(project.period.end),
        );
        let exit = self
            .ix
            .exits
            .get(id)
            .and_then(|s| match self.event(*s).as_deref() {
                Some(grantledger_domain::Event::ParticipantExited(x)) => Some((*s, x.exit_date)),
                _ => None,
            });
        match (exit, last) {
            (None, Some(last)) => f.push("R1.2", Severity::Error, format!("participant {id}"), next_day(last), vec![seq],
                format!("participant {id} has no exit date, required by the final report (period ending {last})")),
            (Some((exit_seq, exit_date)), _) => {
                let after: Vec<_> = entries.iter().filter(|e| e.date > exit_date).collect();
                if let Some(first) = after.first() {
                    let mut seqs: Vec<u64> = after.iter().flat_map(|e| e.seqs()).collect();
                    seqs.push(exit_seq);
                    f.push("R1.2", Severity::Error, format!("participant {id} after exit"), first.date, seqs,
                        format!("participant {id} exited on {exit_date} but has support recorded on {} (check the dates)", first.date));
                }
            }
            (None, None) => {}
        }
    }
}

/// R4.2 for one budget line: the first date its eligible total (`mine`,
/// sorted by (eligible on, seq)) exceeds its amount.
fn line_findings(
    f: &mut Findings,
    line: &grantledger_domain::events::BudgetLine,
    mine: &[(Date, u64, Decimal)],
) {
    let mut total = Decimal::ZERO;
    let mut seqs = Vec::new();
    let mut i = 0;
    while i < mine.len() {
        let day = mine[i].0;
        while i < mine.len() && mine[i].0 == day {
            total += mine[i].2;
            seqs.push(mine[i].1);
            i += 1;
        }
        if total > line.amount.to_decimal() {
            f.push(
                "R4.2",
                Severity::Error,
                format!("budget_line {}", line.code),
                day,
                seqs.clone(),
                format!(
                    "budget line {} ({}) reached {} CZK on {day}, above its {} CZK",
                    line.code,
                    line.name,
                    crate::budget::to_czk(total),
                    line.amount
                ),
            );
            break;
        }
    }
}
