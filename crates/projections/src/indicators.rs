//! Indicator measures (DOMAIN.md R2): each evaluated on a ledger state at a
//! valid date `as_of` (inclusive).

use std::collections::BTreeSet;

use grantledger_domain::events::{IndicatorDefinition, Measure};
use grantledger_domain::{calendar, Date, Event, Fte, Hours, YearMonth};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::derived::{ActivityKind, Cache, Run};
use crate::history::History;
use crate::Ledger;

/// A municipality's name as compared: trimmed, lower case (R2.2).
pub(crate) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A `listed` filter of municipalities, normalised.
pub(crate) fn listed(l: &[String]) -> BTreeSet<String> {
    l.iter().map(|m| norm(m)).collect()
}

/// Seqs of the runs held by `as_of` (R2.1).
fn held_runs(cache: &Cache, as_of: Date) -> BTreeSet<u64> {
    cache
        .runs()
        .filter(|r| r.held_on.is_some_and(|d| d <= as_of))
        .map(|r| r.seq)
        .collect()
}

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

/// The counts of derived dates the indicators read: the ledger's own (its
/// head), or its history at an older prefix.
trait DateCounts {
    /// Supported persons with a crossing date ≤ `as_of`, by gender (R1.3–R1.5).
    fn supported_upto(&self, as_of: Date) -> ByGender;
    /// Runs held by `as_of` (R2.1).
    fn runs_held_upto(&self, as_of: Date) -> u64;
    /// Courses with a run held by `as_of` (R2.1).
    fn courses_held_upto(&self, as_of: Date) -> u64;
    /// Live internships dated ≤ `as_of`.
    fn internships_upto(&self, as_of: Date) -> u64;
    /// Seminars and workshops dated ≤ `as_of`.
    fn seminars_and_workshops_upto(&self, as_of: Date) -> u64;
    /// Conferences whose last day is ≤ `as_of`.
    fn conferences_upto(&self, as_of: Date) -> u64;
    /// Municipalities (among `listed`) with a seminar dated ≤ `as_of` (R2.2).
    fn municipalities_upto(&self, listed: Option<&BTreeSet<String>>, as_of: Date) -> u64;
}

impl DateCounts for Cache {
    fn supported_upto(&self, as_of: Date) -> ByGender {
        Cache::supported_upto(self, as_of)
    }

    fn runs_held_upto(&self, as_of: Date) -> u64 {
        Cache::runs_held_upto(self, as_of)
    }

    fn courses_held_upto(&self, as_of: Date) -> u64 {
        Cache::courses_held_upto(self, as_of)
    }

    fn internships_upto(&self, as_of: Date) -> u64 {
        Cache::internships_upto(self, as_of)
    }

    fn seminars_and_workshops_upto(&self, as_of: Date) -> u64 {
        self.activities().seminars_and_workshops.upto(as_of)
    }

    fn conferences_upto(&self, as_of: Date) -> u64 {
        self.activities().conferences.upto(as_of)
    }

    fn municipalities_upto(&self, listed: Option<&BTreeSet<String>>, as_of: Date) -> u64 {
        self.activities()
            .municipalities()
            .filter(|(m, d)| *d <= as_of && listed.is_none_or(|l| l.contains(*m)))
            .count() as u64
    }
}

/// The counts known at the prefix `seq ≤ at_seq`, from the history.
struct Then<'a> {
    history: &'a History,
    at_seq: u64,
}

impl DateCounts for Then<'_> {
    fn supported_upto(&self, as_of: Date) -> ByGender {
        self.history.supported_upto(as_of, self.at_seq)
    }

    fn runs_held_upto(&self, as_of: Date) -> u64 {
        self.history.runs_held.upto(as_of, self.at_seq)
    }

    fn courses_held_upto(&self, as_of: Date) -> u64 {
        self.history.courses_held.upto(as_of, self.at_seq)
    }

    fn internships_upto(&self, as_of: Date) -> u64 {
        self.history.internships.upto(as_of, self.at_seq)
    }

    fn seminars_and_workshops_upto(&self, as_of: Date) -> u64 {
        self.history.seminars_and_workshops.upto(as_of, self.at_seq)
    }

    fn conferences_upto(&self, as_of: Date) -> u64 {
        self.history.conferences.upto(as_of, self.at_seq)
    }

    fn municipalities_upto(&self, listed: Option<&BTreeSet<String>>, as_of: Date) -> u64 {
        self.history.municipalities_upto(listed, as_of, self.at_seq)
    }
}

