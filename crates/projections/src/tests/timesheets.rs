//! R3.1, R3.2, R3.7: a staff member's month (working days, fund, contracted
//! and charged hours, FTE), the R3.2 findings and the manager's `staff_fte`
//! indicator. Every figure is computed by hand from DOMAIN.md's calendar:
//! 2017-04 has 18 working days (Good Friday 14th, Easter Monday 17th), so its
//! fund at 1.0 FTE is 144 h; 2017-03 has 23 (184 h).

use serde_json::json;

use super::support::*;
use crate::{Figure, Severity, TimesheetFigures};

/// Given: the project and the manager ST-01 at 0.6 FTE over the whole project.
fn manager() -> Log {
    Log::given([
        project_defined(),
        staff(
            "ST-01",
            "project_manager",
            "0.6",
            "2016-10-01",
            "2018-09-30",
        ),
    ])
}

/// The figures of `id` for `month` as of `as_of`.
#[track_caller]
fn figures(log: &Log, id: &str, month: &str, as_of: &str) -> TimesheetFigures {
    let month = month
        .parse()
        .unwrap_or_else(|e| panic!("bad month {month}: {e}"));
    log.ledger()
        .timesheet_figures(id, month, d(as_of))
        .unwrap_or_else(|| panic!("no staff member {id}"))
}

#[test]
fn manager_at_0_6_fte_in_april_2017_has_86_4_contracted_hours_of_a_144_hour_fund() {
    let log = manager();

    let f = figures(&log, "ST-01", "2017-04", "2017-04-30");
    assert_eq!(f.working_days, 18);
    assert_eq!(f.fund_hours, hours("144"));
    // 0.6 × 18 days × 8 h = 86.4 h; 86.4 ÷ 144 = 0.6
    assert_eq!(f.contracted_hours, dec("86.4"));
    assert_eq!(f.contracted_fte, dec("0.6"));
    assert!(!f.filed);
    assert_eq!((f.project_hours, f.actual_fte), (hours("0"), dec("0")));
}

