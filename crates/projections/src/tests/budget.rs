//! R4: eligibility of expenses (R4.1, R4.3, R4.6), the budget per line and
//! its overrun (R4.2), indirect costs (R4.4) and rounding (R4.5), with the
//! expense findings. Amounts are computed by hand from docs/COMPLIANCE.md
//! "Eligible expenses and budget".

use serde_json::json;
use uuid::Uuid;

use super::support::*;
use crate::{Budget, BudgetLineFigures, ExpenseStatus, Ledger};

/// Given: the project (2016-10-01..2018-09-30, periods ending 2017-09-30 and
/// 2018-09-30, indirect costs 25 %) with lines 1.1 and 1.2 (personnel,
/// 100000.00 each), 2.1 and 2.2 (1000.00 each); managers ST-01 and ST-02 at
/// 0.6 FTE (2017-04: 86.4 contracted hours).
fn given() -> Log {
    Log::given([
        project_defined_with(json!({"budget_lines": [
            {"code": "1.1", "name": "Staff", "amount": "100000.00", "personnel": true},
            {"code": "1.2", "name": "Lecturers", "amount": "100000.00", "personnel": true},
            {"code": "2.1", "name": "Services", "amount": "1000.00"},
            {"code": "2.2", "name": "Travel", "amount": "1000.00"},
        ]})),
        staff(
            "ST-01",
            "project_manager",
            "0.6",
            "2016-10-01",
            "2018-09-30",
        ),
        staff(
            "ST-02",
            "project_manager",
            "0.6",
            "2016-10-01",
            "2018-09-30",
        ),
    ])
}

/// The budget as of `as_of`.
#[track_caller]
fn budget(ledger: &Ledger, as_of: &str) -> Budget {
    ledger.budget(d(as_of)).expect("the project is defined")
}

/// Line `code` of a budget.
#[track_caller]
fn line<'a>(b: &'a Budget, code: &str) -> &'a BudgetLineFigures {
    b.lines
        .iter()
        .find(|l| l.code == code)
        .unwrap_or_else(|| panic!("no line {code}"))
}

/// The eligible amount shown on line `code` as of `as_of`.
#[track_caller]
fn eligible(ledger: &Ledger, code: &str, as_of: &str) -> grantledger_domain::Czk {
    line(&budget(ledger, as_of), code).eligible
}

/// The status of expense number `n`.
#[track_caller]
fn status(ledger: &Ledger, n: u128) -> ExpenseStatus {
    ledger
        .expense_statuses()
        .into_iter()
        .find(|s| s.expense_id == expense_id(n))
        .unwrap_or_else(|| panic!("no expense {n}"))
}

/// The subject of findings about expense number `n`.
fn about(n: u128) -> String {
    format!("expense {}", expense_id(n))
}

/// A personnel expense `n`: the wage cost `amount` of `staff` for 2017-04 on
/// `line`, incurred 2017-05-10 and paid 2017-05-12.
fn wage(n: u128, line: &str, staff: &str, amount: &str) -> grantledger_domain::Event {
    expense(
        n,
        json!({"budget_line": line, "staff_id": staff, "month": "2017-04", "amount": amount,
               "taxable_supply_date": "2017-05-10", "paid_on": "2017-05-12"}),
    )
}

// ---------------------------------------------------------------- R4.1

#[test]
fn an_expense_is_eligible_from_the_later_of_its_taxable_supply_date_and_its_payment() {
    let mut log = given();
    // incurred 2017-03-10, paid 2017-03-20 by a separate event
    log.push(expense(1, json!({"paid_on": null})));
    log.push(paid(1, "2017-03-20"));
    // paid 2017-03-01 in advance, incurred 2017-03-10
    log.push(expense(
        2,
        json!({"budget_line": "2.2", "paid_on": "2017-03-01"}),
    ));

    let ledger = log.ledger();
    assert_eq!(eligible(&ledger, "2.1", "2017-03-19"), czk("0.00"));
    assert_eq!(eligible(&ledger, "2.1", "2017-03-20"), czk("1000.00"));
    assert_eq!(status(&ledger, 1).eligible_on, Some(d("2017-03-20")));
    assert_eq!(eligible(&ledger, "2.2", "2017-03-09"), czk("0.00"));
    assert_eq!(eligible(&ledger, "2.2", "2017-03-10"), czk("1000.00"));
    assert_eq!(status(&ledger, 2).eligible_on, Some(d("2017-03-10")));
    assert_eq!(ledger.findings(d("2018-12-31")), vec![]);
}

