//! The ledger state of a log prefix: live facts keyed by the `seq` of the event
//! that created them, and indexes from natural ids to those seqs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use grantledger_domain::{Envelope, Event, YearMonth};
use jiff::Timestamp;
use uuid::Uuid;

use crate::Projection;

/// A live fact: an event's current effective payload (after corrections in
/// the prefix) with its provenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Live {
    /// The original event's id.
    pub event_id: Uuid,
    /// When the original was recorded.
    pub recorded_at: Timestamp,
    /// The effective payload (the latest replacement, if corrected).
    pub event: Event,
    /// Seqs of the corrections that replaced the payload, in order.
    pub corrected_by: Vec<u64>,
}

/// The state of a log prefix. Build it with [`Projection::apply`] (or
/// [`crate::replay`]); query it with the measure methods at any `as_of`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub(crate) at_seq: u64,
    pub(crate) head_hash: [u8; 32],
    pub(crate) head_recorded_at: Option<Timestamp>,
    pub(crate) live: BTreeMap<u64, Live>,
    /// Every event id in the prefix (facts, corrections and voids) → its seq.
    pub(crate) seq_of: HashMap<Uuid, u64>,
    /// Target seq → the void's seq.
    pub(crate) voided: BTreeMap<u64, u64>,
    /// Correction / void seq → (its event id, the event); they are not facts.
    pub(crate) amendment_events: BTreeMap<u64, (Uuid, Event)>,
    pub(crate) ix: Index,
    /// Derived dates of the measures (crossing dates, held dates, findings),
    /// brought up to date by the next query.
    pub(crate) derived: crate::derived::Derived,
}

/// Natural ids → seq of the live event that carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Index {
    pub project: Option<u64>,
    pub organizations: BTreeMap<String, u64>,
    pub courses: BTreeMap<String, u64>,
    pub runs: BTreeMap<String, u64>,
    pub runs_by_course: BTreeMap<String, BTreeSet<u64>>,
    pub sessions: BTreeMap<String, u64>,
    pub sessions_by_run: BTreeMap<String, BTreeSet<u64>>,
    pub seminars: BTreeMap<String, u64>,
    pub workshops: BTreeMap<String, u64>,
    pub conferences: BTreeMap<String, u64>,
    pub participants: BTreeMap<Uuid, u64>,
    pub enrolments: BTreeMap<(Uuid, String), u64>,
    pub attendance: BTreeMap<(Uuid, String), u64>,
    pub attendance_by_participant: BTreeMap<Uuid, BTreeSet<u64>>,
    /// Session id (live or not) → seqs of the attendances naming it.
    pub attendance_by_session: BTreeMap<String, BTreeSet<u64>>,
    pub internships_by_participant: BTreeMap<Uuid, BTreeSet<u64>>,
    pub exits: BTreeMap<Uuid, u64>,
    pub erased: BTreeMap<Uuid, u64>,
    pub staff: BTreeMap<String, u64>,
    pub amendments_by_staff: BTreeMap<String, BTreeSet<u64>>,
    pub timesheets: BTreeMap<(String, YearMonth), u64>,
    pub expenses: BTreeMap<Uuid, u64>,
    pub payments_by_expense: BTreeMap<Uuid, BTreeSet<u64>>,
    pub reports: BTreeMap<u32, BTreeSet<u64>>,
    pub rule_sets: BTreeSet<u64>,
}

fn put<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, seq: u64, add: bool) {
    if add {
        map.insert(key, seq);
    } else if map.get(&key) == Some(&seq) {
        map.remove(&key);
    }
}

fn member<K: Ord>(map: &mut BTreeMap<K, BTreeSet<u64>>, key: K, seq: u64, add: bool) {
    if add {
        map.entry(key).or_default().insert(seq);
    } else if let Some(set) = map.get_mut(&key) {
        set.remove(&seq);
        if set.is_empty() {
            map.remove(&key);
        }
    }
}

