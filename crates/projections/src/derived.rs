//! Derived dates of the measures, kept per ledger and brought up to date
//! lazily (the performance issue "fast measures").
//!
//! Everything `as_of`-dependent in the indicators and findings is "the date
//! on which X becomes true", which does not depend on `as_of`: the date a
//! participant crosses the support threshold (R1.3–R1.5), the date a run
//! becomes held (R2.1), an activity's date, the date a finding arises. The
//! [`Cache`] keeps those dates (with counts by date) so that a query is a
//! range sum over a few hundred dates instead of a pass over the log.
//!
//! [`Projection::apply`](crate::Projection::apply) only marks what an event
//! touches as dirty ([`Cache::touch`], for the payload before and after a
//! correction or void); the next query recomputes the dirty participants,
//! runs, courses and groups of findings ([`Cache::refresh`]). Until the first
//! query nothing is tracked (a replay pays nothing): the first query computes
//! everything once.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use imbl::{OrdMap, OrdSet};

use grantledger_domain::events::Gender;
use grantledger_domain::{Date, Event, Hours};
use uuid::Uuid;

use crate::findings::Finding;
use crate::history::History;
use crate::indicators::ByGender;
use crate::intern::IdMap;
use crate::ledger::Key;
use crate::Ledger;

/// The derived state behind a lock, so that `&Ledger` queries can bring it
/// up to date. Equal whatever its content (it is a function of the ledger).
/// Cloning it is cheap: the big parts of the [`Cache`] are persistent maps
/// or `Arc`s, shared until one copy refreshes them.
#[derive(Default)]
pub(crate) struct Derived(RwLock<Cache>);

impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived(RwLock::new(
            self.0.read().unwrap_or_else(|p| p.into_inner()).clone(),
        ))
    }
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Derived {}

impl fmt::Debug for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Derived")
    }
}

impl Derived {
    pub(crate) fn get_mut(&mut self) -> &mut Cache {
        self.0.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the history is kept.
    pub(crate) fn has_history(&self) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .history
            .is_some()
    }

    /// Brings the counts the indicators read up to date with `l` (whose
    /// derived state this is), recording their changes in the history.
    pub(crate) fn refresh_counts(&self, l: &Ledger) {
        let mut guard = self.0.write().unwrap_or_else(|p| p.into_inner());
        if !guard.built || !guard.dirty.counts_clean() {
            guard.refresh(l, false);
        }
    }

    /// Marks what `event` (a live payload added, or removed by a correction
    /// or void) touches as dirty.
    pub(crate) fn touch(&mut self, event: &Event) {
        self.0
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .touch(event);
    }
}

/// What changed since the last refresh.
#[derive(Clone, Debug, Default)]
struct Dirty {
    all: bool,
    participants: HashSet<Uuid>,
    sessions: HashSet<Key>,
    runs: HashSet<Key>,
    courses: HashSet<Key>,
    /// Seminars, workshops and conferences (kind, id) touched.
    activities: HashSet<(ActivityKind, Key)>,
    /// Staff ids whose contract, amendments or timesheets changed.
    staff: HashSet<Key>,
    /// Expense ids whose expense or payments changed.
    expenses: HashSet<Uuid>,
    /// Participants whose counts are up to date but whose findings and
    /// evidence wait for the next full refresh.
    pending: HashSet<Uuid>,
}

impl Dirty {
    fn is_clean(&self) -> bool {
        self.counts_clean()
            && self.pending.is_empty()
            && self.staff.is_empty()
            && self.expenses.is_empty()
    }

    /// Whether the counts the indicators read are up to date.
    fn counts_clean(&self) -> bool {
        !self.all
            && self.participants.is_empty()
            && self.sessions.is_empty()
            && self.runs.is_empty()
            && self.courses.is_empty()
            && self.activities.is_empty()
    }
}

/// One participant's derived state.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Person {
    /// When registered and over the threshold: the crossing date and gender.
    pub supported: Option<(Date, Gender)>,
    /// The registration and the support entries up to the crossing date.
    pub evidence: Box<[u64]>,
    /// Valid dates (last days) of the live internships.
    pub internships: Box<[Date]>,
    /// The participant's findings (R1.2), in the order found.
    pub findings: Findings,
}

impl Person {
    /// Whether the derived state is worth keeping (anything but defaults).
    fn is_kept(&self) -> bool {
        self.supported.is_some() || !self.internships.is_empty() || !self.findings.is_empty()
    }
}

/// One run's derived state.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// Seq of the live `course_run_scheduled`.
    pub seq: u64,
    /// Its course.
    pub course_id: Key,
    /// The date it becomes held (R2.1), if ever.
    pub held_on: Option<Date>,
}

/// A live expense's seq, document hash (R4.3, [`document_hash`]) and staff
/// id (R4.6).
type ExpenseKeys = (u64, u64, Option<Key>);

