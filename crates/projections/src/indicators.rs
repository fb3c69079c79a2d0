//! Indicator measures (DOMAIN.md R2): each evaluated on a ledger state at a
//! valid date `as_of` (inclusive).

use std::collections::BTreeSet;

use grantledger_domain::events::{Gender, IndicatorDefinition, Measure};
use grantledger_domain::{calendar, Date, Event, Fte, Hours, YearMonth};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::Ledger;

/// A figure: a count (JSON number) or an exact decimal such as an FTE (JSON
/// string, no trailing zeros: `"0.6"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// A whole count.
    Count(u64),
    /// An exact decimal (FTE, or a fractional target).
    Decimal(Decimal),
}

impl Figure {
    /// The figure as a decimal, for comparisons.
    pub fn to_decimal(self) -> Decimal {
        match self {
            Figure::Count(n) => Decimal::from(n),
            Figure::Decimal(d) => d,
        }
    }
}

impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Figure::Count(n) => s.serialize_u64(*n),
            Figure::Decimal(d) => s.collect_str(&d.normalize()),
        }
    }
}

/// The actual FTE of a month (R3.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActualFte {
    /// The month, `YYYY-MM`.
    pub month: YearMonth,
    /// Whether any timesheet of the role's staff is filed for the month.
    pub filed: bool,
    /// Charged project hours ÷ fund, 4 places; `null` when nothing is filed.
    pub fte: Option<Figure>,
}

/// A count split by gender (R1.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByGender {
    /// Women.
    pub female: u64,
    /// Men.
    pub male: u64,
}

/// One indicator's value as of a date (`GET /api/v1/indicators`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorValue {
    /// Indicator code from the project definition.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Target (a count for counting measures, an FTE string for `staff_fte`).
    pub target: Figure,
    /// Value as of the date.
    pub value: Figure,
    /// Whether value ≥ target.
    pub met: bool,
    /// For person counts: the split by gender (R1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_gender: Option<ByGender>,
    /// The measure computed.
    pub measure: &'static str,
    /// For `staff_fte`: the actual FTE (R3.7) of the last complete month on or
    /// before `as_of`: charged project hours of the role's staff ÷ fund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<ActualFte>,
    /// Seqs of the events the value stands on (explain), sorted.
    #[serde(skip)]
    pub evidence: Vec<u64>,
}

impl Ledger {
    /// Every indicator of the project definition, as of `as_of` (inclusive), in
    /// definition order. Empty before `project_defined`.
    pub fn indicators(&self, as_of: Date) -> Vec<IndicatorValue> {
        let Some(project) = self.project() else {
            return Vec::new();
        };
        project
            .indicators
            .iter()
            .map(|def| self.indicator(def, as_of))
            .collect()
    }

    /// One indicator as of `as_of`.
    pub fn indicator(&self, def: &IndicatorDefinition, as_of: Date) -> IndicatorValue {
        let mut by_gender = None;
        let mut actual = None;
        let (value, evidence) = match def.measure {
            Measure::SupportedPersons => {
                let (n, g, ev) = self.supported_persons(as_of);
                by_gender = Some(g);
                (Figure::Count(n), ev)
            }
            Measure::CourseRunsHeld => {
                let runs = self.runs_held(as_of);
                let evidence = self.with_sessions(&runs, as_of);
                (Figure::Count(runs.len() as u64), evidence)
            }
            Measure::CourseTypesHeld => {
                let (n, ev) = self.course_types_held(as_of);
                (Figure::Count(n), ev)
            }
            Measure::MunicipalitiesReached => {
                let (n, ev) = self.municipalities_reached(def.municipalities.as_deref(), as_of);
                (Figure::Count(n), ev)
            }
            Measure::SeminarsAndWorkshopsHeld => {
                let ev: Vec<u64> = self.dated(
                    self.ix.seminars.values().chain(self.ix.workshops.values()),
                    as_of,
                );
                (Figure::Count(ev.len() as u64), ev)
            }
            Measure::ConferencesHeld => {
                let ev = self.dated(self.ix.conferences.values(), as_of);
                (Figure::Count(ev.len() as u64), ev)
            }
            Measure::InternshipsCompleted => {
                let all = self.ix.internships_by_participant.values().flatten();
                let ev = self.dated(all, as_of);
                (Figure::Count(ev.len() as u64), ev)
            }
            Measure::StaffFte => {
                let role = def.role.as_ref().map(|r| r.as_str()).unwrap_or_default();
                let (fte, ev) = self.staff_fte(role, as_of);
                actual = self.actual_fte(role, as_of);
                (Figure::Decimal(fte.to_decimal()), ev)
            }
        };
        let target_dec = def.target.to_decimal().normalize();
        let target = if def.measure != Measure::StaffFte && target_dec.fract().is_zero() {
            u64::try_from(target_dec.trunc().mantissa())
                .map_or(Figure::Decimal(target_dec), Figure::Count)
        } else {
            Figure::Decimal(target_dec)
        };
        let mut evidence = evidence;
        evidence.sort_unstable();
        evidence.dedup();
        IndicatorValue {
            code: def.code.to_string(),
            name: def.name.clone(),
            unit: def.unit.clone(),
            met: value.to_decimal() >= target.to_decimal(),
            target,
            value,
            by_gender,
            measure: def.measure.as_str(),
            actual,
            evidence,
        }
    }

