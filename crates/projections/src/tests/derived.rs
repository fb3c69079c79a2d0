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