#[test]
fn an_expense_incurred_the_day_before_the_project_start_is_an_r4_1_error_on_that_day() {
    let mut log = given();
    log.push(expense(
        1,
        json!({"taxable_supply_date": "2016-09-30", "paid_on": "2016-10-05"}),
    ));
    log.push(expense(
        2,
        json!({"budget_line": "2.2", "taxable_supply_date": "2016-10-01", "paid_on": "2016-10-05"}),
    ));

    let ledger = log.ledger();
    let outside = status(&ledger, 1);
    assert_eq!(outside.eligible_on, None);
    assert_eq!(outside.eligible_amount, dec("0"));
    assert!(outside.reasons.iter().any(|r| r.starts_with("R4.1")));
    assert_eq!(status(&ledger, 2).eligible_on, Some(d("2016-10-05")));
    assert_eq!(eligible(&ledger, "2.1", "2018-12-31"), czk("0.00"));

    assert_eq!(findings_of(&ledger, "R4.1", "2016-09-29"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R4.1", "2018-12-31"),
        vec![error(&about(1), "2016-09-30")]
    );
}

#[test]
fn an_expense_not_paid_by_the_project_end_is_an_r4_1_error_the_day_after_the_end() {
    let mut log = given();
    let in_final_period = "2018-09-10";
    log.push(expense(
        1,
        json!({"taxable_supply_date": in_final_period, "paid_on": null}),
    ));
    log.push(expense(
        2,
        json!({"taxable_supply_date": in_final_period, "paid_on": "2018-10-01"}),
    ));
    log.push(expense(
        3,
        json!({"taxable_supply_date": in_final_period, "paid_on": "2018-09-30"}),
    ));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R4.1", "2018-09-30"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R4.1", "2018-10-01"),
        vec![
            error(&about(1), "2018-10-01"),
            error(&about(2), "2018-10-01")
        ]
    );
    assert_eq!(status(&ledger, 2).eligible_on, None);
    assert_eq!(status(&ledger, 3).eligible_on, Some(d("2018-09-30")));
    assert_eq!(eligible(&ledger, "2.1", "2019-12-31"), czk("1000.00"));
}

#[test]
fn paid_after_its_monitoring_period_is_an_r4_1_warning_the_day_after_the_period_not_when_paid_in_time(
) {
    let mut log = given();
    // period 1 ends 2017-09-30
    log.push(expense(
        1,
        json!({"taxable_supply_date": "2017-09-15", "paid_on": "2017-10-01"}),
    ));
    log.push(expense(
        2,
        json!({"budget_line": "2.2", "taxable_supply_date": "2017-09-15", "paid_on": "2017-09-30"}),
    ));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R4.1", "2017-09-30"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R4.1", "2018-12-31"),
        vec![warning(&about(1), "2017-10-01")]
    );
    // still eligible, in a later claim
    assert_eq!(status(&ledger, 1).eligible_on, Some(d("2017-10-01")));
    assert_eq!(eligible(&ledger, "2.1", "2017-10-01"), czk("1000.00"));
}

// ---------------------------------------------------------------- R4.3

/// Expenses 1 and 2 claim the same document of [`SUPPLIER`] (400.00 each,
/// the second with other case and spaces); 3 has the same number from another
/// supplier (100.00).
fn duplicates(log: &mut Log) -> (Uuid, Uuid) {
    let first = log.push(expense(
        1,
        json!({"document_no": "FV-2017/001", "amount": "400.00"}),
    ));
    let second = log.push(expense(
        2,
        json!({"document_no": " fv-2017/001 ", "amount": "400.00",
               "taxable_supply_date": "2017-03-15"}),
    ));
    log.push(expense(
        3,
        json!({"document_no": "FV-2017/001", "amount": "100.00",
               "supplier": {"name": "Statutární město Ostrava", "ico": "00845451"}}),
    ));
    (first, second)
}

#[test]
fn the_same_document_claimed_again_is_not_eligible_and_an_r4_3_error_on_its_taxable_supply_date() {
    let mut log = given();
    duplicates(&mut log);

    let ledger = log.ledger();
    assert!(status(&ledger, 1).reasons.is_empty());
    assert_eq!(status(&ledger, 2).eligible_on, None);
    assert!(status(&ledger, 2)
        .reasons
        .iter()
        .any(|r| r.starts_with("R4.3")));
    assert!(status(&ledger, 3).reasons.is_empty());
    // 400.00 + 100.00
    assert_eq!(eligible(&ledger, "2.1", "2017-12-31"), czk("500.00"));
    assert_eq!(
        findings_of(&ledger, "R4.3", "2018-12-31"),
        vec![error(&about(2), "2017-03-15")]
    );
    assert_eq!(findings_of(&ledger, "R4.3", "2017-03-14"), vec![]);
}