impl Index {
    /// Adds (`add`) or removes the natural keys of `event` at `seq`. The one
    /// place that knows which kind is indexed how; removal is the exact inverse.
    fn index(&mut self, seq: u64, event: &Event, add: bool) {
        let s = |id: &dyn std::fmt::Display| id.to_string();
        match event {
            Event::ProjectDefined(_) => {
                if add {
                    self.project = Some(seq);
                } else if self.project == Some(seq) {
                    self.project = None;
                }
            }
            Event::OrganizationJoined(e) => {
                put(&mut self.organizations, s(&e.organization_id), seq, add)
            }
            Event::CourseDefined(e) => put(&mut self.courses, s(&e.course_id), seq, add),
            Event::CourseRunScheduled(e) => {
                put(&mut self.runs, s(&e.run_id), seq, add);
                member(&mut self.runs_by_course, s(&e.course_id), seq, add);
            }
            Event::SessionHeld(e) => {
                put(&mut self.sessions, s(&e.session_id), seq, add);
                member(&mut self.sessions_by_run, s(&e.run_id), seq, add);
            }
            Event::SeminarHeld(e) => put(&mut self.seminars, s(&e.seminar_id), seq, add),
            Event::WorkshopHeld(e) => put(&mut self.workshops, s(&e.workshop_id), seq, add),
            Event::ConferenceHeld(e) => put(&mut self.conferences, s(&e.conference_id), seq, add),
            Event::ParticipantRegistered(e) => {
                put(&mut self.participants, e.participant_id, seq, add)
            }
            Event::ParticipantEnrolled(e) => put(
                &mut self.enrolments,
                (e.participant_id, s(&e.run_id)),
                seq,
                add,
            ),
            Event::AttendanceRecorded(e) => {
                put(
                    &mut self.attendance,
                    (e.participant_id, s(&e.session_id)),
                    seq,
                    add,
                );
                member(
                    &mut self.attendance_by_participant,
                    e.participant_id,
                    seq,
                    add,
                );
                member(&mut self.attendance_by_session, s(&e.session_id), seq, add);
            }
            Event::InternshipCompleted(e) => member(
                &mut self.internships_by_participant,
                e.participant_id,
                seq,
                add,
            ),
            Event::ParticipantExited(e) => put(&mut self.exits, e.participant_id, seq, add),
            Event::PersonalDataErased(e) => put(&mut self.erased, e.participant_id, seq, add),
            Event::StaffContracted(e) => put(&mut self.staff, s(&e.staff_id), seq, add),
            Event::StaffContractAmended(e) => {
                member(&mut self.amendments_by_staff, s(&e.staff_id), seq, add)
            }
            Event::TimesheetFiled(e) => {
                put(&mut self.timesheets, (s(&e.staff_id), e.month), seq, add)
            }
            Event::ExpenseRecorded(e) => put(&mut self.expenses, e.expense_id, seq, add),
            Event::ExpensePaid(e) => member(&mut self.payments_by_expense, e.expense_id, seq, add),
            Event::ReportSubmitted(e) => member(&mut self.reports, e.period_no, seq, add),
            Event::RuleSetAdopted(_) => {
                if add {
                    self.rule_sets.insert(seq);
                } else {
                    self.rule_sets.remove(&seq);
                }
            }
            Event::EventCorrected(_) | Event::EventVoided(_) => {}
        }
    }
}

impl Projection for Ledger {
    fn apply(&mut self, env: &Envelope) {
        self.at_seq = env.seq;
        self.head_hash = env.hash;
        self.head_recorded_at = Some(env.recorded_at);
        self.seq_of.insert(env.event_id, env.seq);
        match &env.event {
            Event::EventCorrected(c) => {
                self.amendment_events
                    .insert(env.seq, (env.event_id, env.event.clone()));
                let Some(&target) = self.seq_of.get(&c.target_event_id) else {
                    return;
                };
                if let Some(live) = self.live.get_mut(&target) {
                    self.ix.index(target, &live.event, false);
                    self.derived.touch(&live.event);
                    live.event = (*c.replacement).clone();
                    live.corrected_by.push(env.seq);
                    self.ix.index(target, &live.event, true);
                    self.derived.touch(&live.event);
                }
            }
            Event::EventVoided(v) => {
                self.amendment_events
                    .insert(env.seq, (env.event_id, env.event.clone()));
                let Some(&target) = self.seq_of.get(&v.target_event_id) else {
                    return;
                };
                if let Some(live) = self.live.remove(&target) {
                    self.ix.index(target, &live.event, false);
                    self.derived.touch(&live.event);
                    self.voided.insert(target, env.seq);
                }
            }
            event => {
                self.ix.index(env.seq, event, true);
                self.derived.touch(event);
                self.live.insert(
                    env.seq,
                    Live {
                        event_id: env.event_id,
                        recorded_at: env.recorded_at,
                        event: event.clone(),
                        corrected_by: Vec::new(),
                    },
                );
            }
        }
    }
}

impl Ledger {
    /// The last `seq` folded in (0 for an empty prefix).
    pub fn at_seq(&self) -> u64 {
        self.at_seq
    }

    /// The chain hash of the record at [`Ledger::at_seq`] (zeros when empty).
    pub fn head_hash(&self) -> [u8; 32] {
        self.head_hash
    }

    /// The `recorded_at` of the record at [`Ledger::at_seq`] (`None` when empty).
    pub fn head_recorded_at(&self) -> Option<Timestamp> {
        self.head_recorded_at
    }

