//! The stateful admission rules: whether a new event may be appended after a
//! prefix. Pure functions of the ledger state; [`crate::Projection::apply`]
//! never refuses.
//!
//! Rule ids are DOMAIN.md's where the rule is the grant's (`R1.1`, `R1.4`,
//! `R3.1`, `R4.2`, `R5.1`) and the ledger's own otherwise (docs/RULES.md):
//! - `G1` the project is defined once, before anything else;
//! - `G2` a dated activity lies within the project period;
//! - `G3` a referenced entity (session, run, course, organisation, staff, expense) exists;
//! - `G4` an id is used once (and a participant's attendance at a session is recorded once);
//! - `G5` a correction or void targets a live event of the prefix; a correction
//!   keeps its target's kind and identity ([`Event::identity`]).

use grantledger_domain::events::{ContractType, ProjectDefined};
use grantledger_domain::{Date, Event, Rejection};
use uuid::Uuid;

use crate::Ledger;

/// Refusal for rule `rule` at `data.{field}`.
fn refuse(field: &str, rule: &str, message: impl Into<String>) -> Rejection {
    Rejection::refused(format!("data.{field}"), rule, message)
}

/// An FTE given to a DPP (docs/RULES.md `schema`, as for a new contract):
/// `why` says how, the rest is the rule.
fn dpp_without_fte(field: &str, why: std::fmt::Arguments<'_>) -> Rejection {
    refuse(
        field,
        "schema",
        format!("{why}; a DPP has no FTE, it is paid by the hour (R3.4)"),
    )
}

/// The refusal of a correction or void whose target is not live (G5).
fn not_live(id: &Uuid) -> Rejection {
    refuse("target_event_id", "G5", format!("{id} is not a live event"))
}

impl Ledger {
    /// Decides whether `event` may be appended after this prefix.
    ///
    /// # Errors
    /// A [`Rejection`] of kind `Refused` (HTTP 422) naming the field (`data.…`)
    /// and the rule (module docs).
    pub fn admit(&self, event: &Event) -> Result<(), Rejection> {
        match event {
            Event::EventCorrected(c) => {
                let target = self.amendable(&c.target_event_id)?;
                let Some(old) = self.event(target) else {
                    return Err(not_live(&c.target_event_id));
                };
                if old.kind() != c.replacement.kind() {
                    return Err(refuse(
                        "replacement.kind",
                        "G5",
                        format!(
                            "a correction keeps the kind of its target: `{}`, not `{}`",
                            old.kind(),
                            c.replacement.kind()
                        ),
                    ));
                }
                if old.identity() != c.replacement.identity() {
                    return Err(refuse(
                        "replacement.data",
                        "G5",
                        format!(
                            "a correction keeps what its target is about ({}); to record another one, void the target and record a new event",
                            old.identity().unwrap_or_default()
                        ),
                    ));
                }
                self.admit_fact(&c.replacement, Some(target))
                    .map_err(|r| retarget(r, "data.replacement.data"))
            }
            Event::EventVoided(v) => {
                let target = self.amendable(&v.target_event_id)?;
                if self.live.fact(target).map(crate::ledger::FactRef::kind)
                    == Some(grantledger_domain::Kind::ProjectDefined)
                {
                    return Err(refuse(
                        "target_event_id",
                        "G5",
                        "the project definition can be corrected, not voided",
                    ));
                }
                Ok(())
            }
            other => self.admit_fact(other, None),
        }
    }

    /// The seq of a live, plain event that a correction or void may target.
    fn amendable(&self, id: &Uuid) -> Result<u64, Rejection> {
        let field = "target_event_id";
        let Some(seq) = self.seq_of(id) else {
            return Err(refuse(field, "G5", format!("no event {id} in the log")));
        };
        if self.amendment_events.contains_key(&seq) {
            return Err(refuse(
                field,
                "G5",
                format!("{id} is itself a correction or void; correct the original event"),
            ));
        }
        if let Some(by) = self.voided_by(seq) {
            return Err(refuse(field, "G5", format!("{id} was voided by seq {by}")));
        }
        match self.event(seq).as_deref() {
            None => Err(not_live(id)),
            Some(Event::ReportSubmitted(r)) => Err(refuse(
                field,
                "R5.4",
                format!("{id} marks the submitted report of period {}; a submitted report is never changed", r.period_no),
            )),
            Some(_) => Ok(seq),
        }
    }