#[cfg(test)]
thread_local! {
    /// Set by a test: every document hashes alike (all collide) on this thread.
    pub(crate) static COLLIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The 64-bit hash of a document key (R4.3: supplier IČO and document
/// number), by which the derived state groups expenses: 8 bytes where the
/// key took 48, and numbered by an interner of 8-byte keys (≈ 13 MiB less at
/// 10^6 events). Seeded at random per process (the derived state is never
/// stored); two documents with one hash share a group, and
/// [`Cache::first_with_document`] compares the keys themselves.
fn document_hash(key: &crate::budget::DocumentKey) -> u64 {
    #[cfg(test)]
    if COLLIDE.with(std::cell::Cell::get) {
        return 0;
    }
    static SEED: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    std::hash::BuildHasher::hash_one(&*SEED, key)
}

/// One expense's derived state: the figures of its eligibility that the
/// budget reads, and its findings. The rest of its
/// [`ExpenseStatus`](crate::ExpenseStatus)
/// (reasons, note, evidence: texts and vectors, ≈ 300 bytes an expense, kept
/// by every snapshot an expense changed in) is made again when a status is
/// shown ([`Ledger::expense_statuses`]): the findings, compared at each
/// refresh, already change with the reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expense {
    /// Budget line code (inline: no allocation for a code of up to 24 bytes).
    pub budget_line: Key,
    /// Taxable supply date.
    pub taxable_supply_date: Date,
    /// The date it becomes eligible, `None` if never (R4.1–R4.3, R4.6).
    pub eligible_on: Option<Date>,
    /// Eligible amount in CZK, exact (zero when never eligible).
    pub eligible_amount: rust_decimal::Decimal,
    /// Its findings (R4.1, R4.3, R4.6), in the order found.
    findings: Findings,
}

/// Who found a finding. Findings with equal (date, rule, subject, severity)
/// are listed in the order they were found in: the staff group, the
/// expenses by seq, the budget lines, the participants by id (the order of
/// the variants), then by their place in the owner's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Staff,
    Expense(u64),
    Lines,
    Participant(Uuid),
}

/// A list of findings as an owner keeps it.
/// (A boxed slice: 16 bytes where a vector took 24, and no allocation for
/// the many owners without findings.)
pub(crate) type Findings = Box<[Arc<Finding>]>;

/// `findings` made shareable, in a slice of their exact number. (A
/// `collect` would reuse the findings' own buffer in place, ≈ 100 bytes a
/// finding plus the growth room, for 8-byte `Arc`s: ≈ 20 MiB at 10^6 events.)
fn shared(findings: Vec<Finding>) -> Findings {
    let mut list = Vec::with_capacity(findings.len());
    list.extend(findings.into_iter().map(Arc::new));
    list.into_boxed_slice()
}

/// Counts by date.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counts(OrdMap<Date, u64>);

impl Counts {
    fn add(&mut self, d: Date) {
        *self.0.entry(d).or_default() += 1;
    }

    fn remove(&mut self, d: Date) {
        if let Some(n) = self.0.get_mut(&d) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(&d);
            }
        }
    }

    /// How many dates are ≤ `as_of`.
    pub fn upto(&self, as_of: Date) -> u64 {
        self.0.range(..=as_of).map(|(_, n)| n).sum()
    }
}

/// The kinds of activity counted by the indicators (R2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ActivityKind {
    Seminar,
    Workshop,
    Conference,
}

/// A live activity's derived state: its valid date (a conference's last
/// day) and, for a seminar, its municipality (trimmed, lower case, R2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Activity {
    on: Date,
    municipality: Option<String>,
}

/// The activities indexed by id: seminars and workshops, conferences, and
/// the seminar dates of each municipality, kept incrementally.
#[derive(Clone, Debug, Default)]
pub(crate) struct Activities {
    by_id: OrdMap<(ActivityKind, Key), Activity>,
    /// Dates of the live seminars and workshops.
    pub seminars_and_workshops: Counts,
    /// Valid dates (last days) of the live conferences.
    pub conferences: Counts,
    /// Municipality (trimmed, lower case) → the dates of its seminars.
    municipalities: OrdMap<String, Counts>,
}

impl Activities {
    /// Municipality → the date of its first seminar.
    pub fn municipalities(&self) -> impl Iterator<Item = (&String, Date)> {
        self.municipalities
            .iter()
            .filter_map(|(m, c)| Some((m, *c.0.keys().next()?)))
    }

    fn first_seminar(&self, m: &str) -> Option<Date> {
        self.municipalities
            .get(m)
            .and_then(|c| c.0.keys().next().copied())
    }

