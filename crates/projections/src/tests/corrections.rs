//! Bitemporal corrections (DESIGN.md "Time: two axes"): `event_corrected` and
//! `event_voided` change the past in valid time, but only for prefixes that
//! contain them.

use grantledger_domain::Hours;

use super::support::*;
use crate::Projection;

/// Given: the project, one organisation, course K1 (8 h planned) with run K1-1.
fn training() -> Log {
    Log::given([
        project_defined(),
        organization(ORG),
        course("K1", "8"),
        run("K1-1", "K1", "2016-10-01", "2018-09-30"),
    ])
}

#[test]
fn the_prefix_before_a_correction_gives_the_old_value_and_the_prefix_with_it_the_new_one() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    let s1 = log.push(session("S1", "K1-1", "2016-11-10", "8"));
    let before = log.next_seq() - 1;
    log.push(corrected(m1, &seminar("M1", "Ostrava", "2016-11-10")));
    let between = log.next_seq() - 1;
    log.push(corrected(s1, &session("S1", "K1-1", "2016-11-03", "8")));

    let old = log.ledger_at(before);
    assert_eq!(count(&old, MUNICIPALITIES, "2016-11-10"), 0);
    assert_eq!(count(&old, COURSE_RUNS, "2016-11-05"), 0);

    let mid = log.ledger_at(between);
    assert_eq!(count(&mid, MUNICIPALITIES, "2016-11-10"), 1);
    assert_eq!(count(&mid, COURSE_RUNS, "2016-11-05"), 0);

    let now = log.ledger();
    assert_eq!(count(&now, MUNICIPALITIES, "2016-11-10"), 1);
    assert_eq!(count(&now, COURSE_RUNS, "2016-11-03"), 1);
    assert_eq!(count(&now, COURSE_RUNS, "2016-11-02"), 0);
    assert_eq!(count(&now, COURSE_TYPES, "2016-11-03"), 1);
}

#[test]
fn a_corrected_fact_keeps_its_own_seq_as_evidence_and_lists_its_corrections() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    let m1_seq = log.next_seq() - 1;
    log.push(corrected(m1, &seminar("M1", "Ostrava", "2016-11-10")));
    let fix_seq = log.next_seq() - 1;

    let ledger = log.ledger();
    assert_eq!(
        indicator(&ledger, MUNICIPALITIES, d("2016-11-10")).evidence,
        vec![m1_seq]
    );
    let live = ledger.live(m1_seq).expect("M1 is live");
    assert_eq!(
        (
            live.event_id,
            ledger.corrected_by(m1_seq).collect::<Vec<_>>()
        ),
        (m1, vec![fix_seq])
    );
    assert!(ledger.live(fix_seq).is_none(), "a correction is not a fact");
}

#[test]
fn a_void_removes_the_events_effect() {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "female"));
    log.push(seminar("M1", "Ostrava", "2016-11-10"));
    let m2 = log.push(seminar("M2", "Opava", "2016-11-17"));
    let s1 = log.push(session("S1", "K1-1", "2016-11-10", "8"));
    log.push(session("S2", "K1-1", "2016-11-11", "6"));
    log.push(attendance(p, "S1", "8"));
    let a2 = log.push(attendance(p, "S2", "6"));
    let before = log.next_seq() - 1;
    log.push(voided(m2));
    log.push(voided(a2));
    log.push(voided(s1));

    let old = log.ledger_at(before);
    assert_eq!(count(&old, MUNICIPALITIES, "2016-11-30"), 2);
    assert_eq!(count(&old, SEMINARS_WORKSHOPS, "2016-11-30"), 2);
    assert_eq!(count(&old, COURSE_RUNS, "2016-11-30"), 1);
    assert_eq!(
        old.participant(&p, d("2016-11-30"))
            .expect("registered")
            .hours,
        Hours::from_whole(14)
    );

    let now = log.ledger();
    assert_eq!(count(&now, MUNICIPALITIES, "2016-11-30"), 1);
    assert_eq!(count(&now, SEMINARS_WORKSHOPS, "2016-11-30"), 1);
    // S1 is gone: K1-1 has 6 h of its 8 and S1's attendance has no date any more.
    assert_eq!(count(&now, COURSE_RUNS, "2016-11-30"), 0);
    let f = now.participant(&p, d("2016-11-30")).expect("registered");
    assert_eq!((f.hours, f.evidence.len()), (Hours::ZERO, 0));
}