    /// Admission of a fact; `replacing` is the seq of the event a correction
    /// replaces (its own ids do not count as taken).
    fn admit_fact(&self, event: &Event, replacing: Option<u64>) -> Result<(), Rejection> {
        let project = match (self.project(), event) {
            (Some(_), Event::ProjectDefined(_)) if replacing.is_none() => {
                return Err(refuse(
                    "project_id",
                    "G1",
                    "the project is already defined; correct it instead",
                ))
            }
            (_, Event::ProjectDefined(p)) => return self.project_fits(p),
            (Some(p), _) => p,
            (None, _) => {
                return Err(Rejection::refused(
                    "kind",
                    "G1",
                    "define the project (project_defined) first",
                ))
            }
        };
        let taken = |seq: Option<&u64>| seq.is_some_and(|s| Some(*s) != replacing);
        let within = |d: Date, field: &str| within_period(project, d, field);
        let unique = |seq: Option<&u64>, field: &str, what: std::fmt::Arguments<'_>| {
            if taken(seq) {
                Err(refuse(field, "G4", format!("{what} is already recorded")))
            } else {
                Ok(())
            }
        };
        let exists = |seq: Option<&u64>, field: &str, what: std::fmt::Arguments<'_>, rule: &str| {
            if seq.is_some() {
                Ok(())
            } else {
                Err(refuse(field, rule, format!("{what} is not in the log")))
            }
        };
        let participant = |id: &Uuid| {
            exists(
                self.ix.participants.get(id),
                "participant_id",
                format_args!("participant {id}"),
                "R1.1",
            )
        };
        match event {
            Event::ProjectDefined(_) | Event::EventCorrected(_) | Event::EventVoided(_) => Ok(()),
            Event::OrganizationJoined(e) => unique(
                self.ix.organizations.get(e.organization_id.as_str()),
                "organization_id",
                format_args!("organisation {}", e.organization_id),
            ),
            Event::CourseDefined(e) => unique(
                self.ix.courses.get(e.course_id.as_str()),
                "course_id",
                format_args!("course {}", e.course_id),
            ),
            Event::CourseRunScheduled(e) => {
                unique(
                    self.ix.runs.get(e.run_id.as_str()),
                    "run_id",
                    format_args!("run {}", e.run_id),
                )?;
                exists(
                    self.ix.courses.get(e.course_id.as_str()),
                    "course_id",
                    format_args!("course {}", e.course_id),
                    "G3",
                )?;
                within(e.start, "start")?;
                within(e.end, "end")
            }
            Event::SessionHeld(e) => {
                unique(
                    self.ix.sessions.get(e.session_id.as_str()),
                    "session_id",
                    format_args!("session {}", e.session_id),
                )?;
                exists(
                    self.ix.runs.get(e.run_id.as_str()),
                    "run_id",
                    format_args!("run {}", e.run_id),
                    "G3",
                )?;
                within(e.date, "date")
            }
            Event::SeminarHeld(e) => {
                unique(
                    self.ix.seminars.get(e.seminar_id.as_str()),
                    "seminar_id",
                    format_args!("seminar {}", e.seminar_id),
                )?;
                within(e.date, "date")
            }
            Event::WorkshopHeld(e) => {
                unique(
                    self.ix.workshops.get(e.workshop_id.as_str()),
                    "workshop_id",
                    format_args!("workshop {}", e.workshop_id),
                )?;
                within(e.date, "date")
            }
            Event::ConferenceHeld(e) => {
                unique(
                    self.ix.conferences.get(e.conference_id.as_str()),
                    "conference_id",
                    format_args!("conference {}", e.conference_id),
                )?;
                within(e.start, "start")?;
                within(e.end, "end")
            }
            Event::ParticipantRegistered(e) => {
                unique(
                    self.ix.participants.get(&e.participant_id),
                    "participant_id",
                    format_args!("participant {}", e.participant_id),
                )?;
                exists(
                    self.ix.organizations.get(e.organization_id.as_str()),
                    "organization_id",
                    format_args!("organisation {}", e.organization_id),
                    "G3",
                )?;
                within(e.entry_date, "entry_date")
            }
            Event::ParticipantEnrolled(e) => {
                participant(&e.participant_id)?;
                exists(
                    self.ix.runs.get(e.run_id.as_str()),
                    "run_id",
                    format_args!("run {}", e.run_id),
                    "G3",
                )?;
                unique(
                    self.ix
                        .enrolments
                        .get(&(e.participant_id, e.run_id.as_compact().clone())),
                    "run_id",
                    format_args!("the enrolment of {} in {}", e.participant_id, e.run_id),
                )?;
                within(e.enrolled_on, "enrolled_on")
            }
            Event::AttendanceRecorded(e) => {
                participant(&e.participant_id)?;
                let Some(session) = self.session(e.session_id.as_str()) else {
                    return Err(refuse(
                        "session_id",
                        "G3",
                        format!("session {} is not in the log", e.session_id),
                    ));
                };
                // G4: a live attendance in both the participant's and the
                // session's sets (each a few dozen seqs; no event is read)
                let by_participant = self.ix.attendance_by_participant.get(&e.participant_id);
                let by_session = self.ix.attendance_by_session.get(e.session_id.as_str());
                let same_session = match (by_participant, by_session) {
                    (Some(p), Some(s)) => {
                        let (small, large) = if p.len() <= s.len() { (p, s) } else { (s, p) };
                        small
                            .iter()
                            .find(|&seq| Some(seq) != replacing && large.contains(&seq))
                    }
                    _ => None,
                };
                unique(
                    same_session.as_ref(),
                    "session_id",
                    format_args!("attendance of {} at {}", e.participant_id, e.session_id),
                )?;
                if e.hours > session.hours {
                    return Err(refuse(
                        "hours",
                        "R1.4",
                        format!(
                            "{} h attended is more than the {} h session {} lasted",
                            e.hours, session.hours, e.session_id
                        ),
                    ));
                }
                within(session.date, "session_id")
            }
            Event::InternshipCompleted(e) => {
                participant(&e.participant_id)?;
                within(e.start, "start")?;
                within(e.end, "end")
            }
            Event::ParticipantExited(e) => {
                participant(&e.participant_id)?;
                unique(
                    self.ix.exits.get(&e.participant_id),
                    "participant_id",
                    format_args!("the exit of {}", e.participant_id),
                )?;
                if let Some(reg) = self.registration(&e.participant_id) {
                    if e.exit_date < reg.entry_date {
                        return Err(refuse(
                            "exit_date",
                            "R1.2",
                            format!("exit {} is before entry {}", e.exit_date, reg.entry_date),
                        ));
                    }
                }
                within(e.exit_date, "exit_date")
            }
            Event::PersonalDataErased(e) => {
                participant(&e.participant_id)?;
                unique(
                    self.ix.erased.get(&e.participant_id),
                    "participant_id",
                    format_args!("the erasure of {}", e.participant_id),
                )
            }
            Event::StaffContracted(e) => {
                unique(
                    self.ix.staff.get(e.staff_id.as_str()),
                    "staff_id",
                    format_args!("staff member {}", e.staff_id),
                )?;
                // a contract corrected into a DPP: no amendment may have
                // given it an FTE (a DPP has none, R3.4)
                if e.contract == ContractType::Dpp {
                    let with_fte = self.amendments(e.staff_id.as_str()).into_iter().find(|(_, s)| {
                        matches!(self.decoded(*s), Some(Event::StaffContractAmended(a)) if a.fte.is_some())
                    });
                    if let Some((from, _)) = with_fte {
                        return Err(dpp_without_fte(
                            "contract",
                            format_args!(
                                "staff member {} has an amendment giving an FTE from {from}; void or correct it first",
                                e.staff_id
                            ),
                        ));
                    }
                }
                Ok(())
            }
            Event::StaffContractAmended(e) => {
                exists(
                    self.ix.staff.get(e.staff_id.as_str()),
                    "staff_id",
                    format_args!("staff member {}", e.staff_id),
                    "G3",
                )?;
                // as a new contract: a DPP has no FTE (R3.4 limits it by hours)
                let dpp = self
                    .contract(e.staff_id.as_str())
                    .is_some_and(|(_, c)| c.contract == ContractType::Dpp);
                if dpp && e.fte.is_some() {
                    return Err(dpp_without_fte(
                        "fte",
                        format_args!("staff member {} works under a DPP", e.staff_id),
                    ));
                }
                Ok(())
            }
            Event::TimesheetFiled(e) => {
                exists(
                    self.ix.staff.get(e.staff_id.as_str()),
                    "staff_id",
                    format_args!("staff member {}", e.staff_id),
                    "G3",
                )?;
                if taken(
                    self.ix
                        .timesheets
                        .get(&(e.staff_id.as_compact().clone(), e.month)),
                ) {
                    return Err(refuse(
                        "month",
                        "R3.1",
                        format!(
                            "{} already filed a timesheet for {} (event {}); correct that one with event_corrected",
                            e.staff_id,
                            e.month,
                            self.ix
                                .timesheets
                                .get(&(e.staff_id.as_compact().clone(), e.month))
                                .and_then(|s| self.live(*s))
                                .map(|l| l.event_id.to_string())
                                .unwrap_or_default()
                        ),
                    ));
                }
                let (first, last) = (e.month.first_day(), e.month.last_day());
                if last < project.period.start || first > project.period.end {
                    return Err(refuse(
                        "month",
                        "G2",
                        format!("{} is outside the project period", e.month),
                    ));
                }
                Ok(())
            }
            Event::ExpenseRecorded(e) => {
                unique(
                    self.ix.expenses.get(&e.expense_id),
                    "expense_id",
                    format_args!("expense {}", e.expense_id),
                )?;
                if !project.budget_lines.iter().any(|l| l.code == e.budget_line) {
                    return Err(refuse(
                        "budget_line",
                        "R4.2",
                        format!(
                            "budget line {} is not in the project's budget",
                            e.budget_line
                        ),
                    ));
                }
                if let Some(staff) = &e.staff_id {
                    exists(
                        self.ix.staff.get(staff.as_str()),
                        "staff_id",
                        format_args!("staff member {staff}"),
                        "G3",
                    )?;
                }
                Ok(())
            }
            Event::ExpensePaid(e) => exists(
                self.ix.expenses.get(&e.expense_id),
                "expense_id",
                format_args!("expense {}", e.expense_id),
                "G3",
            ),
            Event::ReportSubmitted(e) => {
                if !project
                    .monitoring_periods
                    .iter()
                    .any(|p| p.no == e.period_no)
                {
                    return Err(refuse(
                        "period_no",
                        "R5.1",
                        format!("monitoring period {} is not defined", e.period_no),
                    ));
                }
                if e.at_seq > self.at_seq {
                    return Err(refuse(
                        "at_seq",
                        "R5.4",
                        format!("at_seq {} is beyond the log head {}", e.at_seq, self.at_seq),
                    ));
                }
                Ok(())
            }
            Event::RuleSetAdopted(_) => Ok(()),
        }
    }
}