    /// Brings the activity `key` up to date with `l`, recording its changes
    /// at `seq` in `history`.
    fn refresh(
        &mut self,
        l: &Ledger,
        key: &(ActivityKind, Key),
        seq: u64,
        history: Option<&mut History>,
    ) {
        let old = self.by_id.remove(key);
        let new = l.activity(key.0, &key.1).map(|(on, m)| Activity {
            on,
            municipality: m,
        });
        if old == new {
            if let Some(a) = new {
                self.by_id.insert(key.clone(), a);
            }
            return;
        }
        let firsts = |a: &Self| -> Vec<(String, Option<Date>)> {
            [&old, &new]
                .into_iter()
                .flatten()
                .filter_map(|x| x.municipality.clone())
                .map(|m| {
                    let first = a.first_seminar(&m);
                    (m, first)
                })
                .collect()
        };
        let before = firsts(self);
        fn series(s: &mut Activities, kind: ActivityKind) -> &mut Counts {
            match kind {
                ActivityKind::Conference => &mut s.conferences,
                _ => &mut s.seminars_and_workshops,
            }
        }
        if let Some(a) = &old {
            series(self, key.0).remove(a.on);
            if let Some(m) = &a.municipality {
                if let Some(c) = self.municipalities.get_mut(m) {
                    c.remove(a.on);
                    if c.0.is_empty() {
                        self.municipalities.remove(m);
                    }
                }
            }
        }
        if let Some(a) = &new {
            series(self, key.0).add(a.on);
            if let Some(m) = &a.municipality {
                if let Some(c) = self.municipalities.get_mut(m) {
                    c.add(a.on);
                } else {
                    let mut c = Counts::default();
                    c.add(a.on);
                    self.municipalities.insert(m.clone(), c);
                }
            }
            self.by_id.insert(key.clone(), a.clone());
        }
        if let Some(h) = history {
            let dates = match key.0 {
                ActivityKind::Conference => &mut h.conferences,
                _ => &mut h.seminars_and_workshops,
            };
            dates.change(seq, old.map(|a| a.on), new.map(|a| a.on));
            let mut seen = BTreeSet::new();
            for (m, first) in before {
                if seen.insert(m.clone()) {
                    h.municipality(seq, &m, first, self.first_seminar(&m));
                }
            }
        }
    }
}

/// The derived dates of one ledger.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cache {
    /// Whether anything has been computed; until then nothing is tracked.
    built: bool,
    dirty: Dirty,
    /// Each person behind an `Arc`: a snapshot that diverges from the head
    /// copies a B-tree leaf of pointers, not sixteen persons with their lists.
    persons: IdMap<Uuid, triomphe::Arc<Person>>,
    /// Every participant's support hours counted (attendance capped at the
    /// session's hours, internships), summed saturating, when not zero: with
    /// the threshold they tell whether a new attendance can make the
    /// participant cross it. Apart from [`Person`], which an attendance then
    /// leaves as it is (shared with any snapshot).
    hours: IdMap<Uuid, Hours>,
    /// Supported persons by crossing date, by gender.
    supported: OrdMap<Date, ByGender>,
    internships: Counts,
    runs: OrdMap<Key, Run>,
    runs_held: Counts,
    /// Course id → the held dates of its runs (those in `runs`).
    runs_held_by_course: OrdMap<Key, Counts>,
    /// Course id → the date its first run becomes held.
    courses: OrdMap<Key, Date>,
    courses_held: Counts,
    activities: Activities,
    staff_findings: Findings,
    /// Live expenses by seq (each behind an `Arc`, as the persons; one
    /// count, no weak references: 8 bytes less than `std`'s).
    expenses: OrdMap<u64, triomphe::Arc<Expense>>,
    /// Expense id → seq, document hash and staff id of the live expense
    /// indexed (40 bytes inline: numbered as first seen, a snapshot
    /// interval's new expenses land in the last leaves, so a leaf copy is
    /// rare and an `Arc` a value cost 64 bytes more an expense).
    expense_keys: IdMap<Uuid, ExpenseKeys>,
    /// Document hash ([`document_hash`], R4.3) → seqs of the live expenses
    /// with a document of that hash.
    documents: IdMap<u64, crate::seqs::Seqs>,
    /// Staff id → ids of the live expenses naming them (R4.6).
    expenses_by_staff: OrdMap<Key, OrdSet<Uuid>>,
    /// Budget line code → its eligible expenses: (eligible on, seq) → amount.
    lines: OrdMap<String, OrdMap<(Date, u64), rust_decimal::Decimal>>,
    line_findings: Findings,
    /// When the ledger tracks its history: every change of the counts above
    /// by the record that made it (crate::history).
    history: Option<History>,
}

impl Cache {
    /// Starts the history (on an empty ledger: every count is recorded from
    /// the first record on).
    pub(crate) fn start_history(&mut self) {
        self.history = Some(History::default());
    }

    /// Stops the history.
    pub(crate) fn stop_history(&mut self) {
        self.history = None;
    }