/// An indicator's figure as of `as_of`: the value, the split by gender (person
/// counts) and the actual FTE (`staff_fte`), from `counts` and the contracts
/// and timesheets of `staff` (a ledger of the same prefix).
fn figure(
    counts: &dyn DateCounts,
    staff: &Ledger,
    def: &IndicatorDefinition,
    as_of: Date,
) -> (Figure, Option<ByGender>, Option<ActualFte>) {
    let count = |n: u64| (Figure::Count(n), None, None);
    match def.measure {
        Measure::SupportedPersons => {
            let g = counts.supported_upto(as_of);
            (Figure::Count(g.female + g.male), Some(g), None)
        }
        Measure::CourseRunsHeld => count(counts.runs_held_upto(as_of)),
        Measure::CourseTypesHeld => count(counts.courses_held_upto(as_of)),
        Measure::MunicipalitiesReached => {
            let listed = def.municipalities.as_deref().map(listed);
            count(counts.municipalities_upto(listed.as_ref(), as_of))
        }
        Measure::SeminarsAndWorkshopsHeld => count(counts.seminars_and_workshops_upto(as_of)),
        Measure::ConferencesHeld => count(counts.conferences_upto(as_of)),
        Measure::InternshipsCompleted => count(counts.internships_upto(as_of)),
        Measure::StaffFte => {
            let role = def.role.as_ref().map(|r| r.as_str()).unwrap_or_default();
            let (fte, _) = staff.staff_fte(role, as_of);
            (
                Figure::Decimal(fte.to_decimal()),
                None,
                staff.actual_fte(role, as_of),
            )
        }
    }
}

