//! Property tests over random small projects: a few courses, runs, sessions,
//! participants, attendances (hours ≤ the session's), seminars, and random
//! corrections and voids of attendances, sessions and seminars, under a low
//! support threshold (5 h) so that people cross it. Every event
//! goes through [`Ledger::admit`] first; refused ones are left out, as the
//! server would.

use std::collections::BTreeMap;

use grantledger_domain::{Date, Event, Hours};
use proptest::prelude::*;
use uuid::Uuid;

use super::support::*;
use crate::{replay, Figure, IndicatorValue, Ledger, ParticipantFigures, Projection};

const TOWNS: [&str; 4] = ["Ostrava", "Opava", "Karviná", "Praha"];
/// Sessions and seminars fall on 2016-10-01 + 0..DAYS.
const DAYS: i64 = 90;
const CASES: u32 = 256;

/// 2016-10-01 plus `offset` days.
fn day(offset: i64) -> Date {
    d("2016-10-01")
        .checked_add(jiff::Span::new().days(offset))
        .unwrap_or_else(|e| panic!("date offset {offset}: {e}"))
}

/// The as_of dates checked: a few days either side of the activity range.
fn as_of_dates(step: usize) -> impl Iterator<Item = Date> {
    (-2..DAYS + 3).step_by(step).map(day)
}

#[derive(Clone, Debug)]
enum Op {
    Session {
        run: usize,
        day: i64,
        quarters: i64,
    },
    Attend {
        person: usize,
        session: usize,
        pct: i64,
    },
    Seminar {
        town: usize,
        day: i64,
    },
    Correct {
        target: usize,
        change: Change,
    },
    Void {
        target: usize,
    },
    Internship {
        person: usize,
        day: i64,
        quarters: i64,
    },
    Exit {
        person: usize,
        day: i64,
    },
    /// A correction of course `C{course}`'s planned hours.
    Replan {
        course: usize,
        quarters: i64,
    },
    /// A correction of the project definition's support threshold.
    Rethreshold {
        quarters: i64,
    },
    /// Staff member `P{who}` (project manager): a contract (`what` 0), an
    /// amendment from `day` (1) or a timesheet of the month of `day` (2).
    Staff {
        who: usize,
        what: usize,
        day: i64,
        tenths: i64,
    },
}

/// New values for a correction; each kind takes the fields it has.
#[derive(Clone, Debug)]
struct Change {
    day: i64,
    quarters: i64,
    session: usize,
    pct: i64,
    town: usize,
    person: usize,
    /// Give a session or seminar a new id (`S{session}r`, `M{session}r`).
    rename: bool,
}

#[derive(Clone, Debug)]
struct Plan {
    /// Course (0 or 1) of each run.
    runs: Vec<usize>,
    /// Gender of each participant (true: female).
    women: Vec<bool>,
    ops: Vec<Op>,
}

fn change() -> impl Strategy<Value = Change> {
    (
        0..DAYS,
        2..=32i64,
        0..16usize,
        1..=100i64,
        0..TOWNS.len(),
        0..4usize,
        prop::bool::weighted(0.25),
    )
        .prop_map(
            |(day, quarters, session, pct, town, person, rename)| Change {
                day,
                quarters,
                session,
                pct,
                town,
                person,
                rename,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..DAYS, 2..=32i64).prop_map(|(run, day, quarters)| Op::Session { run, day, quarters }),
        6 => (0..4usize, 0..16usize, 1..=100i64).prop_map(|(person, session, pct)| Op::Attend { person, session, pct }),
        2 => (0..TOWNS.len(), 0..DAYS).prop_map(|(town, day)| Op::Seminar { town, day }),
        2 => (0..64usize, change()).prop_map(|(target, change)| Op::Correct { target, change }),
        1 => (0..64usize).prop_map(|target| Op::Void { target }),
        1 => (0..4usize, 0..DAYS, 2..=32i64).prop_map(|(person, day, quarters)| Op::Internship { person, day, quarters }),
        1 => (0..4usize, 0..DAYS).prop_map(|(person, day)| Op::Exit { person, day }),
        1 => (0..2usize, 2..=48i64).prop_map(|(course, quarters)| Op::Replan { course, quarters }),
        1 => (4..=60i64).prop_map(|quarters| Op::Rethreshold { quarters }),
        2 => (0..2usize, 0..3usize, 0..DAYS, 1..=10i64).prop_map(|(who, what, day, tenths)| Op::Staff { who, what, day, tenths }),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec(0..2usize, 1..=3),
        prop::collection::vec(any::<bool>(), 1..=4),
        prop::collection::vec(op(), 0..40),
    )
        .prop_map(|(runs, women, ops)| Plan { runs, women, ops })
}