    /// After a new attendance of `id` counting `hours` on `date`: when it
    /// cannot change the participant's counts, only their findings and
    /// evidence wait for the next full refresh. It cannot when the
    /// participant is supported from a date ≤ `date` (the running total only
    /// grows after the crossing date), or is not supported and their hours
    /// with these stay ≤ `threshold` (R1.3 "more than", R1.5).
    pub(crate) fn defer_attendance(
        &mut self,
        id: &Uuid,
        date: Date,
        hours: Hours,
        threshold: Option<Hours>,
    ) {
        let before = self.hours.get(id).copied().unwrap_or(Hours::ZERO);
        let unchanged = match self.persons.get(id).and_then(|p| p.supported) {
            Some((on, _)) => on <= date,
            None => threshold.is_some_and(|t| before.saturating_add(hours) <= t),
        };
        if unchanged && self.dirty.participants.remove(id) {
            self.dirty.pending.insert(*id);
            self.set_hours(id, before.saturating_add(hours));
        }
    }

    /// Sets a participant's support hours (kept only when not zero; an
    /// unchanged value leaves the map as it is).
    fn set_hours(&mut self, id: &Uuid, hours: Hours) {
        if self.hours.get(id) == Some(&hours) {
            return;
        }
        if hours > Hours::ZERO {
            self.hours.insert(*id, hours);
        } else {
            self.hours.remove(id);
        }
    }

    /// The history, when kept.
    pub(crate) fn history_mut(&mut self) -> Option<&mut History> {
        self.history.as_mut()
    }

    /// The history, when kept.
    pub(crate) fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    fn touch(&mut self, event: &Event) {
        if !self.built {
            return;
        }
        let d = &mut self.dirty;
        match event {
            Event::ProjectDefined(_) => d.all = true,
            Event::CourseDefined(c) => {
                d.courses.insert(c.course_id.as_compact().clone());
            }
            Event::CourseRunScheduled(r) => {
                d.runs.insert(r.run_id.as_compact().clone());
            }
            Event::SessionHeld(s) => {
                d.runs.insert(s.run_id.as_compact().clone());
                d.sessions.insert(s.session_id.as_compact().clone());
            }
            Event::SeminarHeld(e) => {
                d.activities
                    .insert((ActivityKind::Seminar, e.seminar_id.as_compact().clone()));
            }
            Event::WorkshopHeld(e) => {
                d.activities
                    .insert((ActivityKind::Workshop, e.workshop_id.as_compact().clone()));
            }
            Event::ConferenceHeld(e) => {
                d.activities.insert((
                    ActivityKind::Conference,
                    e.conference_id.as_compact().clone(),
                ));
            }
            Event::ParticipantRegistered(p) => {
                d.participants.insert(p.participant_id);
            }
            Event::AttendanceRecorded(a) => {
                d.participants.insert(a.participant_id);
            }
            Event::InternshipCompleted(i) => {
                d.participants.insert(i.participant_id);
            }
            Event::ParticipantExited(x) => {
                // an exit changes findings (R1.2), never the counts: the
                // crossing date and internships do not depend on it
                d.pending.insert(x.participant_id);
            }
            Event::StaffContracted(e) => {
                d.staff.insert(e.staff_id.as_compact().clone());
            }
            Event::StaffContractAmended(e) => {
                d.staff.insert(e.staff_id.as_compact().clone());
            }
            Event::TimesheetFiled(e) => {
                d.staff.insert(e.staff_id.as_compact().clone());
            }
            Event::ExpenseRecorded(e) => {
                d.expenses.insert(e.expense_id);
            }
            Event::ExpensePaid(e) => {
                d.expenses.insert(e.expense_id);
            }
            Event::OrganizationJoined(_)
            | Event::ParticipantEnrolled(_)
            | Event::PersonalDataErased(_)
            | Event::ReportSubmitted(_)
            | Event::RuleSetAdopted(_)
            | Event::EventCorrected(_)
            | Event::EventVoided(_) => {}
        }
    }