#[test]
fn charging_exactly_the_86_4_contracted_hours_gives_actual_fte_0_6_and_no_r3_2_finding() {
    let mut log = manager();
    log.push(timesheet("ST-01", "2017-04", "86.4"));

    let f = figures(&log, "ST-01", "2017-04", "2017-04-30");
    assert!(f.filed);
    assert_eq!(f.project_hours, hours("86.4"));
    assert_eq!(f.actual_fte, dec("0.6"));
    assert_eq!(findings_of(&log.ledger(), "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn charging_86_5_hours_against_86_4_contracted_is_an_r3_2_error_on_the_months_last_day() {
    let mut log = manager();
    let contract = log.next_seq() - 1;
    log.push(timesheet("ST-01", "2017-04", "86.5"));
    let sheet = log.next_seq() - 1;

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.2", "2017-04-29"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.2", "2017-04-30"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );
    assert_eq!(
        the_finding(&ledger, "R3.2", "staff ST-01 2017-04").seqs,
        vec![contract, sheet]
    );
    // 86.5 ÷ 144 = 0.600694… → 0.6007 (4 places)
    assert_eq!(
        figures(&log, "ST-01", "2017-04", "2017-04-30").actual_fte,
        dec("0.6007")
    );
}

#[test]
fn an_fte_change_effective_inside_the_month_gives_contracted_hours_day_by_day() {
    let mut log = manager();
    // Tuesday 2017-04-18, the first working day after Easter Monday.
    log.push(amended("ST-01", "2017-04-18", "1"));

    // 3–7, 10–13 April: 9 days × 0.6 × 8 h = 43.2 h; 18–21, 24–28 April:
    // 9 days × 1.0 × 8 h = 72 h; 115.2 h ÷ 144 h = 0.8.
    let april = figures(&log, "ST-01", "2017-04", "2017-04-30");
    assert_eq!(april.contracted_hours, dec("115.2"));
    assert_eq!(april.contracted_fte, dec("0.8"));
    // March is all at 0.6: 23 × 4.8 = 110.4 h; May all at 1.0: 21 × 8 = 168 h.
    assert_eq!(
        figures(&log, "ST-01", "2017-03", "2017-03-31").contracted_hours,
        dec("110.4")
    );
    assert_eq!(
        figures(&log, "ST-01", "2017-05", "2017-05-31").contracted_hours,
        dec("168")
    );
    // The R3.2 limit follows: 115.2 h charged is fine (115.21 h is not, below).
    log.push(timesheet("ST-01", "2017-04", "115.2"));
    assert_eq!(findings_of(&log.ledger(), "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn charging_one_hundredth_of_an_hour_above_the_day_by_day_limit_is_an_r3_2_error() {
    let mut log = manager();
    log.push(amended("ST-01", "2017-04-18", "1"));
    log.push(timesheet("ST-01", "2017-04", "115.21"));

    assert_eq!(
        findings_of(&log.ledger(), "R3.2", "2018-12-31"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );
}

#[test]
fn a_contract_starting_or_ending_inside_the_month_counts_only_its_working_days_in_force() {
    let log = Log::given([
        project_defined(),
        // from Tuesday 2017-04-18: 18–21, 24–28 April = 9 working days
        staff("ST-02", "lecturer", "0.5", "2017-04-18", "2018-09-30"),
        // until Thursday 2017-04-13: 3–7, 10–13 April = 9 working days
        staff("ST-03", "lecturer", "0.5", "2016-10-01", "2017-04-13"),
    ]);

    for id in ["ST-02", "ST-03"] {
        let f = figures(&log, id, "2017-04", "2017-04-30");
        // 9 days × 0.5 × 8 h = 36 h; 36 ÷ 144 = 0.25
        assert_eq!(
            (f.contracted_hours, f.contracted_fte),
            (dec("36"), dec("0.25")),
            "{id}"
        );
    }
    // a month wholly outside the contract has no contracted hours
    let march = figures(&log, "ST-02", "2017-03", "2017-03-31");
    assert_eq!(
        (march.contracted_hours, march.contracted_fte),
        (dec("0"), dec("0"))
    );
}

#[test]
fn a_dpp_has_no_contracted_hours_and_no_r3_2_limit() {
    let mut log = Log::given([
        project_defined(),
        dpp("ST-05", "Dana Dohodová", "200", "2016-10-01", "2018-09-30"),
    ]);
    log.push(timesheet("ST-05", "2017-04", "20"));

    let f = figures(&log, "ST-05", "2017-04", "2017-04-30");
    assert_eq!((f.contracted_hours, f.contracted_fte), (dec("0"), dec("0")));
    // 20 ÷ 144 = 0.13888… → 0.1389
    assert_eq!(f.actual_fte, dec("0.1389"));
    assert_eq!(findings_of(&log.ledger(), "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn a_timesheet_is_not_filed_as_of_a_day_before_its_months_last_day() {
    let mut log = manager();
    log.push(timesheet("ST-01", "2017-04", "86.4"));
    let sheet = log.next_seq() - 1;

    let before = figures(&log, "ST-01", "2017-04", "2017-04-29");
    assert!(!before.filed);
    assert_eq!(
        (before.project_hours, before.actual_fte),
        (hours("0"), dec("0"))
    );
    assert!(!before.evidence.contains(&sheet));

    let on = figures(&log, "ST-01", "2017-04", "2017-04-30");
    assert!(on.filed);
    assert_eq!(on.project_hours, hours("86.4"));
    assert!(on.evidence.contains(&sheet));
}

#[test]
fn non_project_and_indirect_hours_are_in_the_sheet_but_not_charged() {
    let mut log = manager();
    log.push(sheet(
        "ST-01",
        "2017-04",
        vec![entry("80", None)],
        "20",
        "10",
    ));

    let f = figures(&log, "ST-01", "2017-04", "2017-04-30");
    assert_eq!(
        (f.project_hours, f.non_project_hours, f.indirect_hours),
        (hours("80"), hours("20"), hours("10"))
    );
    // 80 ÷ 144 = 0.5555… → 0.5556
    assert_eq!(f.actual_fte, dec("0.5556"));
    // 80 h ≤ 86.4 h although the sheet holds 110 h
    assert_eq!(findings_of(&log.ledger(), "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn a_dated_entry_on_good_friday_or_a_saturday_is_an_r3_2_warning_on_that_day() {
    let mut log = manager();
    log.push(sheet(
        "ST-01",
        "2017-04",
        vec![
            entry("8", Some("2017-04-13")), // Thursday: a working day
            entry("4", Some("2017-04-14")), // Good Friday
            entry("2", Some("2017-04-15")), // Saturday
            entry("1", Some("2017-04-15")),
        ],
        "0",
        "0",
    ));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.2", "2017-04-13"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.2", "2017-04-14"),
        vec![warning("staff ST-01 2017-04-14", "2017-04-14")]
    );
    assert_eq!(
        findings_of(&ledger, "R3.2", "2017-04-30"),
        vec![
            warning("staff ST-01 2017-04-14", "2017-04-14"),
            warning("staff ST-01 2017-04-15", "2017-04-15"),
        ]
    );
    let saturday = the_finding(&ledger, "R3.2", "staff ST-01 2017-04-15");
    assert_eq!(saturday.severity, Severity::Warning);
    assert!(saturday.message.contains("3 h"), "{}", saturday.message);
}

#[test]
fn staff_fte_actual_is_the_last_complete_months_project_hours_over_its_fund() {
    let mut log = manager();
    log.push(timesheet("ST-01", "2017-03", "92")); // 92 ÷ 184 = 0.5
    log.push(timesheet("ST-01", "2017-04", "86.4")); // 86.4 ÷ 144 = 0.6

    let ledger = log.ledger();
    let mid_april = indicator(&ledger, MANAGER_FTE, d("2017-04-29"));
    let actual = mid_april.actual.expect("an actual FTE");
    assert_eq!(actual.month, "2017-03".parse().expect("month"));
    assert_eq!(actual.fte.map(Figure::to_decimal), Some(dec("0.5")));
    assert_eq!(mid_april.value, Figure::Decimal(dec("0.6")));

    let end_of_april = indicator(&ledger, MANAGER_FTE, d("2017-04-30"));
    let actual = end_of_april.actual.expect("an actual FTE");
    assert_eq!(actual.month, "2017-04".parse().expect("month"));
    assert_eq!(actual.fte.map(Figure::to_decimal), Some(dec("0.6")));

    // a complete month without a timesheet: nothing filed, no actual FTE
    let may = indicator(&ledger, MANAGER_FTE, d("2017-05-31"))
        .actual
        .expect("a month");
    assert_eq!((may.filed, may.fte), (false, None));
}

#[test]
fn staff_fte_value_is_the_contracted_fte_in_force_on_the_day() {
    let mut log = manager();
    log.push(amended_with(
        "ST-01",
        "2017-04-18",
        json!({"fte": "1", "end": "2018-06-30"}),
    ));

    let ledger = log.ledger();
    assert_eq!(manager_fte(&ledger, "2017-04-17"), dec("0.6"));
    assert_eq!(manager_fte(&ledger, "2017-04-18"), dec("1"));
    assert_eq!(manager_fte(&ledger, "2018-06-30"), dec("1"));
    assert_eq!(manager_fte(&ledger, "2018-07-01"), dec("0"));
}