#[test]
fn a_later_correction_of_the_same_target_wins() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    log.push(corrected(m1, &seminar("M1", "Ostrava", "2016-11-10")));
    let first = log.next_seq() - 1;
    log.push(corrected(m1, &seminar("M1", "Opava", "2016-12-01")));

    let mid = log.ledger_at(first);
    assert_eq!(count(&mid, MUNICIPALITIES, "2016-11-10"), 1);

    let now = log.ledger();
    assert_eq!(count(&now, MUNICIPALITIES, "2016-11-10"), 0);
    assert_eq!(count(&now, SEMINARS_WORKSHOPS, "2016-11-30"), 0);
    assert_eq!(count(&now, MUNICIPALITIES, "2016-12-01"), 1);
    assert_eq!(count(&now, SEMINARS_WORKSHOPS, "2016-12-01"), 1);
}

#[test]
fn a_correction_of_a_voided_event_is_refused() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    log.push(voided(m1));

    assert_refused(
        log.when(&corrected(m1, &seminar("M1", "Ostrava", "2016-11-10"))),
        "data.target_event_id",
        "G5",
    );
    assert_refused(log.when(&voided(m1)), "data.target_event_id", "G5");
}

#[test]
fn a_correction_or_void_of_a_correction_is_refused() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    let fix = log.push(corrected(m1, &seminar("M1", "Ostrava", "2016-11-10")));

    assert_refused(
        log.when(&corrected(fix, &seminar("M1", "Opava", "2016-11-10"))),
        "data.target_event_id",
        "G5",
    );
    assert_refused(log.when(&voided(fix)), "data.target_event_id", "G5");
}

#[test]
fn a_voided_natural_id_may_be_recorded_again() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    assert_refused(
        log.when(&seminar("M1", "Ostrava", "2016-11-12")),
        "data.seminar_id",
        "G4",
    );
    log.push(voided(m1));
    log.push(seminar("M1", "Ostrava", "2016-11-12"));

    assert_eq!(count(&log.ledger(), MUNICIPALITIES, "2016-11-12"), 1);
}

/// Copies of one ledger share its event-id map (crate::ledger::EventIds):
/// what one copy folds must never be seen by another, even at the same seq.
#[test]
fn copies_that_diverge_at_one_seq_each_find_only_their_own_event_ids() {
    let mut log = training();
    let m1 = log.push(seminar("M1", "Praha", "2016-11-10"));
    let base = log.ledger();
    let n = log.next_seq();

    let mut a_log = log.clone();
    let x = a_log.push(seminar("MX", "Opava", "2016-11-11"));
    let mut b_log = log.clone();
    b_log.push(seminar("MY", "Krnov", "2016-11-12"));
    let y = uuid::Uuid::from_u128(0xb000 + u128::from(n));
    b_log.envelopes[n as usize - 1].event_id = y;
    // b then voids M1 and corrects X, which it never had
    let mut void = b_log.envelopes[0].clone();
    (void.seq, void.event_id, void.event) = (n + 1, uuid::Uuid::from_u128(0xb1), voided(m1));
    let mut fix = void.clone();
    (fix.seq, fix.event_id) = (n + 2, uuid::Uuid::from_u128(0xb2));
    fix.event = corrected(x, &seminar("MX", "Ostrava", "2016-11-11"));

    let mut a = base.clone();
    a.apply(&a_log.envelopes[n as usize - 1]);
    let mut b = base.clone();
    for e in [&b_log.envelopes[n as usize - 1], &void, &fix] {
        b.apply(e);
    }

    assert_eq!((a.seq_of(&x), a.seq_of(&y)), (Some(n), None));
    assert_eq!((b.seq_of(&x), b.seq_of(&y)), (None, Some(n)));
    assert_eq!((base.seq_of(&x), base.seq_of(&y)), (None, None));
    // a voided fact and the amendments keep their ids in the prefix
    assert_eq!(b.seq_of(&m1), Some(n - 1));
    assert_eq!(b.voided_by(n - 1), Some(n + 1));
    assert_eq!(a.seq_of(&m1), Some(n - 1));
    assert_eq!(a.voided_by(n - 1), None);
    assert_eq!(b.seq_of(&uuid::Uuid::from_u128(0xb2)), Some(n + 2));
    // the correction of an id b never had changed nothing
    assert_eq!(b.amendment(n + 2).map(|(_, target, _)| target), Some(None));
    // (listed towns: a has Opava; b has Krnov only, and would count Ostrava
    // had it taken X's id for the seminar at its own seq n)
    assert_eq!(count(&a, MUNICIPALITIES, "2016-11-30"), 1);
    assert_eq!(count(&b, MUNICIPALITIES, "2016-11-30"), 0);
}