    /// Brings every dirty part up to date with `l` (everything on the first
    /// call); with `all` false, only the parts the indicators count (the
    /// staff and expenses stay dirty until the next full refresh).
    fn refresh(&mut self, l: &Ledger, all: bool) {
        if !self.built || self.dirty.all {
            let mut history = self.history.take();
            if let Some(h) = history.as_mut() {
                self.forget_counts(h, l.at_seq);
            }
            *self = Cache {
                history,
                built: true,
                dirty: Dirty {
                    participants: l
                        .ix
                        .participants
                        .keys()
                        .chain(l.ix.internships_by_participant.keys())
                        .collect(),
                    runs: l.ix.runs.keys().collect(),
                    courses: l
                        .ix
                        .courses
                        .keys()
                        .chain(l.ix.runs_by_course.keys())
                        .cloned()
                        .collect(),
                    activities: l
                        .ix
                        .seminars
                        .keys()
                        .map(|id| (ActivityKind::Seminar, id.clone()))
                        .chain(
                            l.ix.workshops
                                .keys()
                                .map(|id| (ActivityKind::Workshop, id.clone())),
                        )
                        .chain(
                            l.ix.conferences
                                .keys()
                                .map(|id| (ActivityKind::Conference, id.clone())),
                        )
                        .collect(),
                    staff: l
                        .ix
                        .staff
                        .keys()
                        .chain(l.ix.amendments_by_staff.keys())
                        .chain(l.ix.timesheets.keys().map(|(id, _)| id))
                        .cloned()
                        .collect(),
                    expenses: l.ix.expenses.keys().collect(),
                    ..Dirty::default()
                },
                persons: IdMap::with(l.ix.participants.interner()),
                hours: IdMap::with(l.ix.participants.interner()),
                expense_keys: IdMap::with(l.ix.expenses.interner()),
                ..Cache::default()
            };
        }
        let mut d = std::mem::take(&mut self.dirty);
        for sid in &d.sessions {
            for seq in l.ix.attendance_by_session.get(sid).into_iter().flatten() {
                if let Some(Event::AttendanceRecorded(a)) = l.event(seq).as_deref() {
                    d.participants.insert(a.participant_id);
                }
            }
        }
        for cid in &d.courses {
            for seq in l.ix.runs_by_course.get(cid).into_iter().flatten() {
                if let Some(Event::CourseRunScheduled(r)) = l.decoded(seq) {
                    d.runs.insert(r.run_id.as_compact().clone());
                }
            }
        }
        let seq = l.at_seq;
        for rid in &d.runs {
            let old = self.runs.remove(rid);
            let new = l.run_state(rid);
            let unchanged = match (&old, &new) {
                (Some(a), Some(b)) => {
                    a.seq == b.seq && a.course_id == b.course_id && a.held_on == b.held_on
                }
                (None, None) => true,
                _ => false,
            };
            if let Some(h) = self.history.as_mut() {
                h.runs_held.change(
                    seq,
                    old.as_ref().and_then(|r| r.held_on),
                    new.as_ref().and_then(|r| r.held_on),
                );
            }
            if let Some(old) = old {
                if let Some(on) = old.held_on {
                    self.runs_held.remove(on);
                    if let Some(c) = self.runs_held_by_course.get_mut(&old.course_id) {
                        c.remove(on);
                        if c.0.is_empty() {
                            self.runs_held_by_course.remove(&old.course_id);
                        }
                    }
                }
                if !unchanged {
                    d.courses.insert(old.course_id);
                }
            }
            if let Some(new) = new {
                if let Some(on) = new.held_on {
                    self.runs_held.add(on);
                    if let Some(c) = self.runs_held_by_course.get_mut(&new.course_id) {
                        c.add(on);
                    } else {
                        let mut c = Counts::default();
                        c.add(on);
                        self.runs_held_by_course.insert(new.course_id.clone(), c);
                    }
                }
                if !unchanged {
                    d.courses.insert(new.course_id.clone());
                }
                self.runs.insert(rid.clone(), new);
            }
        }
        for cid in &d.courses {
            let old = self.courses.remove(cid);
            if let Some(on) = old {
                self.courses_held.remove(on);
            }
            // the earliest held date of its runs (R2.1: a course type is
            // held when its first run is)
            let held_on = self
                .runs_held_by_course
                .get(cid)
                .and_then(|c| c.0.keys().next().copied());
            if let Some(h) = self.history.as_mut() {
                h.courses_held.change(seq, old, held_on);
            }
            if let Some(on) = held_on {
                self.courses_held.add(on);
                self.courses.insert(cid.clone(), on);
            }
        }
        if all {
            d.participants.extend(d.pending.drain());
            for id in &d.participants {
                self.refresh_person(l, id, seq);
            }
        } else {
            for id in &d.participants {
                self.refresh_person_counts(l, id, seq);
            }
        }
        for key in &d.activities {
            self.activities.refresh(l, key, seq, self.history.as_mut());
        }
        if !all {
            // the participants' findings and evidence, the staff and the
            // expenses wait for the next full refresh
            self.dirty.pending = d.pending;
            self.dirty.pending.extend(d.participants);
            self.dirty.staff = d.staff;
            self.dirty.expenses = d.expenses;
            return;
        }
        if !d.staff.is_empty() {
            self.staff_findings = shared(l.staff_group());
        }
        if !d.expenses.is_empty() || !d.staff.is_empty() {
            self.refresh_expenses(l, d);
        }
    }