    /// The live fact created by the event at `seq`, if it is live in this prefix.
    pub fn live(&self, seq: u64) -> Option<&Live> {
        self.live.get(&seq)
    }

    /// `seqs` with the seqs of the corrections that replaced each of them
    /// (the evidence of a figure is the fact and what corrected it), sorted.
    pub fn with_corrections(&self, seqs: &[u64]) -> Vec<u64> {
        let mut out: Vec<u64> = seqs.to_vec();
        for s in seqs {
            if let Some(l) = self.live.get(s) {
                out.extend(&l.corrected_by);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The seq of an event id in this prefix (facts, corrections and voids).
    pub fn seq_of(&self, event_id: &Uuid) -> Option<u64> {
        self.seq_of.get(event_id).copied()
    }

    /// The seq of the void that removed the event at `seq`, if any in this prefix.
    pub fn voided_by(&self, seq: u64) -> Option<u64> {
        self.voided.get(&seq).copied()
    }

    /// The project definition, once defined.
    pub fn project(&self) -> Option<&grantledger_domain::events::ProjectDefined> {
        match self
            .ix
            .project
            .and_then(|s| self.live.get(&s))
            .map(|l| &l.event)
        {
            Some(Event::ProjectDefined(p)) => Some(p),
            _ => None,
        }
    }

    /// The valid date of the live event at `seq`: its payload's date, or for
    /// an attendance its session's date.
    pub fn valid_date_of(&self, seq: u64) -> Option<grantledger_domain::Date> {
        match self.event(seq)? {
            Event::AttendanceRecorded(a) => self.session(a.session_id.as_str()).map(|s| s.date),
            other => other.valid_date(),
        }
    }

    /// The corrections and voids in this prefix with seq > `after`, as
    /// (seq, target seq), in seq order.
    pub fn amendments_after(&self, after: u64) -> Vec<(u64, Option<u64>)> {
        self.amendment_events
            .range(after + 1..)
            .map(|(s, (_, event))| {
                (
                    *s,
                    amendment_target(event).and_then(|t| self.seq_of.get(&t).copied()),
                )
            })
            .collect()
    }

    /// The latest live `report_submitted` of monitoring period `no`: (seq, marker).
    pub fn report_marker(
        &self,
        no: u32,
    ) -> Option<(u64, &grantledger_domain::events::ReportSubmitted)> {
        self.ix
            .reports
            .get(&no)?
            .iter()
            .rev()
            .find_map(|s| match self.event(*s) {
                Some(Event::ReportSubmitted(r)) => Some((*s, r)),
                _ => None,
            })
    }

    /// A correction or void of this prefix by its seq: (the event, its
    /// target's seq, its event id). Corrections are kept by the fold as
    /// amendments, not as facts.
    pub fn amendment(&self, seq: u64) -> Option<(&Event, Option<u64>, String)> {
        let (id, event) = self.amendment_events.get(&seq)?;
        let target = amendment_target(event).and_then(|t| self.seq_of.get(&t).copied());
        Some((event, target, id.to_string()))
    }

    /// The rule sets (`rule_set_adopted`) in force on `as_of`: adopted with
    /// `effective_from` ≤ `as_of`, in effective order (DOMAIN.md R5.5).
    pub fn rule_sets_on(&self, as_of: grantledger_domain::Date) -> Vec<String> {
        let mut sets: Vec<(grantledger_domain::Date, u64, String)> = self
            .ix
            .rule_sets
            .iter()
            .filter_map(|s| match self.event(*s) {
                Some(Event::RuleSetAdopted(r)) if r.effective_from <= as_of => {
                    Some((r.effective_from, *s, r.rule_set.clone()))
                }
                _ => None,
            })
            .collect();
        sets.sort();
        sets.into_iter().map(|(_, _, name)| name).collect()
    }

    /// The live event at `seq` if it exists.
    pub fn event(&self, seq: u64) -> Option<&Event> {
        self.live.get(&seq).map(|l| &l.event)
    }

    /// Hours of a session by id with its date, if the session is live.
    pub(crate) fn session(&self, id: &str) -> Option<&grantledger_domain::events::SessionHeld> {
        match self.ix.sessions.get(id).and_then(|s| self.event(*s)) {
            Some(Event::SessionHeld(s)) => Some(s),
            _ => None,
        }
    }
}

/// The event a correction or void targets.
fn amendment_target(event: &Event) -> Option<Uuid> {
    match event {
        Event::EventCorrected(c) => Some(c.target_event_id),
        Event::EventVoided(v) => Some(v.target_event_id),
        _ => None,
    }
}