/// The derived state groups expenses by a 64-bit hash of their document
/// (R4.3); two documents whose hashes collide are still told apart.
#[test]
fn documents_whose_hashes_collide_are_not_claimed_twice() {
    crate::derived::COLLIDE.with(|c| c.set(true));
    let mut log = given();
    duplicates(&mut log);
    let ledger = log.ledger();
    let statuses = ledger.expense_statuses();
    crate::derived::COLLIDE.with(|c| c.set(false));
    let reasons = |n: u128| {
        statuses
            .iter()
            .find(|s| s.expense_id == expense_id(n))
            .map(|s| s.reasons.clone())
    };
    assert_eq!(reasons(1), Some(vec![]));
    assert!(reasons(2).unwrap().iter().any(|r| r.starts_with("R4.3")));
    // expense 3's document shares the group of 1 and 2 and is another one
    assert_eq!(reasons(3), Some(vec![]));
    assert_eq!(statuses, log.ledger().expense_statuses());
}

#[test]
fn voiding_the_duplicate_removes_its_r4_3_error_only_from_prefixes_with_the_void() {
    let mut log = given();
    let (_, second) = duplicates(&mut log);
    let before = log.next_seq() - 1;
    log.push(voided(second));

    let old = log.ledger_at(before);
    assert_eq!(
        findings_of(&old, "R4.3", "2018-12-31"),
        vec![error(&about(2), "2017-03-15")]
    );
    let now = log.ledger();
    assert_eq!(findings_of(&now, "R4.3", "2018-12-31"), vec![]);
    assert_eq!(status(&now, 1).eligible_on, Some(d("2017-03-20")));
    assert_eq!(eligible(&now, "2.1", "2017-12-31"), czk("500.00"));
}

#[test]
fn voiding_the_first_claim_makes_the_later_one_the_only_claim() {
    let mut log = given();
    let (first, _) = duplicates(&mut log);
    log.push(voided(first));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R4.3", "2018-12-31"), vec![]);
    assert_eq!(status(&ledger, 2).eligible_on, Some(d("2017-03-20")));
    assert_eq!(eligible(&ledger, "2.1", "2017-12-31"), czk("500.00"));
}

#[test]
fn an_expense_financed_from_another_source_is_not_eligible_and_an_r4_3_error() {
    let mut log = given();
    log.push(expense(
        1,
        json!({"other_funding": "Moravian-Silesian Region"}),
    ));

    let ledger = log.ledger();
    assert_eq!(status(&ledger, 1).eligible_on, None);
    assert_eq!(eligible(&ledger, "2.1", "2018-12-31"), czk("0.00"));
    assert_eq!(
        findings_of(&ledger, "R4.3", "2018-12-31"),
        vec![error(&about(1), "2017-03-10")]
    );
}

// ---------------------------------------------------------------- R4.6

#[test]
fn a_wage_cost_without_the_months_timesheet_is_not_eligible_and_an_r4_6_error_until_it_is_filed() {
    let mut log = given();
    log.push(wage(1, "1.1", "ST-01", "30000.00"));
    let before = log.next_seq() - 1;

    let old = log.ledger_at(before);
    assert_eq!(status(&old, 1).eligible_on, None);
    assert_eq!(eligible(&old, "1.1", "2018-12-31"), czk("0.00"));
    assert_eq!(
        findings_of(&old, "R4.6", "2018-12-31"),
        vec![error(&about(1), "2017-05-10")]
    );

    // 43.2 of the 86.4 contracted hours: half the wage cost, 15000.00
    log.push(timesheet("ST-01", "2017-04", "43.2"));
    let now = log.ledger();
    assert_eq!(findings_of(&now, "R4.6", "2018-12-31"), vec![]);
    assert_eq!(status(&now, 1).eligible_amount, dec("15000"));
    assert_eq!(eligible(&now, "1.1", "2017-05-11"), czk("0.00"));
    assert_eq!(eligible(&now, "1.1", "2017-05-12"), czk("15000.00"));
}