    /// Seqs among `seqs` whose event's valid date is ≤ `as_of`.
    fn dated<'a>(&self, seqs: impl Iterator<Item = &'a u64>, as_of: Date) -> Vec<u64> {
        seqs.copied()
            .filter(|s| {
                self.event(*s)
                    .and_then(Event::valid_date)
                    .is_some_and(|d| d <= as_of)
            })
            .collect()
    }

    /// R1.3–R1.5: supported persons as of `as_of`, by gender, with evidence
    /// (each person's registration and the entries up to their crossing).
    fn supported_persons(&self, as_of: Date) -> (u64, ByGender, Vec<u64>) {
        let mut by = ByGender::default();
        let mut evidence = Vec::new();
        for (id, &reg_seq) in &self.ix.participants {
            let Some(reg) = self.registration(id) else {
                continue;
            };
            let entries = self.support_entries(id);
            let Some(on) = self.crossing_date(&entries).filter(|d| *d <= as_of) else {
                continue;
            };
            match reg.gender {
                Gender::Female => by.female += 1,
                Gender::Male => by.male += 1,
            }
            evidence.push(reg_seq);
            evidence.extend(
                entries
                    .iter()
                    .filter(|e| e.date <= on)
                    .flat_map(|e| e.seqs()),
            );
        }
        (by.female + by.male, by, evidence)
    }

    /// R2.1: seqs of the runs held as of `as_of`: their sessions dated ≤ `as_of`
    /// sum to at least the course's planned hours.
    pub(crate) fn runs_held(&self, as_of: Date) -> BTreeSet<u64> {
        let mut held = BTreeSet::new();
        for (run_id, &run_seq) in &self.ix.runs {
            let Some(Event::CourseRunScheduled(run)) = self.event(run_seq) else {
                continue;
            };
            let planned = match self
                .ix
                .courses
                .get(run.course_id.as_str())
                .and_then(|s| self.event(*s))
            {
                Some(Event::CourseDefined(c)) => c.planned_hours,
                _ => continue,
            };
            let done: Hours = self
                .ix
                .sessions_by_run
                .get(run_id)
                .into_iter()
                .flatten()
                .filter_map(|s| match self.event(*s) {
                    Some(Event::SessionHeld(x)) if x.date <= as_of => Some(x.hours),
                    _ => None,
                })
                .sum();
            if done >= planned {
                held.insert(run_seq);
            }
        }
        held
    }

    /// R2.1: courses with at least one held run; evidence = the held runs and their courses.
    fn course_types_held(&self, as_of: Date) -> (u64, Vec<u64>) {
        let mut courses = BTreeSet::new();
        let mut evidence = Vec::new();
        for run_seq in self.runs_held(as_of) {
            if let Some(Event::CourseRunScheduled(run)) = self.event(run_seq) {
                if let Some(&c) = self.ix.courses.get(run.course_id.as_str()) {
                    courses.insert(c);
                    evidence.push(run_seq);
                }
            }
        }
        evidence.extend(courses.iter().copied());
        let runs: BTreeSet<u64> = evidence.iter().copied().collect();
        (courses.len() as u64, self.with_sessions(&runs, as_of))
    }

    /// `seqs` plus the sessions dated ≤ `as_of` of the runs among them: the
    /// events that decide whether a run is held (R2.1).
    fn with_sessions(&self, seqs: &BTreeSet<u64>, as_of: Date) -> Vec<u64> {
        let mut out: Vec<u64> = seqs.iter().copied().collect();
        for &seq in seqs {
            if let Some(Event::CourseRunScheduled(run)) = self.event(seq) {
                for &s in self
                    .ix
                    .sessions_by_run
                    .get(run.run_id.as_str())
                    .into_iter()
                    .flatten()
                {
                    if matches!(self.event(s), Some(Event::SessionHeld(x)) if x.date <= as_of) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    /// R2.2/R2.3: distinct municipalities of seminars dated ≤ `as_of`; when
    /// `listed` is given only those in it count (compared trimmed, case-insensitively).
    fn municipalities_reached(&self, listed: Option<&[String]>, as_of: Date) -> (u64, Vec<u64>) {
        let norm = |s: &str| s.trim().to_lowercase();
        let listed: Option<BTreeSet<String>> = listed.map(|l| l.iter().map(|m| norm(m)).collect());
        let mut reached = BTreeSet::new();
        let mut evidence = Vec::new();
        for &seq in self.ix.seminars.values() {
            let Some(Event::SeminarHeld(s)) = self.event(seq) else {
                continue;
            };
            let m = norm(&s.municipality);
            if s.date <= as_of && listed.as_ref().is_none_or(|l| l.contains(&m)) {
                reached.insert(m);
                evidence.push(seq);
            }
        }
        (reached.len() as u64, evidence)
    }

    /// R3.7 / R2 P-MAN-FTE: the contracted FTE in force on `on` of the staff
    /// with `role`, summed. A contract is in force from its start to its end
    /// (as amended) inclusive; its FTE is that of the latest amendment
    /// effective on or before `on` that sets one (DPP contracts have none: 0).
    pub fn staff_fte(&self, role: &str, on: Date) -> (Fte, Vec<u64>) {
        let mut total = Fte::ZERO;
        let mut evidence = Vec::new();
        for (staff_id, seq, c) in self.contracts() {
            if c.role.as_str() != role {
                continue;
            }
            if let Some(terms) = self.terms_on(staff_id, on) {
                total = total + terms.fte.unwrap_or(Fte::ZERO);
                evidence.push(seq);
                evidence.extend(
                    self.amendments(staff_id)
                        .into_iter()
                        .filter(|(d, _)| *d <= on)
                        .map(|(_, s)| s),
                );
            }
        }
        (total, evidence)
    }

    /// R3.7: the actual FTE of the staff with `role` in the last complete
    /// month on or before `as_of` (within the project period): Σ charged
    /// project hours ÷ fund. `None` when there is no such month.
    fn actual_fte(&self, role: &str, as_of: Date) -> Option<ActualFte> {
        let period = self.project()?.period;
        let day = as_of.min(period.end);
        let month = if day == day.last_of_month() {
            YearMonth::of(day)
        } else {
            YearMonth::of(day.first_of_month().yesterday().ok()?)
        };
        if month.last_day() < period.start {
            return None;
        }
        let sheets: Vec<_> = self
            .contracts()
            .filter(|(_, _, c)| c.role.as_str() == role)
            .filter_map(|(id, _, _)| self.timesheet(id, month))
            .collect();
        let hours: Hours = sheets
            .iter()
            .flat_map(|(_, t)| t.entries.iter().map(|e| e.hours))
            .sum();
        let fund = calendar::fund(month).to_decimal();
        let fte = if fund.is_zero() {
            Decimal::ZERO
        } else {
            crate::staff::round(hours.to_decimal() / fund, 4)
        };
        Some(ActualFte {
            month,
            filed: !sheets.is_empty(),
            fte: (!sheets.is_empty()).then_some(Figure::Decimal(fte)),
        })
    }
}
