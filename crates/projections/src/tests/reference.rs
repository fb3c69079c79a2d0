//! The straightforward computations the derived dates replaced, kept as the
//! reference the property tests compare the cached answers with: every
//! indicator recomputed from the live facts, and every finding recomputed and
//! sorted on each call.

use std::collections::BTreeSet;

use grantledger_domain::events::{Gender, IndicatorDefinition, Measure};
use grantledger_domain::{Date, Event, Hours};

use crate::{ByGender, Figure, Finding, IndicatorValue, Ledger};

impl Ledger {
    /// Every finding, recomputed: staff, expenses, participants, sorted stably.
    pub(crate) fn ref_all_findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.project().is_some() {
            out.extend(self.staff_group());
            out.extend(self.expense_group(&self.compute_expense_statuses()));
            // in id order, as the findings of participants are ordered
            for id in &self.participant_ids() {
                let (Some(&seq), Some(reg)) = (self.ix.participants.get(id), self.registration(id))
                else {
                    continue;
                };
                let entries = self.support_entries(id);
                out.extend(self.participant_findings(id, (seq, reg.entry_date), &entries));
            }
        }
        out.sort_by(|a, b| {
            (a.date, a.rule, &a.subject, a.severity).cmp(&(b.date, b.rule, &b.subject, b.severity))
        });
        out
    }
}

impl Ledger {
    /// Every indicator of the project definition, as of `as_of` (inclusive), in
    /// definition order. Empty before `project_defined`.
    pub(crate) fn ref_indicators(&self, as_of: Date) -> Vec<IndicatorValue> {
        let Some(project) = self.project() else {
            return Vec::new();
        };
        project
            .indicators
            .iter()
            .map(|def| self.ref_indicator(def, as_of))
            .collect()
    }

    /// One indicator as of `as_of`.
    pub(crate) fn ref_indicator(&self, def: &IndicatorDefinition, as_of: Date) -> IndicatorValue {
        let mut by_gender = None;
        let mut actual = None;
        let (value, evidence) = match def.measure {
            Measure::SupportedPersons => {
                let (n, g, ev) = self.ref_supported_persons(as_of);
                by_gender = Some(g);
                (Figure::Count(n), ev)
            }
            Measure::CourseRunsHeld => {
                let runs = self.ref_runs_held(as_of);
                let evidence = self.ref_with_sessions(&runs, as_of);
                (Figure::Count(runs.len() as u64), evidence)
            }
            Measure::CourseTypesHeld => {
                let (n, ev) = self.ref_course_types_held(as_of);
                (Figure::Count(n), ev)
            }
            Measure::MunicipalitiesReached => {
                let (n, ev) = self.ref_municipalities_reached(def.municipalities.as_deref(), as_of);
                (Figure::Count(n), ev)
            }
            Measure::SeminarsAndWorkshopsHeld => {
                let ev: Vec<u64> = self.ref_dated(
                    self.ix.seminars.values().chain(self.ix.workshops.values()),
                    as_of,
                );
                (Figure::Count(ev.len() as u64), ev)
            }
            Measure::ConferencesHeld => {
                let ev = self.ref_dated(self.ix.conferences.values(), as_of);
                (Figure::Count(ev.len() as u64), ev)
            }
            Measure::InternshipsCompleted => {
                let all = self.ix.internships_by_participant.values().flatten();
                let ev = self.ref_dated(all.collect::<Vec<_>>().iter(), as_of);
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
    fn ref_dated<'a>(&self, seqs: impl Iterator<Item = &'a u64>, as_of: Date) -> Vec<u64> {
        seqs.copied()
            .filter(|s| {
                self.event(*s)
                    .as_deref()
                    .and_then(Event::valid_date)
                    .is_some_and(|d| d <= as_of)
            })
            .collect()
    }

    /// R1.3–R1.5: supported persons as of `as_of`, by gender, with evidence
    /// (each person's registration and the entries up to their crossing).
    fn ref_supported_persons(&self, as_of: Date) -> (u64, ByGender, Vec<u64>) {
        let mut by = ByGender::default();
        let mut evidence = Vec::new();
        for id in &self.participant_ids() {
            let Some(&reg_seq) = self.ix.participants.get(id) else {
                continue;
            };
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
    pub(crate) fn ref_runs_held(&self, as_of: Date) -> BTreeSet<u64> {
        let mut held = BTreeSet::new();
        for (run_id, &run_seq) in self.ix.runs.iter() {
            let Some(Event::CourseRunScheduled(run)) = self.decoded(run_seq) else {
                continue;
            };
            let planned = match self
                .ix
                .courses
                .get(run.course_id.as_str())
                .and_then(|s| self.decoded(*s))
            {
                Some(Event::CourseDefined(c)) => c.planned_hours,
                _ => continue,
            };
            let done: Hours = self
                .ix
                .sessions_by_run
                .get(&run_id)
                .into_iter()
                .flatten()
                .filter_map(|s| match self.decoded(s) {
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
    fn ref_course_types_held(&self, as_of: Date) -> (u64, Vec<u64>) {
        let mut courses = BTreeSet::new();
        let mut evidence = Vec::new();
        for run_seq in self.ref_runs_held(as_of) {
            if let Some(Event::CourseRunScheduled(run)) = self.decoded(run_seq) {
                if let Some(&c) = self.ix.courses.get(run.course_id.as_str()) {
                    courses.insert(c);
                    evidence.push(run_seq);
                }
            }
        }
        evidence.extend(courses.iter().copied());
        let runs: BTreeSet<u64> = evidence.iter().copied().collect();
        (courses.len() as u64, self.ref_with_sessions(&runs, as_of))
    }

    /// `seqs` plus the sessions dated ≤ `as_of` of the runs among them: the
    /// events that decide whether a run is held (R2.1).
    fn ref_with_sessions(&self, seqs: &BTreeSet<u64>, as_of: Date) -> Vec<u64> {
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

    /// R2.2/R2.3: distinct municipalities of seminars dated ≤ `as_of`; when
    /// `listed` is given only those in it count (compared trimmed, case-insensitively).
    fn ref_municipalities_reached(
        &self,
        listed: Option<&[String]>,
        as_of: Date,
    ) -> (u64, Vec<u64>) {
        let norm = |s: &str| s.trim().to_lowercase();
        let listed: Option<BTreeSet<String>> = listed.map(|l| l.iter().map(|m| norm(m)).collect());
        let mut reached = BTreeSet::new();
        let mut evidence = Vec::new();
        for &seq in self.ix.seminars.values() {
            let Some(Event::SeminarHeld(s)) = self.decoded(seq) else {
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
}
