//! The derived dates against the straightforward computation on the SINEC
//! fixture (staff, timesheets, expenses, payments, corrections and voids):
//! a ledger fed one envelope at a time and queried after each answers like
//! the reference on the same prefix.

use super::bench::parse;
use super::support::d;
use crate::{Ledger, Projection};

const SINEC: &str = include_str!("../../../../fixtures/sinec/events.jsonl");

#[test]
fn a_ledger_queried_after_every_envelope_answers_like_the_reference_on_the_sinec_log() {
    let envelopes = parse(SINEC);
    let dates = [
        d("2016-12-31"),
        d("2017-06-30"),
        d("2018-09-30"),
        d("2018-10-01"),
    ];
    let mut ledger = Ledger::default();
    for (i, env) in envelopes.iter().enumerate() {
        ledger.apply(env);
        let as_of = dates[i % dates.len()];
        assert_eq!(
            ledger.findings(as_of),
            {
                let mut all = ledger.ref_all_findings();
                all.retain(|f| f.date <= as_of);
                all
            },
            "findings after seq {} as of {as_of}",
            env.seq
        );
        assert_eq!(
            ledger.expense_statuses(),
            ledger.compute_expense_statuses(),
            "after seq {}",
            env.seq
        );
        if i % 10 == 0 || i + 1 == envelopes.len() {
            assert_eq!(
                ledger.indicators(as_of),
                ledger.ref_indicators(as_of),
                "after seq {}",
                env.seq
            );
            assert_eq!(
                ledger.all_findings(),
                ledger.ref_all_findings(),
                "after seq {}",
                env.seq
            );
        }
    }
    assert!(!ledger.all_findings().is_empty());
    assert!(!ledger.expense_statuses().is_empty());
    let early = |s: &crate::ExpenseStatus| s.taxable_supply_date <= d("2017-06-30");
    let all = ledger.expense_statuses();
    let wanted: Vec<_> = all.iter().filter(|s| early(s)).cloned().collect();
    assert!(!wanted.is_empty() && wanted.len() < all.len());
    assert_eq!(
        ledger.expense_statuses_dated(|t, _| t <= d("2017-06-30"), |s, _| Some(s)),
        wanted
    );
}

#[test]
fn snapshots_cloned_along_the_sinec_log_answer_like_a_fresh_replay_of_their_prefix() {
    let envelopes = parse(SINEC);
    let as_of = d("2018-09-30");
    let mut head = Ledger::default();
    let mut snapshots = Vec::new();
    for (i, env) in envelopes.iter().enumerate() {
        head.apply(env);
        if i % 7 == 0 {
            // a query first, so that the clone shares a built cache
            let _ = head.findings(as_of);
            snapshots.push((i + 1, head.clone()));
        }
    }
    for (n, snapshot) in &snapshots {
        let mut fresh = Ledger::default();
        for env in &envelopes[..*n] {
            fresh.apply(env);
        }
        assert_eq!(snapshot, &fresh, "state after {n} envelopes");
        assert_eq!(snapshot.all_findings(), fresh.all_findings(), "after {n}");
        assert_eq!(
            snapshot.indicators(as_of),
            fresh.indicators(as_of),
            "after {n}"
        );
        assert_eq!(snapshot.expense_statuses(), fresh.expense_statuses());
        // a scratch copy of the snapshot fed the rest of the log is the head
        let mut scratch = snapshot.clone();
        for env in &envelopes[*n..] {
            scratch.apply(env);
        }
        assert_eq!(scratch, head, "snapshot after {n} brought to the head");
        assert_eq!(scratch.all_findings(), head.all_findings(), "after {n}");
    }
}

/// A participant whose derived state changes (they cross the threshold)
/// while their findings stay the same (no exit yet, R1.2) keeps the listed
/// findings it had, which a snapshot taken before shares, instead of equal
/// new copies.
#[test]
fn unchanged_findings_of_a_changed_participant_are_kept_not_copied() {
    use super::support::*;
    let p = person(1);
    let mut log = Log::given([
        project_defined(),
        organization(ORG),
        course("C1", "48"),
        run("R1", "C1", "2016-10-01", "2016-12-31"),
        session("S1", "R1", "2016-10-10", "24"),
        session("S2", "R1", "2016-10-11", "24"),
        registered(p, "female"),
        attendance(p, "S1", "24"),
    ]);
    let first = |l: &Ledger| {
        let cache = l.cache();
        let (_, person) = cache
            .persons()
            .find(|(id, _)| *id == p)
            .expect("kept: a finding");
        assert_eq!(person.findings.len(), 1, "{:?}", person.findings);
        (person.supported, std::sync::Arc::clone(&person.findings[0]))
    };
    let before = log.ledger();
    let _ = before.all_findings();
    let (supported, finding) = first(&before);
    assert_eq!(supported, None, "24 h of the 40");
    assert_eq!(finding.rule, "R1.2");
    let mut after = before.clone();
    log.push(attendance(p, "S2", "24"));
    after.apply(log.envelopes.last().unwrap());
    let _ = after.all_findings();
    let (supported, same) = first(&after);
    assert_eq!(
        supported.map(|(on, _)| on),
        Some(d("2016-10-11")),
        "48 h: crossed"
    );
    assert!(
        std::sync::Arc::ptr_eq(&finding, &same),
        "a new copy of an equal finding"
    );
    assert_eq!(after.all_findings(), after.ref_all_findings());
}

/// The staff sub-ledger of the history (R3.7 at any prefix) holds the
/// head's own contract and timesheet facts, not copies; a correction at the
/// head leaves the sub-ledger's record as it was folded, and both answer as
/// a fold of their prefix does.
#[test]
fn the_staff_history_shares_the_heads_facts() {
    use super::support::*;
    let mut log = Log::given([
        project_defined(),
        staff("ST-1", "manager", "0.5", "2016-10-01", "2018-09-30"),
    ]);
    let sheet = log.push(timesheet("ST-1", "2016-10", "60"));
    let sheet_seq = log.next_seq() - 1;
    let mut head = Ledger::with_history();
    for env in &log.envelopes {
        head.apply(env);
    }
    let shared = |l: &mut Ledger, seq: u64| {
        let mine = l
            .live
            .fact(seq)
            .map(crate::ledger::FactRef::to_fact)
            .expect("a live fact");
        let history = l.derived.get_mut().history_mut().expect("kept");
        let theirs = history.staff_fact(seq).expect("in the sub-ledger");
        crate::ledger::Fact::ptr_eq(&mine, &theirs)
    };
    assert!(shared(&mut head, 2), "the contract is copied");
    assert!(shared(&mut head, sheet_seq), "the timesheet is copied");
    log.push(corrected(sheet, &timesheet("ST-1", "2016-10", "40")));
    head.apply(log.envelopes.last().unwrap());
    assert!(
        !shared(&mut head, sheet_seq),
        "the corrected fact is its own"
    );
    let at = |seq| log.ledger_at(seq).indicator_values(d("2018-09-30"));
    for seq in 1..=log.envelopes.len() as u64 {
        assert_eq!(
            head.indicator_values_at(d("2018-09-30"), seq),
            Some(at(seq)),
            "at_seq {seq}"
        );
    }
}