/// An indicator's value from its definition, figure and evidence.
fn value_of(
    def: &IndicatorDefinition,
    (value, by_gender, actual): (Figure, Option<ByGender>, Option<ActualFte>),
    evidence: Vec<u64>,
) -> IndicatorValue {
    let target_dec = def.target.to_decimal().normalize();
    let target = if def.measure != Measure::StaffFte && target_dec.fract().is_zero() {
        u64::try_from(target_dec.trunc().mantissa())
            .map_or(Figure::Decimal(target_dec), Figure::Count)
    } else {
        Figure::Decimal(target_dec)
    };
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

impl Ledger {
    /// Every indicator of the project definition, as of `as_of` (inclusive), in
    /// definition order, with its evidence. Empty before `project_defined`.
    /// The evidence costs a pass over the supported persons; when it is not
    /// needed use [`Ledger::indicator_values`].
    pub fn indicators(&self, as_of: Date) -> Vec<IndicatorValue> {
        self.every_indicator(as_of, true)
    }

    /// [`Ledger::indicators`] without the evidence (every `evidence` is
    /// empty): the figures only, from the derived dates (a few range sums).
    pub fn indicator_values(&self, as_of: Date) -> Vec<IndicatorValue> {
        self.every_indicator(as_of, false)
    }

    fn every_indicator(&self, as_of: Date, with_evidence: bool) -> Vec<IndicatorValue> {
        let Some(project) = self.project() else {
            return Vec::new();
        };
        let cache = self.cache();
        project
            .indicators
            .iter()
            .map(|def| self.indicator_with(&cache, def, as_of, with_evidence))
            .collect()
    }

    /// One indicator as of `as_of`, with its evidence.
    pub fn indicator(&self, def: &IndicatorDefinition, as_of: Date) -> IndicatorValue {
        let cache = self.cache();
        self.indicator_with(&cache, def, as_of, true)
    }

    fn indicator_with(
        &self,
        cache: &Cache,
        def: &IndicatorDefinition,
        as_of: Date,
        with_evidence: bool,
    ) -> IndicatorValue {
        let evidence = if with_evidence {
            self.evidence(cache, def, as_of)
        } else {
            Vec::new()
        };
        value_of(def, figure(cache, self, def, as_of), evidence)
    }

    /// The indicators as of `as_of` (inclusive) as known at the older prefix
    /// `seq ≤ at_seq` of this ledger, without a fold: from the history of the
    /// derived dates (crate::history). The same figures as
    /// [`Ledger::indicator_values`] on a fold of that prefix (no evidence).
    /// `None` when this ledger does not keep its history
    /// ([`Ledger::with_history`]) or `at_seq` is after its head.
    pub fn indicator_values_at(&self, as_of: Date, at_seq: u64) -> Option<Vec<IndicatorValue>> {
        if at_seq == self.at_seq {
            return Some(self.indicator_values(as_of));
        }
        if at_seq > self.at_seq {
            return None;
        }
        let guard = self.derived_state();
        let history = guard.history()?;
        let staff = history.staff_at(at_seq);
        let Some(project) = staff.project() else {
            return Some(Vec::new());
        };
        let then = Then { history, at_seq };
        Some(
            project
                .indicators
                .iter()
                .map(|def| value_of(def, figure(&then, &staff, def, as_of), Vec::new()))
                .collect(),
        )
    }

    /// The seqs an indicator's value stands on, sorted, deduplicated.
    fn evidence(&self, cache: &Cache, def: &IndicatorDefinition, as_of: Date) -> Vec<u64> {
        let mut ev = match def.measure {
            Measure::SupportedPersons => cache
                .persons()
                .filter(|(_, p)| p.supported.is_some_and(|(on, _)| on <= as_of))
                .flat_map(|(_, p)| p.evidence.iter().copied())
                .collect(),
            Measure::CourseRunsHeld => self.with_sessions(&held_runs(cache, as_of), as_of),
            Measure::CourseTypesHeld => self.course_types_evidence(cache, as_of),
            Measure::MunicipalitiesReached => {
                let listed = def.municipalities.as_deref().map(listed);
                self.municipalities_evidence(listed.as_ref(), as_of)
            }
            Measure::SeminarsAndWorkshopsHeld => self.dated(
                self.ix
                    .seminars
                    .values()
                    .chain(self.ix.workshops.values())
                    .copied(),
                as_of,
            ),
            Measure::ConferencesHeld => self.dated(self.ix.conferences.values().copied(), as_of),
            Measure::InternshipsCompleted => {
                let all = self.ix.internships_by_participant.values().flatten();
                self.dated(all, as_of)
            }
            Measure::StaffFte => {
                let role = def.role.as_ref().map(|r| r.as_str()).unwrap_or_default();
                self.staff_fte(role, as_of).1
            }
        };
        ev.sort_unstable();
        ev.dedup();
        ev
    }

    /// Seqs among `seqs` whose event's valid date is ≤ `as_of`.
    pub(crate) fn dated(&self, seqs: impl Iterator<Item = u64>, as_of: Date) -> Vec<u64> {
        seqs.filter(|s| {
            self.event(*s)
                .as_deref()
                .and_then(Event::valid_date)
                .is_some_and(|d| d <= as_of)
        })
        .collect()
    }

    /// A run's derived state (R2.1): the date on which its sessions' hours
    /// (summed by date) first reach the course's planned hours. `None` if
    /// no live run has this id; `held_on` is `None` when its course is not
    /// live or it never reaches them.
    pub(crate) fn run_state(&self, run_id: &str) -> Option<Run> {
        let &seq = self.ix.runs.get(run_id)?;
        let Some(Event::CourseRunScheduled(run)) = self.decoded(seq) else {
            return None;
        };
        let planned = match self
            .ix
            .courses
            .get(run.course_id.as_str())
            .and_then(|s| self.decoded(*s))
        {
            Some(Event::CourseDefined(c)) => Some(c.planned_hours),
            _ => None,
        };
        let held_on = planned.and_then(|planned| {
            if Hours::ZERO >= planned {
                return Some(Date::MIN);
            }
            let mut sessions: Vec<(Date, Hours)> = self
                .ix
                .sessions_by_run
                .get(run_id)
                .into_iter()
                .flatten()
                .filter_map(|s| match self.decoded(s) {
                    Some(Event::SessionHeld(x)) => Some((x.date, x.hours)),
                    _ => None,
                })
                .collect();
            sessions.sort_unstable();
            let mut done = Hours::ZERO;
            sessions.into_iter().find_map(|(d, h)| {
                done = done.saturating_add(h);
                (done >= planned).then_some(d)
            })
        });
        Some(Run {
            seq,
            course_id: run.course_id.as_compact().clone(),
            held_on,
        })
    }

    /// The live activity with this id (as indexed): its valid date (a
    /// conference's last day) and, for a seminar, its municipality (trimmed,
    /// lower case, R2.2).
    pub(crate) fn activity(&self, kind: ActivityKind, id: &str) -> Option<(Date, Option<String>)> {
        let index = match kind {
            ActivityKind::Seminar => &self.ix.seminars,
            ActivityKind::Workshop => &self.ix.workshops,
            ActivityKind::Conference => &self.ix.conferences,
        };
        let event = self.decoded(*index.get(id)?)?;
        let on = event.valid_date()?;
        let municipality = match event {
            Event::SeminarHeld(s) => Some(norm(&s.municipality)),
            _ => None,
        };
        Some((on, municipality))
    }

    /// R2.1 evidence of the course types held: the held runs, their courses
    /// and their sessions dated ≤ `as_of`.
    fn course_types_evidence(&self, cache: &Cache, as_of: Date) -> Vec<u64> {
        let mut courses = BTreeSet::new();
        let mut evidence = Vec::new();
        for run_seq in held_runs(cache, as_of) {
            if let Some(Event::CourseRunScheduled(run)) = self.decoded(run_seq) {
                if let Some(&c) = self.ix.courses.get(run.course_id.as_str()) {
                    courses.insert(c);
                    evidence.push(run_seq);
                }
            }
        }
        evidence.extend(courses.iter().copied());
        let runs: BTreeSet<u64> = evidence.iter().copied().collect();
        self.with_sessions(&runs, as_of)
    }

    /// R2.2/R2.3 evidence: the seminars dated ≤ `as_of` in a `listed` municipality.
    fn municipalities_evidence(&self, listed: Option<&BTreeSet<String>>, as_of: Date) -> Vec<u64> {
        let mut evidence = Vec::new();
        for &seq in self.ix.seminars.values() {
            let Some(Event::SeminarHeld(s)) = self.decoded(seq) else {
                continue;
            };
            if s.date <= as_of && listed.is_none_or(|l| l.contains(&norm(&s.municipality))) {
                evidence.push(seq);
            }
        }
        evidence
    }

    /// `seqs` plus the sessions dated ≤ `as_of` of the runs among them: the
    /// events that decide whether a run is held (R2.1).
    pub(crate) fn with_sessions(&self, seqs: &BTreeSet<u64>, as_of: Date) -> Vec<u64> {
        let mut out: Vec<u64> = seqs.iter().copied().collect();
        for &seq in seqs {
            if let Some(Event::CourseRunScheduled(run)) = self.decoded(seq) {
                for s in self
                    .ix
                    .sessions_by_run
                    .get(run.run_id.as_str())
                    .into_iter()
                    .flatten()
                {
                    if matches!(self.decoded(s), Some(Event::SessionHeld(x)) if x.date <= as_of) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    /// R3.7 / R2 P-MAN-FTE: the contracted FTE in force on `on` of the staff
    /// with `role`, summed. A contract is in force from its start to its end
    /// (as amended) inclusive; its FTE is that of the latest amendment
    /// effective on or before `on` that sets one (DPP contracts have none: 0).
    pub fn staff_fte(&self, role: &str, on: Date) -> (Fte, Vec<u64>) {
        let mut total = Fte::ZERO;
        let mut evidence = Vec::new();
        for (staff_id, seq, _) in self.contracts_in_role(role) {
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
    pub(crate) fn actual_fte(&self, role: &str, as_of: Date) -> Option<ActualFte> {
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
            .contracts_in_role(role)
            .into_iter()
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