impl Ledger {
    /// A corrected project definition must still hold the log: every dated
    /// activity within the new period (G2) and every reported period defined (R5.1).
    fn project_fits(&self, p: &ProjectDefined) -> Result<(), Rejection> {
        for live in self.live.values() {
            let dates: Vec<Date> = match &live.event {
                Event::CourseRunScheduled(e) => vec![e.start, e.end],
                Event::SessionHeld(e) => vec![e.date],
                Event::SeminarHeld(e) => vec![e.date],
                Event::WorkshopHeld(e) => vec![e.date],
                Event::ConferenceHeld(e) => vec![e.start, e.end],
                Event::ParticipantRegistered(e) => vec![e.entry_date],
                Event::ParticipantEnrolled(e) => vec![e.enrolled_on],
                Event::InternshipCompleted(e) => vec![e.start, e.end],
                Event::ParticipantExited(e) => vec![e.exit_date],
                _ => Vec::new(),
            };
            if let Some(d) = dates.into_iter().find(|d| !p.period.contains(*d)) {
                return Err(refuse(
                    "period",
                    "G2",
                    format!(
                        "{} ({}, {d}) would fall outside the new period",
                        live.event.kind(),
                        live.event_id
                    ),
                ));
            }
            if let Event::ReportSubmitted(r) = &live.event {
                if !p.monitoring_periods.iter().any(|m| m.no == r.period_no) {
                    return Err(refuse(
                        "monitoring_periods",
                        "R5.1",
                        format!(
                            "monitoring period {} has a submitted report and must stay defined",
                            r.period_no
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// G2: a dated activity lies within the project period (inclusive).
fn within_period(project: &ProjectDefined, d: Date, field: &str) -> Result<(), Rejection> {
    if project.period.contains(d) {
        Ok(())
    } else {
        Err(refuse(
            field,
            "G2",
            format!(
                "{d} is outside the project period {} – {}",
                project.period.start, project.period.end
            ),
        ))
    }
}

/// Moves a rejection's `data.` field under `prefix` (for a correction's replacement).
fn retarget(mut r: Rejection, prefix: &str) -> Rejection {
    let rest = r
        .field
        .strip_prefix("data")
        .unwrap_or(&r.field)
        .trim_start_matches('.');
    r.field = if rest.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}.{rest}")
    };
    r
}