    /// Recomputes a participant's derived state (crossing date, evidence,
    /// internships, findings) and the counts and findings it is in.
    fn refresh_person(&mut self, l: &Ledger, id: &Uuid, seq: u64) {
        let (new, hours) = l.person_state(id);
        self.set_hours(id, hours);
        let unchanged = match self.persons.get(id) {
            Some(old) => **old == new,
            None => !new.is_kept(),
        };
        if unchanged {
            // its maps stay as they are (and shared with any snapshot)
            return;
        }
        let old = self.persons.remove(id);
        let (old_supported, old_internships) = old
            .as_ref()
            .map_or((None, &[][..]), |p| (p.supported, &p.internships[..]));
        self.count_person(
            seq,
            old_supported,
            old_internships,
            new.supported,
            &new.internships,
        );
        let mut new = new;
        match old {
            // the same findings (most often: a participant still without an
            // exit whose hours grew): keep the old copies, which a snapshot
            // may share, instead of equal new ones
            Some(old) if old.findings == new.findings => new.findings = old.findings.clone(),
            _ => {}
        }
        if new.is_kept() {
            self.persons.insert(*id, triomphe::Arc::new(new));
        }
    }

    /// Recomputes only what a participant adds to the counts (crossing date
    /// and gender, internships); the participant stays dirty for the rest.
    fn refresh_person_counts(&mut self, l: &Ledger, id: &Uuid, seq: u64) {
        let (supported, internships, hours) = l.person_counts(id);
        self.set_hours(id, hours);
        let (old_supported, old_internships) = self
            .persons
            .get(id)
            .map_or((None, &[][..]), |p| (p.supported, &p.internships[..]));
        if old_supported == supported && old_internships == internships.as_slice() {
            return;
        }
        let old_internships = old_internships.to_vec();
        self.count_person(
            seq,
            old_supported,
            &old_internships,
            supported,
            &internships,
        );
        let mut p = self
            .persons
            .remove(id)
            .map(triomphe::Arc::unwrap_or_clone)
            .unwrap_or_default();
        p.supported = supported;
        p.internships = internships.into_boxed_slice();
        if p.is_kept() {
            self.persons.insert(*id, triomphe::Arc::new(p));
        }
    }

    /// Moves a participant's contribution to the counts (and the history)
    /// from `old` to `new`.
    fn count_person(
        &mut self,
        seq: u64,
        old_supported: Option<(Date, Gender)>,
        old_internships: &[Date],
        new_supported: Option<(Date, Gender)>,
        new_internships: &[Date],
    ) {
        if let Some(h) = self.history.as_mut() {
            h.supported(seq, old_supported, new_supported);
            h.internships
                .change_all(seq, old_internships, new_internships);
        }
        if let Some((on, g)) = old_supported {
            let c = self.supported.entry(on).or_default();
            match g {
                Gender::Female => c.female -= 1,
                Gender::Male => c.male -= 1,
            }
            if c.female + c.male == 0 {
                self.supported.remove(&on);
            }
        }
        for &on in old_internships {
            self.internships.remove(on);
        }
        if let Some((on, g)) = new_supported {
            let c = self.supported.entry(on).or_default();
            match g {
                Gender::Female => c.female += 1,
                Gender::Male => c.male += 1,
            }
        }
        for &on in new_internships {
            self.internships.add(on);
        }
    }

    /// Records in `h` that at `seq` every count above was emptied (before a
    /// rebuild of the cache; the rebuild records the counts again).
    fn forget_counts(&self, h: &mut History, seq: u64) {
        for (on, by) in self.supported.iter() {
            h.forget_supported(seq, *on, *by);
        }
        for (counts, series) in [
            (&self.internships, &mut h.internships),
            (&self.runs_held, &mut h.runs_held),
            (&self.courses_held, &mut h.courses_held),
        ] {
            for (on, n) in counts.0.iter() {
                series.add(seq, *on, -(*n as i64));
            }
        }
        let a = &self.activities;
        for (counts, series) in [
            (&a.seminars_and_workshops, &mut h.seminars_and_workshops),
            (&a.conferences, &mut h.conferences),
        ] {
            for (on, n) in counts.0.iter() {
                series.add(seq, *on, -(*n as i64));
            }
        }
        for (m, first) in a.municipalities() {
            h.municipality(seq, m, Some(first), None);
        }
    }