/// Every event behind a line's eligible figure: each eligible expense, its
/// payment, and for a wage cost the timesheet (with its correction), the
/// contract and the amendment in force by the month's end (not a later
/// one); not an expense of the line that is not eligible yet, nor one of
/// another line.
#[test]
fn a_budget_lines_evidence_holds_the_payments_timesheets_and_contracts_behind_it() {
    let mut log = given(); // 1 project, 2 ST-01, 3 ST-02
    log.push(amended("ST-01", "2017-04-01", "0.5")); // 4
    log.push(amended("ST-01", "2017-06-01", "0.8")); // 5: after 2017-04
    let sheet = log.push(timesheet("ST-01", "2017-04", "43.2")); // 6
    log.push(expense(
        1,
        json!({"budget_line": "1.1", "staff_id": "ST-01", "month": "2017-04",
               "amount": "30000.00", "taxable_supply_date": "2017-05-10", "paid_on": null}),
    )); // 7
    log.push(paid(1, "2017-05-12")); // 8
    log.push(wage(2, "1.1", "ST-02", "30000.00")); // 9: no timesheet, not eligible
    log.push(expense(3, json!({}))); // 10: line 2.1
    log.push(corrected(sheet, &timesheet("ST-01", "2017-04", "40"))); // 11

    let ledger = log.ledger();
    assert_eq!(
        ledger.budget_line_evidence("1.1", d("2018-12-31")),
        vec![2, 4, 6, 7, 8, 11]
    );
    assert_eq!(
        ledger.budget_line_evidence("1.1", d("2017-05-11")),
        Vec::<u64>::new()
    );
    assert_eq!(
        ledger.budget_line_evidence("2.1", d("2018-12-31")),
        vec![10]
    );
    assert_eq!(
        ledger.budget_line_evidence("9.9", d("2018-12-31")),
        Vec::<u64>::new()
    );
    // the status of the wage cost lists the same
    assert_eq!(status(&ledger, 1).evidence, vec![2, 4, 6, 7, 8, 11]);
}

#[test]
fn an_expense_on_a_personnel_line_without_staff_and_month_is_an_r4_6_error() {
    let mut log = given();
    log.push(expense(1, json!({"budget_line": "1.1"})));

    let ledger = log.ledger();
    assert_eq!(status(&ledger, 1).eligible_on, None);
    assert_eq!(
        findings_of(&ledger, "R4.6", "2018-12-31"),
        vec![error(&about(1), "2017-03-10")]
    );
}

#[test]
fn a_wage_cost_is_eligible_in_full_at_the_contracted_hours_and_never_above_the_amount() {
    let mut log = given();
    log.push(timesheet("ST-01", "2017-04", "86.4"));
    log.push(timesheet("ST-02", "2017-04", "86.5"));
    log.push(wage(1, "1.1", "ST-01", "30000.00"));
    log.push(wage(2, "1.2", "ST-02", "30000.00"));

    let ledger = log.ledger();
    assert_eq!(status(&ledger, 1).eligible_amount, dec("30000"));
    // 30000 × 86.5 ÷ 86.4 = 30034.72… is capped at the amount
    assert_eq!(status(&ledger, 2).eligible_amount, dec("30000"));
    assert_eq!(eligible(&ledger, "1.2", "2018-12-31"), czk("30000.00"));
}

#[test]
fn a_dpp_wage_cost_is_eligible_pro_rata_of_the_sheets_project_hours() {
    let mut log = given();
    log.push(dpp(
        "ST-05",
        "Dana Dohodová",
        "200",
        "2016-10-01",
        "2018-09-30",
    ));
    // 30 project of 30 + 6 + 4 = 40 hours: 8000.00 × 30 ÷ 40 = 6000.00
    log.push(sheet("ST-05", "2017-04", vec![entry("30", None)], "6", "4"));
    log.push(wage(1, "1.1", "ST-05", "8000.00"));

    let ledger = log.ledger();
    assert_eq!(status(&ledger, 1).eligible_amount, dec("6000"));
    assert_eq!(eligible(&ledger, "1.1", "2018-12-31"), czk("6000.00"));
}

// ---------------------------------------------------------------- R4.4, R4.5

#[test]
fn indirect_costs_of_half_a_haler_round_away_from_zero() {
    let mut log = given();
    log.push(expense(1, json!({"amount": "100.10"})));

    // 100.10 × 25 % = 25.025 → 25.03 (half away from zero; half-even would give 25.02)
    let b = budget(&log.ledger(), "2018-12-31");
    assert_eq!(b.direct_eligible, czk("100.10"));
    assert_eq!(b.indirect, czk("25.03"));
    assert_eq!(b.total_eligible, czk("125.13"));
    assert_eq!(b.indirect_cost_rate_pct, dec("25"));
    assert_eq!(b.total_budget, czk("202000.00"));
}