/// A generated log, with what the "written in place" log would hold after each envelope.
struct Built {
    /// The log with its corrections and voids.
    log: Log,
    /// The incremental ledger the builder kept while admitting (queried between appends).
    ledger: Ledger,
    /// Seq in `log` → fact number (the n-th fact appended; corrections and voids are not facts).
    fact_of_seq: BTreeMap<u64, usize>,
    /// `reference[k]`: after envelope `k + 1`, each fact's payload with the
    /// corrections so far written in place, `None` once voided.
    reference: Vec<Vec<Option<Event>>>,
    persons: Vec<Uuid>,
    /// Every session and seminar id used.
    sessions: Vec<String>,
    seminars: Vec<String>,
}

#[derive(Default)]
struct Builder {
    log: Log,
    ledger: Ledger,
    original: Vec<Event>,
    current: Vec<Option<Event>>,
    ids: Vec<Uuid>,
    fact_of_seq: BTreeMap<u64, usize>,
    reference: Vec<Vec<Option<Event>>>,
    /// Session ids in the order recorded (renamed ones too).
    sessions: Vec<String>,
    /// Seminar ids recorded (renamed ones too).
    seminars: Vec<String>,
    /// Facts that may be corrected or voided: sessions, attendances, seminars.
    targets: Vec<usize>,
}

impl Builder {
    /// Appends `event` if the ledger admits it; its event id.
    fn try_append(&mut self, event: Event) -> Option<Uuid> {
        self.ledger.admit(&event).ok()?;
        let id = self.log.append(event);
        let env = self.log.envelopes.last()?;
        self.ledger.apply(env);
        Some(id)
    }

    /// Appends a fact if admitted; its fact number.
    fn fact(&mut self, event: Event) -> Option<usize> {
        let id = self.try_append(event.clone())?;
        let n = self.original.len();
        self.fact_of_seq.insert(self.log.next_seq() - 1, n);
        self.original.push(event.clone());
        self.current.push(Some(event));
        self.ids.push(id);
        self.reference.push(self.current.clone());
        Some(n)
    }

    /// Appends a correction or void of fact `n` if admitted; `now` is its payload after.
    fn amend(&mut self, event: Event, n: usize, now: Option<Event>) -> bool {
        if self.try_append(event).is_none() {
            return false;
        }
        self.current[n] = now;
        self.reference.push(self.current.clone());
        true
    }

    /// Attended hours: `pct` % of the session's current hours (at least 0.01 h).
    fn attended(&self, session_id: &str, pct: i64) -> String {
        let len = self
            .ledger
            .session(session_id)
            .map_or(100, |s| s.hours.centihours());
        Hours::from_units((len * pct / 100).max(1)).to_string()
    }
}

fn quarters(q: i64) -> String {
    Hours::from_units(q * 25).to_string()
}

/// `t` tenths as a decimal FTE (`"0.3"`, `"1"`).
fn tenths(t: i64) -> String {
    if t >= 10 {
        "1".to_string()
    } else {
        format!("0.{t}")
    }
}