/// Bulk facts (attendance) are kept encoded, reference data (a session)
/// decoded; an encoded fact reads back as its event, a correction's
/// replacement under the original event id, and is gone once voided.
#[test]
fn an_encoded_fact_reads_back_corrected_and_voided() {
    use crate::ledger::FactRef;
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "female"));
    log.push(session("S1", "K1-1", "2016-11-10", "8"));
    let s1_seq = log.next_seq() - 1;
    let a1 = log.push(attendance(p, "S1", "3"));
    let a1_seq = log.next_seq() - 1;
    let before = log.next_seq() - 1;
    log.push(corrected(a1, &attendance(p, "S1", "5")));
    let fixed = log.next_seq() - 1;
    log.push(voided(a1));

    let old = log.ledger_at(before);
    assert!(matches!(old.live.fact(a1_seq), Some(FactRef::Encoded(_))));
    assert!(matches!(old.live.fact(s1_seq), Some(FactRef::Decoded(_))));
    let live = old.live(a1_seq).expect("A1 is live");
    assert_eq!(live.event_id, a1);
    assert_eq!(live.event, attendance(p, "S1", "3"));
    assert_eq!(
        old.participant(&p, d("2016-11-30")).unwrap().hours,
        Hours::from_whole(3)
    );

    let mid = log.ledger_at(fixed);
    assert!(matches!(mid.live.fact(a1_seq), Some(FactRef::Encoded(_))));
    let live = mid.live(a1_seq).expect("A1 is live");
    assert_eq!(live.event_id, a1, "the original event's id");
    assert_eq!(live.event, attendance(p, "S1", "5"));
    assert_eq!(mid.seq_of(&a1), Some(a1_seq));
    let figures = mid.participant(&p, d("2016-11-30")).unwrap();
    assert_eq!(figures.hours, Hours::from_whole(5));
    assert_eq!(
        figures.evidence,
        [a1_seq, fixed, s1_seq],
        "the attendance, the correction that replaced it, its session"
    );

    let now = log.ledger();
    assert!(now.live(a1_seq).is_none());
    assert_eq!(now.voided_by(a1_seq), Some(log.next_seq() - 1));
    assert_eq!(
        now.participant(&p, d("2016-11-30")).unwrap().hours,
        Hours::ZERO
    );
}

/// A fact whose replacement takes the other form (encoded where it was
/// decoded, or back) is found once, in its new form, and in seq order
/// among the others.
#[test]
fn a_fact_replaced_in_the_other_form_is_kept_once() {
    use crate::ledger::{Fact, FactArc, FactRef, Facts, Live};
    use std::borrow::Cow;
    let p = person(1);
    let (a, b) = (attendance(p, "S1", "3"), attendance(p, "S1", "5"));
    let id = uuid::Uuid::from_u128(9);
    let decoded = |e: &grantledger_domain::Event| {
        Fact::Decoded(FactArc::new(Live {
            event_id: id,
            event: e.clone(),
        }))
    };
    let mut facts = Facts::default();
    facts.insert(4, Fact::new(id, Cow::Borrowed(&a)));
    facts.insert(5, decoded(&a));
    facts.insert(6, Fact::new(id, Cow::Borrowed(&a)));
    facts.replace(5, Fact::new(id, Cow::Borrowed(&b)));
    assert!(matches!(facts.fact(5), Some(FactRef::Encoded(_))));
    facts.replace(4, decoded(&b));
    assert!(matches!(facts.fact(4), Some(FactRef::Decoded(_))));
    let events: Vec<_> = facts.values().map(|l| l.into_owned().event).collect();
    assert_eq!(events, [b.clone(), b, a]);
    assert_eq!(facts.remove(&4).map(|l| l.event_id), Some(id));
    assert!(facts.fact(4).is_none());
    assert_eq!(facts.values().count(), 2);
}