#[test]
fn indirect_costs_are_rounded_once_on_the_direct_total_not_per_line() {
    let mut log = given();
    log.push(expense(1, json!({"amount": "100.10"})));
    log.push(expense(
        2,
        json!({"budget_line": "2.2", "amount": "100.10"}),
    ));

    // per line 25.03 + 25.03 = 50.06; once on 200.20: 50.05
    let b = budget(&log.ledger(), "2018-12-31");
    assert_eq!(
        (line(&b, "2.1").eligible, line(&b, "2.2").eligible),
        (czk("100.10"), czk("100.10"))
    );
    assert_eq!(b.direct_eligible, czk("200.20"));
    assert_eq!(b.indirect, czk("50.05"));
    assert_eq!(b.total_eligible, czk("250.25"));
}

#[test]
fn pro_rata_wage_costs_are_summed_exactly_and_each_total_is_rounded_once() {
    let mut log = given();
    log.push(timesheet("ST-01", "2017-04", "43.2"));
    log.push(timesheet("ST-02", "2017-04", "43.2"));
    // 30000.01 × 43.2 ÷ 86.4 = 15000.005 each
    log.push(wage(1, "1.1", "ST-01", "30000.01"));
    log.push(wage(2, "1.2", "ST-02", "30000.01"));

    let ledger = log.ledger();
    assert_eq!(status(&ledger, 1).eligible_amount, dec("15000.005"));
    let b = budget(&ledger, "2018-12-31");
    // each line 15000.005 → 15000.01; the direct total 30000.01 exactly, not 30000.02
    assert_eq!(line(&b, "1.1").eligible, czk("15000.01"));
    assert_eq!(line(&b, "1.2").eligible, czk("15000.01"));
    assert_eq!(b.direct_eligible, czk("30000.01"));
    // 30000.01 × 25 % = 7500.0025 → 7500.00; total = direct + indirect
    assert_eq!(b.indirect, czk("7500.00"));
    assert_eq!(b.total_eligible, czk("37500.01"));
}

#[test]
fn a_lines_total_is_rounded_from_its_exact_sum_not_from_rounded_expenses() {
    let mut log = given();
    log.push(timesheet("ST-01", "2017-04", "43.2"));
    log.push(timesheet("ST-02", "2017-04", "43.2"));
    log.push(wage(1, "1.1", "ST-01", "30000.01"));
    log.push(wage(2, "1.1", "ST-02", "30000.01"));

    // 15000.005 + 15000.005 = 30000.01 (rounded per expense: 30000.02)
    let b = budget(&log.ledger(), "2018-12-31");
    assert_eq!(line(&b, "1.1").eligible, czk("30000.01"));
    assert_eq!(line(&b, "1.1").remaining, czk("69999.99"));
}

// ---------------------------------------------------------------- R4.2

#[test]
fn a_line_may_be_spent_exactly_and_one_haler_more_is_an_r4_2_error_on_the_day_it_becomes_eligible()
{
    let mut log = given();
    log.push(expense(
        1,
        json!({"amount": "600.00", "taxable_supply_date": "2017-01-10", "paid_on": "2017-01-10"}),
    ));
    log.push(expense(
        2,
        json!({"amount": "400.00", "taxable_supply_date": "2017-02-10", "paid_on": "2017-02-10"}),
    ));
    // incurred 2017-03-01, eligible when paid on 2017-03-10
    log.push(expense(
        3,
        json!({"amount": "0.01", "taxable_supply_date": "2017-03-01", "paid_on": "2017-03-10"}),
    ));

    let ledger = log.ledger();
    let full = budget(&ledger, "2017-03-09");
    assert_eq!(
        (line(&full, "2.1").eligible, line(&full, "2.1").remaining),
        (czk("1000.00"), czk("0.00"))
    );
    assert_eq!(findings_of(&ledger, "R4.2", "2017-03-09"), vec![]);

    // one haléř over: claimed 1000.01, the line reimburses its 1000.00 (R4.2)
    let over = budget(&ledger, "2017-03-10");
    let l = line(&over, "2.1");
    assert_eq!(
        (l.claimed, l.eligible, l.over_budget, l.remaining),
        (czk("1000.01"), czk("1000.00"), czk("0.01"), czk("0.00"))
    );
    assert_eq!(over.direct_eligible, czk("1000.00"));
    assert_eq!(
        findings_of(&ledger, "R4.2", "2017-03-10"),
        vec![error("budget_line 2.1", "2017-03-10")]
    );
}