fn build(plan: &Plan) -> Built {
    let mut b = Builder::default();
    b.fact(project_with_threshold("5"));
    b.fact(organization(ORG));
    let courses = [
        b.fact(course("C0", "6")).expect("course C0"),
        b.fact(course("C1", "10")).expect("course C1"),
    ];
    for (i, c) in plan.runs.iter().enumerate() {
        b.fact(run(
            &format!("R{i}"),
            &format!("C{c}"),
            "2016-10-01",
            "2018-09-30",
        ));
    }
    let persons: Vec<Uuid> = (0..plan.women.len()).map(|i| person(i as u128)).collect();
    for (p, woman) in persons.iter().zip(&plan.women) {
        b.fact(registered(*p, if *woman { "female" } else { "male" }));
    }
    for (i, op) in plan.ops.iter().enumerate() {
        match op {
            Op::Session {
                run,
                day: offset,
                quarters: q,
            } => {
                let id = format!("S{i}");
                let run = format!("R{}", run % plan.runs.len());
                if let Some(n) =
                    b.fact(session(&id, &run, &day(*offset).to_string(), &quarters(*q)))
                {
                    b.sessions.push(id);
                    b.targets.push(n);
                }
            }
            Op::Attend {
                person: p,
                session: s,
                pct,
            } => {
                if b.sessions.is_empty() {
                    continue;
                }
                let sid = b.sessions[s % b.sessions.len()].clone();
                let hours = b.attended(&sid, *pct);
                if let Some(n) = b.fact(attendance(persons[p % persons.len()], &sid, &hours)) {
                    b.targets.push(n);
                }
            }
            Op::Seminar { town, day: offset } => {
                let id = format!("M{i}");
                if let Some(n) = b.fact(seminar(&id, TOWNS[*town], &day(*offset).to_string())) {
                    b.seminars.push(id);
                    b.targets.push(n);
                }
            }
            Op::Correct { target, change: c } => {
                if b.targets.is_empty() {
                    continue;
                }
                let n = b.targets[target % b.targets.len()];
                let was_voided = b.current[n].is_none();
                let base = b.current[n]
                    .clone()
                    .unwrap_or_else(|| b.original[n].clone());
                let renamed = |prefix: &str, id: &str| {
                    if c.rename {
                        format!("{prefix}{}r", c.session)
                    } else {
                        id.to_string()
                    }
                };
                let replacement = match &base {
                    Event::SessionHeld(s) => session(
                        &renamed("S", s.session_id.as_str()),
                        s.run_id.as_str(),
                        &day(c.day).to_string(),
                        &quarters(c.quarters),
                    ),
                    Event::AttendanceRecorded(a) => {
                        let sid = b.sessions[c.session % b.sessions.len()].clone();
                        let hours = b.attended(&sid, c.pct);
                        // Mostly the same person; sometimes the sheet named the wrong one.
                        let who = if c.rename {
                            persons[c.person % persons.len()]
                        } else {
                            a.participant_id
                        };
                        attendance(who, &sid, &hours)
                    }
                    Event::SeminarHeld(m) => seminar(
                        &renamed("M", m.seminar_id.as_str()),
                        TOWNS[c.town],
                        &day(c.day).to_string(),
                    ),
                    Event::InternshipCompleted(i) => {
                        let who = if c.rename {
                            persons[c.person % persons.len()]
                        } else {
                            i.participant_id
                        };
                        internship(
                            who,
                            "2016-10-01",
                            &day(c.day).to_string(),
                            &quarters(c.quarters),
                        )
                    }
                    Event::ParticipantExited(x) => {
                        exited(x.participant_id, &day(c.day).to_string())
                    }
                    Event::StaffContracted(x) => staff(
                        x.staff_id.as_str(),
                        "project_manager",
                        &tenths(c.quarters % 10 + 1),
                        "2016-10-01",
                        &day(c.day + 30).to_string(),
                    ),
                    Event::StaffContractAmended(x) => amended(
                        x.staff_id.as_str(),
                        &day(c.day).to_string(),
                        &tenths(c.quarters % 10 + 1),
                    ),
                    Event::TimesheetFiled(x) => timesheet(
                        x.staff_id.as_str(),
                        &x.month.to_string(),
                        &quarters(c.quarters),
                    ),
                    other => panic!("{} is not a target", other.kind()),
                };
                let admitted = b.amend(
                    corrected(b.ids[n], &replacement),
                    n,
                    Some(replacement.clone()),
                );
                match &replacement {
                    Event::SessionHeld(s)
                        if admitted && !b.sessions.contains(&s.session_id.to_string()) =>
                    {
                        b.sessions.push(s.session_id.to_string())
                    }
                    Event::SeminarHeld(m)
                        if admitted && !b.seminars.contains(&m.seminar_id.to_string()) =>
                    {
                        b.seminars.push(m.seminar_id.to_string())
                    }
                    _ => {}
                }
                assert!(
                    !(was_voided && admitted),
                    "a correction of voided fact {n} was admitted"
                );
            }
            Op::Void { target } => {
                if b.targets.is_empty() {
                    continue;
                }
                let n = b.targets[target % b.targets.len()];
                let was_voided = b.current[n].is_none();
                let admitted = b.amend(voided(b.ids[n]), n, None);
                assert_eq!(
                    admitted, !was_voided,
                    "void of fact {n} (already voided: {was_voided})"
                );
            }
            Op::Internship {
                person: p,
                day: offset,
                quarters: q,
            } => {
                let who = persons[p % persons.len()];
                let end = day(*offset).to_string();
                if let Some(n) = b.fact(internship(who, "2016-10-01", &end, &quarters(*q))) {
                    b.targets.push(n);
                }
            }
            Op::Exit {
                person: p,
                day: offset,
            } => {
                let who = persons[p % persons.len()];
                if let Some(n) = b.fact(exited(who, &day(*offset).to_string())) {
                    b.targets.push(n);
                }
            }
            Op::Rethreshold { quarters: q } => {
                let replacement = project_with_threshold(&quarters(*q));
                let _ = b.amend(
                    corrected(b.ids[0], &replacement),
                    0,
                    Some(replacement.clone()),
                );
            }
            Op::Staff {
                who,
                what,
                day: offset,
                tenths: t,
            } => {
                let id = format!("P{who}");
                let on = day(*offset);
                let event = match what {
                    0 => staff(
                        &id,
                        "project_manager",
                        &tenths(*t),
                        "2016-10-01",
                        "2018-09-30",
                    ),
                    1 => amended(&id, &on.to_string(), &tenths(*t)),
                    _ => timesheet(&id, &on.to_string()[..7], &quarters(*t * 8)),
                };
                if let Some(n) = b.fact(event) {
                    b.targets.push(n);
                }
            }
            Op::Replan {
                course: c,
                quarters: q,
            } => {
                let n = courses[c % courses.len()];
                let replacement = course(&format!("C{c}"), &quarters(*q));
                let _ = b.amend(
                    corrected(b.ids[n], &replacement),
                    n,
                    Some(replacement.clone()),
                );
            }
        }
    }
    assert_eq!(b.reference.len(), b.log.envelopes.len());
    Built {
        log: b.log,
        ledger: b.ledger,
        fact_of_seq: b.fact_of_seq,
        reference: b.reference,
        persons,
        sessions: b.sessions,
        seminars: b.seminars,
    }
}