    /// Recomputes the expenses that changed, those naming a staff member
    /// who changed, and those sharing a document with either (R4.3).
    fn refresh_expenses(&mut self, l: &Ledger, d: Dirty) {
        let mut ids = d.expenses;
        for st in &d.staff {
            ids.extend(self.expenses_by_staff.get(st).into_iter().flatten());
        }
        // Every changed id is re-indexed (seq, document, staff) only if its
        // keys changed: a staff member's timesheet marks all of their
        // expenses dirty, and a map left untouched is not copied when the
        // head diverges from a snapshot. The document groups of the old and
        // new keys are recomputed below either way.
        let mut documents = HashSet::new();
        for id in &ids {
            let now =
                l.ix.expenses
                    .get(id)
                    .and_then(|&seq| match l.event(seq).as_deref() {
                        Some(Event::ExpenseRecorded(e)) => Some((
                            seq,
                            document_hash(&crate::budget::document_key(e)),
                            e.staff_id.as_ref().map(|s| s.as_compact().clone()),
                        )),
                        _ => None,
                    });
            let before = self.expense_keys.get(id).cloned();
            if let Some((_, doc, _)) = &before {
                documents.insert(*doc);
            }
            if let Some((_, doc, _)) = &now {
                documents.insert(*doc);
            }
            if before == now {
                continue;
            }
            if let Some((seq, doc, staff)) = before {
                self.expense_keys.remove(id);
                if let Some(set) = self.documents.get_mut(&doc) {
                    set.remove(&seq);
                    if set.is_empty() {
                        self.documents.remove(&doc);
                    }
                }
                if let Some(st) = staff {
                    if let Some(set) = self.expenses_by_staff.get_mut(&st) {
                        set.remove(id);
                        if set.is_empty() {
                            self.expenses_by_staff.remove(&st);
                        }
                    }
                }
                self.remove_expense(seq);
            }
            if let Some((seq, doc, staff)) = now {
                match self.documents.get_mut(&doc) {
                    Some(set) => {
                        set.insert(seq);
                    }
                    None => {
                        self.documents.insert(doc, crate::seqs::Seqs::unit(seq));
                    }
                }
                if let Some(st) = &staff {
                    self.expenses_by_staff
                        .entry(st.clone())
                        .or_default()
                        .insert(*id);
                }
                self.expense_keys.insert(*id, (seq, doc, staff));
            }
        }
        let mut todo = std::collections::BTreeSet::new();
        for doc in &documents {
            todo.extend(self.documents.get(doc).into_iter().flatten());
        }
        let Some(project) = l.project() else {
            return;
        };
        for seq in todo {
            let event = l.event(seq);
            let Some(Event::ExpenseRecorded(e)) = event.as_deref() else {
                self.remove_expense(seq);
                continue;
            };
            let first = self.first_with_document(l, e, seq);
            let status = l.expense_status(project, seq, e, first);
            let expense = Expense {
                budget_line: Key::new(&status.budget_line),
                taxable_supply_date: status.taxable_supply_date,
                eligible_on: status.eligible_on,
                eligible_amount: status.eligible_amount,
                findings: shared(l.expense_findings_of(&status)),
            };
            if self.expenses.get(&seq).is_some_and(|x| **x == expense) {
                // unchanged: its maps stay as they are (and shared)
                continue;
            }
            self.remove_expense(seq);
            if let Some(on) = expense.eligible_on {
                self.lines
                    .entry(expense.budget_line.to_string())
                    .or_default()
                    .insert((on, seq), expense.eligible_amount);
            }
            self.expenses.insert(seq, triomphe::Arc::new(expense));
        }
        let lines: Vec<Vec<_>> = project
            .budget_lines
            .iter()
            .map(|line| {
                self.lines
                    .get(line.code.as_str())
                    .into_iter()
                    .flatten()
                    .map(|((on, seq), amount)| (*on, *seq, *amount))
                    .collect()
            })
            .collect();
        self.line_findings = shared(l.budget_line_findings(&lines));
    }

    /// Forgets the derived state of the expense at `seq` (not its indexes).
    fn remove_expense(&mut self, seq: u64) {
        let Some(old) = self.expenses.remove(&seq) else {
            return;
        };
        if let Some(on) = old.eligible_on {
            if let Some(line) = self.lines.get_mut(old.budget_line.as_str()) {
                line.remove(&(on, seq));
                if line.is_empty() {
                    self.lines.remove(old.budget_line.as_str());
                }
            }
        }
    }

    /// Supported persons with a crossing date ≤ `as_of`, by gender.
    pub fn supported_upto(&self, as_of: Date) -> ByGender {
        let mut by = ByGender::default();
        for (_, g) in self.supported.range(..=as_of) {
            by.female += g.female;
            by.male += g.male;
        }
        by
    }

    /// The participants' derived states (those supported, with internships or findings).
    pub fn persons(&self) -> impl Iterator<Item = (Uuid, &Person)> {
        self.persons.iter().map(|(id, p)| (id, &**p))
    }

    /// Live internships dated ≤ `as_of`.
    pub fn internships_upto(&self, as_of: Date) -> u64 {
        self.internships.upto(as_of)
    }

    /// Runs held by `as_of`.
    pub fn runs_held_upto(&self, as_of: Date) -> u64 {
        self.runs_held.upto(as_of)
    }

    /// Every run's derived state.
    pub fn runs(&self) -> impl Iterator<Item = &Run> {
        self.runs.values()
    }