/// The log with every fact's payload as in `facts` (voided ones left out),
/// and its seq → fact number.
fn written_in_place(facts: &[Option<Event>]) -> (Ledger, BTreeMap<u64, usize>) {
    let mut log = Log::new();
    let mut fact_of_seq = BTreeMap::new();
    for (n, e) in facts.iter().enumerate() {
        if let Some(e) = e {
            log.append(e.clone());
            fact_of_seq.insert(log.next_seq() - 1, n);
        }
    }
    (log.ledger(), fact_of_seq)
}

/// Events whose admission depends on the natural-id indexes: an attendance of
/// each person at each session id, a session and a seminar with each id used.
fn probes(b: &Built) -> Vec<Event> {
    let mut out = Vec::new();
    for sid in &b.sessions {
        for p in &b.persons {
            out.push(attendance(*p, sid, "0.01"));
        }
        out.push(session(sid, "R0", "2016-11-01", "1"));
    }
    for mid in &b.seminars {
        out.push(seminar(mid, "Ostrava", "2016-11-01"));
    }
    out
}

type View = (Vec<IndicatorValue>, Vec<Option<ParticipantFigures>>);

/// Every indicator and participant figure as of `as_of`, evidence given as
/// fact numbers (a participant's evidence also lists the corrections that
/// replaced a fact, which a log written in place has not: those are left
/// out here, and checked by `tests::corrections`).
fn view(
    ledger: &Ledger,
    fact_of_seq: &BTreeMap<u64, usize>,
    persons: &[Uuid],
    as_of: Date,
) -> View {
    let fact = |s: &u64| fact_of_seq.get(s).map_or(u64::MAX, |n| *n as u64);
    let mut indicators = ledger.indicators(as_of);
    for v in &mut indicators {
        v.evidence = v.evidence.iter().map(fact).collect();
    }
    let participants = persons
        .iter()
        .map(|p| {
            ledger.participant(p, as_of).map(|mut f| {
                f.evidence = f
                    .evidence
                    .iter()
                    .filter(|s| ledger.amendment(**s).is_none())
                    .map(fact)
                    .collect();
                f
            })
        })
        .collect();
    (indicators, participants)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// (1) For every prefix and as_of, a log with `event_corrected(e → e')`
    /// answers like the log with e' written in place of e, and a void like
    /// the log without the event: the same figures, the same evidence (as
    /// fact numbers) and the same admission of events that reuse its ids.
    #[test]
    fn a_correction_equals_the_replacement_written_in_place_and_a_void_equals_omission(plan in plan()) {
        let b = build(&plan);
        let probes = probes(&b);
        for (k, facts) in b.reference.iter().enumerate() {
            let at_seq = k as u64 + 1;
            let with_corrections = b.log.ledger_at(at_seq);
            let (in_place, in_place_facts) = written_in_place(facts);
            for probe in &probes {
                prop_assert_eq!(
                    with_corrections.admit(probe),
                    in_place.admit(probe),
                    "admit {:?} at_seq {}", probe, at_seq
                );
            }
            let step = if at_seq as usize == b.log.envelopes.len() { 1 } else { 4 };
            for as_of in as_of_dates(step) {
                prop_assert_eq!(
                    view(&with_corrections, &b.fact_of_seq, &b.persons, as_of),
                    view(&in_place, &in_place_facts, &b.persons, as_of),
                    "at_seq {} as_of {}", at_seq, as_of
                );
            }
        }
    }

    /// (2) A ledger fed one envelope at a time, queried in between, equals
    /// the replay of the same prefix at every step and at the end; so does
    /// one fed the envelopes by value (`apply_owned`, the events moved in).
    #[test]
    fn a_ledger_fed_one_envelope_at_a_time_equals_replay(plan in plan()) {
        let b = build(&plan);
        let mut ledger = Ledger::default();
        let mut owned = Ledger::default();
        for (i, env) in b.log.envelopes.iter().enumerate() {
            ledger.apply(env);
            owned.apply_owned(env.clone());
            prop_assert_eq!(&owned, &ledger, "apply_owned after seq {}", env.seq);
            let as_of = day(i as i64 * 3 % DAYS);
            let _ = ledger.indicators(as_of);
            for p in &b.persons {
                let _ = ledger.participant(p, as_of);
            }
            let _ = ledger.admit(&seminar("M-probe", "Ostrava", "2016-11-01"));
            prop_assert_eq!(&ledger, &replay(&b.log.envelopes[..=i]), "after seq {}", env.seq);
        }
        prop_assert_eq!(&ledger, &replay(&b.log.envelopes));
        prop_assert_eq!(&b.ledger, &replay(&b.log.envelopes), "the builder's incremental ledger");
    }

    /// (3) For a fixed prefix, counting indicators and participants' hours
    /// never decrease as as_of increases, and a supported person stays supported.
    #[test]
    fn counting_indicators_never_decrease_as_as_of_increases(plan in plan()) {
        let b = build(&plan);
        for at_seq in 1..=b.log.envelopes.len() as u64 {
            let ledger = b.log.ledger_at(at_seq);
            let mut before: Option<View> = None;
            for as_of in as_of_dates(1) {
                let now = view(&ledger, &b.fact_of_seq, &b.persons, as_of);
                if let Some((ind, parts)) = &before {
                    for (old, new) in ind.iter().zip(&now.0) {
                        if let (Figure::Count(o), Figure::Count(n)) = (old.value, new.value) {
                            prop_assert!(n >= o, "{} fell from {} to {} on {} (at_seq {})", new.code, o, n, as_of, at_seq);
                        }
                    }
                    for (old, new) in parts.iter().zip(&now.1) {
                        if let (Some(o), Some(n)) = (old, new) {
                            prop_assert!(n.hours >= o.hours, "hours fell on {}", as_of);
                            prop_assert!(n.supported || !o.supported, "support lost on {}", as_of);
                        }
                    }
                }
                before = Some(now);
            }
        }
    }

    /// (4) The derived dates (kept incrementally, queried after every
    /// envelope, and built at once on a fresh replay) answer exactly like the
    /// straightforward computation: indicators with and without evidence,
    /// findings at a date and all findings, expense statuses.
    #[test]
    fn cached_measures_equal_the_straightforward_computation(
        plan in plan(),
        picks in prop::collection::vec(-2..DAYS + 3, 1..6),
    ) {
        let b = build(&plan);
        let mut ledger = Ledger::default();
        for (i, env) in b.log.envelopes.iter().enumerate() {
            ledger.apply(env);
            let as_of = day(picks[i % picks.len()]);
            same_as_reference(&ledger, as_of)?;
            if i % 5 == 0 {
                same_as_reference(&ledger, d("2018-10-01"))?;
                // a clone answers alike and goes on on its own
                let copy = ledger.clone();
                same_as_reference(&copy, as_of)?;
            }
        }
        let fresh = replay(&b.log.envelopes);
        for as_of in as_of_dates(7).chain([d("2018-10-01")]) {
            same_as_reference(&fresh, as_of)?;
            same_as_reference(&ledger, as_of)?;
        }
        prop_assert_eq!(fresh.all_findings(), ledger.all_findings());
    }

    /// (5) A ledger keeping its history answers the indicators at every older
    /// prefix and date exactly like a fold of that prefix, and its own figures
    /// (and every other answer) are those of a plain fold.
    #[test]
    fn the_history_answers_every_prefix_like_a_fold(plan in plan()) {
        let b = build(&plan);
        let mut head = Ledger::with_history();
        for env in &b.log.envelopes {
            head.apply(env);
        }
        prop_assert!(head.tracks_history());
        prop_assert_eq!(&head, &b.ledger);
        let mut prefix = Ledger::default();
        prop_assert_eq!(head.indicator_values_at(d("2017-01-01"), 0), Some(Vec::new()));
        for env in &b.log.envelopes {
            prefix.apply(env);
            for as_of in as_of_dates(6).chain([d("2016-09-30"), d("2018-10-01")]) {
                prop_assert_eq!(
                    head.indicator_values_at(as_of, env.seq),
                    Some(prefix.indicator_values(as_of)),
                    "as_of {} at_seq {}", as_of, env.seq
                );
            }
        }
        for as_of in as_of_dates(7) {
            same_as_reference(&head, as_of)?;
        }
        prop_assert_eq!(head.indicator_values_at(d("2017-01-01"), head.at_seq() + 1), None);
        prop_assert_eq!(b.ledger.indicator_values_at(d("2017-01-01"), 1), None, "no history, no answer");
    }

    /// (6) Participant and expense ids are numbered as first seen by any
    /// copy of a ledger (crate::intern): a ledger whose numbering a diverging
    /// copy gave first, in another order (here the log's envelopes folded in
    /// reverse into a scratch copy), equals the plain replay and gives the
    /// same answers, in the same order.
    #[test]
    fn the_numbering_of_ids_changes_no_answer(plan in plan()) {
        let b = build(&plan);
        let empty = Ledger::with_history();
        let mut scratch = empty.clone();
        for env in b.log.envelopes.iter().rev() {
            scratch.apply(env);
        }
        let mut ledger = empty;
        for env in &b.log.envelopes {
            ledger.apply(env);
        }
        let plain = replay(&b.log.envelopes);
        prop_assert_eq!(&ledger, &plain);
        prop_assert_eq!(ledger.participant_ids(), plain.participant_ids());
        for as_of in as_of_dates(5) {
            prop_assert_eq!(ledger.indicators(as_of), plain.indicators(as_of));
            prop_assert_eq!(ledger.findings(as_of), plain.findings(as_of));
            prop_assert_eq!(ledger.budget(as_of), plain.budget(as_of));
            for p in &b.persons {
                prop_assert_eq!(ledger.participant(p, as_of), plain.participant(p, as_of));
            }
            same_as_reference(&ledger, as_of)?;
        }
    }
}

/// The cached answers of `l` at `as_of` equal the reference computation.
fn same_as_reference(l: &Ledger, as_of: Date) -> Result<(), TestCaseError> {
    let want = l.ref_indicators(as_of);
    prop_assert_eq!(
        &l.indicators(as_of),
        &want,
        "indicators as of {} at_seq {}",
        as_of,
        l.at_seq()
    );
    let values: Vec<IndicatorValue> = want
        .into_iter()
        .map(|mut v| {
            v.evidence.clear();
            v
        })
        .collect();
    prop_assert_eq!(
        &l.indicator_values(as_of),
        &values,
        "values as of {}",
        as_of
    );
    let all = l.ref_all_findings();
    prop_assert_eq!(
        &l.all_findings(),
        &all,
        "all findings at_seq {}",
        l.at_seq()
    );
    let upto: Vec<_> = all.into_iter().filter(|f| f.date <= as_of).collect();
    prop_assert_eq!(&l.findings(as_of), &upto, "findings as of {}", as_of);
    prop_assert_eq!(&l.expense_statuses(), &l.compute_expense_statuses());
    Ok(())
}

/// A store's id index under test: the envelopes "stored" so far.
#[derive(Default)]
struct FakeStore {
    ids: std::sync::Mutex<std::collections::HashMap<Uuid, u64>>,
    through: std::sync::atomic::AtomicU64,
}