    /// Courses with a run held by `as_of`.
    pub fn courses_held_upto(&self, as_of: Date) -> u64 {
        self.courses_held.upto(as_of)
    }

    /// The activities.
    pub fn activities(&self) -> &Activities {
        &self.activities
    }

    /// A budget line's eligible expenses dated `≤ as_of` (eligible on):
    /// (seq, eligible amount in CZK, exact), by (eligible on, seq).
    pub fn line_eligible(&self, code: &str, as_of: Date) -> Vec<(u64, rust_decimal::Decimal)> {
        self.lines
            .get(code)
            .into_iter()
            .flat_map(|m| m.range(..=(as_of, u64::MAX)))
            .map(|((_, seq), amount)| (*seq, *amount))
            .collect()
    }

    /// Every live expense's derived state by seq, in log order.
    pub fn expenses(&self) -> impl Iterator<Item = (u64, &Expense)> {
        self.expenses.iter().map(|(seq, e)| (*seq, &**e))
    }

    /// The seq of the first live expense before `seq` (in log order) with
    /// the document of `e` (R4.3), if any: of those in its document hash's
    /// group, the first whose key is equal (a group holds one document
    /// unless two hashes collide; the expense at `seq` itself ends the
    /// search, so a document's first expense reads no other).
    pub fn first_with_document(
        &self,
        l: &Ledger,
        e: &grantledger_domain::events::ExpenseRecorded,
        seq: u64,
    ) -> Option<u64> {
        let key = crate::budget::document_key(e);
        self.documents
            .get(&document_hash(&key))?
            .iter()
            .take_while(|s| *s < seq)
            .find(|&s| match l.event(s).as_deref() {
                Some(Event::ExpenseRecorded(x)) => crate::budget::document_key(x) == key,
                _ => false,
            })
    }

    /// Every finding dated `≤ upto` (every one for `None`), sorted by (date,
    /// rule, subject, severity), then by owner ([`Owner`]) and place in
    /// the owner's list.
    ///
    /// Gathered from the owners and sorted at each call (≈ 10 ms for 10^5
    /// findings): an ordered set of them, kept up to date at each refresh,
    /// took ≈ 16 MiB at 10^6 events in the head and the snapshots, whose
    /// versions of it diverged at every participant whose findings changed.
    pub fn findings(&self, upto: Option<Date>) -> Vec<&Finding> {
        let shown = |f: &Finding| upto.is_none_or(|d| f.date <= d);
        let lists = std::iter::once((Owner::Staff, &self.staff_findings))
            .chain(
                self.expenses
                    .iter()
                    .map(|(seq, e)| (Owner::Expense(*seq), &e.findings)),
            )
            .chain(std::iter::once((Owner::Lines, &self.line_findings)))
            .chain(
                self.persons
                    .iter()
                    .map(|(id, p)| (Owner::Participant(id), &p.findings)),
            );
        let mut all: Vec<(&Finding, Owner, usize)> = Vec::new();
        for (owner, list) in lists {
            for (place, f) in list.iter().enumerate() {
                if shown(f) {
                    all.push((&**f, owner, place));
                }
            }
        }
        // (date, rule, subject, severity, owner, place) is unique: an
        // unstable sort gives the one order
        all.sort_unstable_by(|(a, ao, ap), (b, bo, bp)| {
            (a.date, a.rule, &a.subject, a.severity, ao, ap)
                .cmp(&(b.date, b.rule, &b.subject, b.severity, bo, bp))
        });
        all.into_iter().map(|(f, _, _)| f).collect()
    }
}

impl Ledger {
    /// The derived state as it is (not refreshed): for the history, which
    /// every `apply` keeps up to date.
    pub(crate) fn derived_state(&self) -> RwLockReadGuard<'_, Cache> {
        self.derived.0.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The date a participant became a supported person (R1.3–R1.5: the
    /// valid date their support hours first exceed the threshold), as known
    /// in this prefix; `None` when not registered or never over it. From the
    /// derived dates (no pass over their attendance once they are up to date).
    pub fn supported_since(&self, id: &Uuid) -> Option<Date> {
        self.cache()
            .persons
            .get(id)
            .and_then(|p| p.supported)
            .map(|(on, _)| on)
    }

    /// The derived dates, brought up to date.
    pub(crate) fn cache(&self) -> RwLockReadGuard<'_, Cache> {
        {
            let guard = self.derived.0.read().unwrap_or_else(|p| p.into_inner());
            if guard.built && guard.dirty.is_clean() {
                return guard;
            }
        }
        {
            let mut guard = self.derived.0.write().unwrap_or_else(|p| p.into_inner());
            if !guard.built || !guard.dirty.is_clean() {
                guard.refresh(self, true);
            }
        }
        self.derived.0.read().unwrap_or_else(|p| p.into_inner())
    }
}