impl FakeStore {
    /// Stores every envelope up to and including `env` (in seq order).
    fn store(&self, env: &grantledger_domain::Envelope) {
        self.ids.lock().unwrap().insert(env.event_id, env.seq);
        self.through
            .store(env.seq, std::sync::atomic::Ordering::SeqCst);
    }
}

impl crate::StoredIds for FakeStore {
    fn seq_of(&self, id: &Uuid) -> Option<u64> {
        let through = self.stored_through();
        self.ids
            .lock()
            .unwrap()
            .get(id)
            .copied()
            .filter(|s| *s <= through)
    }
    fn stored_through(&self) -> u64 {
        self.through.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `env` with another event id (a batch that was refused, or lost).
fn renamed(env: &grantledger_domain::Envelope) -> grantledger_domain::Envelope {
    let mut e = env.clone();
    e.event_id = Uuid::from_u128(0xdead_0000_0000_0000_0000_0000_0000_0000 + u128::from(e.seq));
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// (9) A ledger over a store's id index (`Ledger::over_stored_ids`)
    /// equals the replay of the same log, and finds every event id at its
    /// seq, whatever was stored when it folded: the first `stored` records
    /// stored before the fold, the others stored one fold behind; a copy that
    /// folded other ids at the same seqs and was dropped (a refused batch)
    /// leaves no trace; an older prefix copied from it finds only its own.
    #[test]
    fn a_ledger_over_the_stores_ids_equals_replay(plan in plan(), stored in 0usize..64) {
        let b = build(&plan);
        let envs = &b.log.envelopes;
        let stored = stored.min(envs.len());
        let store = std::sync::Arc::new(FakeStore::default());
        for env in &envs[..stored] {
            store.store(env);
        }
        let mut ledger = Ledger::default().over_stored_ids(store.clone());
        for env in &envs[..stored] {
            ledger.apply(env);
        }
        let older = ledger.clone();
        // a refused batch: the rest of the log under other ids
        let mut refused = ledger.clone();
        for env in &envs[stored..] {
            refused.apply(&renamed(env));
        }
        drop(refused);
        for (i, env) in envs.iter().enumerate().skip(stored) {
            ledger.apply(env);
            if i > stored {
                store.store(&envs[i - 1]);
            }
        }
        prop_assert_eq!(&ledger, &replay(envs));
        for env in envs {
            prop_assert_eq!(ledger.seq_of(&env.event_id), Some(env.seq), "seq {}", env.seq);
            prop_assert_eq!(ledger.seq_of(&renamed(env).event_id), None);
            let at_older = (env.seq <= older.at_seq()).then_some(env.seq);
            prop_assert_eq!(older.seq_of(&env.event_id), at_older, "older, seq {}", env.seq);
        }
    }
}

/// Over a store, the ledger's own map drops the ids the store holds as it
/// grows, and still finds every one.
#[test]
fn over_a_store_the_own_map_keeps_only_what_the_store_lacks() {
    let mut log = Log::given([project_defined()]);
    for n in 0..5000u128 {
        log.append(registered(person(n), "female"));
    }
    let store = std::sync::Arc::new(FakeStore::default());
    let mut ledger = Ledger::default().over_stored_ids(store.clone());
    for (i, env) in log.envelopes.iter().enumerate() {
        ledger.apply(env);
        // durable three records behind the fold
        if i >= 3 {
            store.store(&log.envelopes[i - 3]);
        }
    }
    let own = ledger.ids.own_len();
    assert!(own <= 2048, "the own map holds {own} ids of 5 001");
    assert!(own >= 3, "the last three are not stored: {own}");
    for env in &log.envelopes {
        assert_eq!(ledger.seq_of(&env.event_id), Some(env.seq));
    }
    assert_eq!(ledger, log.ledger());
}
