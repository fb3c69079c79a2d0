//! The staff and participant findings of docs/COMPLIANCE.md: R3.3 (one
//! person ≤ 1.0 FTE), R3.4 (DPP 300 h a year, 12 h a day), R3.5 (DPČ 20 h a
//! week over 52-week windows), R3.6 (minimum wage), R1.2 (exit by the final
//! report) and corrections of a breach. Each limit is met exactly (no
//! finding) and then passed by the smallest step (a finding on the date the
//! table gives), computed by hand.

use serde_json::json;

use super::support::*;
use crate::Severity;

// ---------------------------------------------------------------- R3.3

/// Given: one person, "Jana Nováková", with an employment contract at 0.5 FTE
/// (ST-10) and a DPP (ST-11, named with other case and spaces).
fn jana() -> Log {
    Log::given([
        project_defined(),
        staff_with(
            "ST-10",
            json!({"name": "Jana Nováková", "fte": "0.5", "monthly_salary": "20000"}),
        ),
        dpp(
            "ST-11",
            " jana NOVÁKOVÁ ",
            "200",
            "2016-10-01",
            "2018-09-30",
        ),
    ])
}

#[test]
fn one_persons_project_and_indirect_hours_over_all_contracts_equal_to_the_fund_are_no_r3_3_finding()
{
    let mut log = jana();
    // 2017-04: fund 144 h. Employment 70 + 2 indirect (70 ≤ 0.5 × 144 = 72, no R3.2);
    // DPP 60 + 12 indirect. 70 + 2 + 60 + 12 = 144. Non-project hours do not count.
    log.push(sheet(
        "ST-10",
        "2017-04",
        vec![entry("70", None)],
        "30",
        "2",
    ));
    log.push(sheet(
        "ST-11",
        "2017-04",
        vec![entry("60", None)],
        "10",
        "12",
    ));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.3", "2018-12-31"), vec![]);
    assert_eq!(findings_of(&ledger, "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn one_persons_hours_half_an_hour_above_the_fund_are_an_r3_3_error_on_the_months_last_day() {
    let mut log = jana();
    log.push(sheet(
        "ST-10",
        "2017-04",
        vec![entry("70", None)],
        "30",
        "2",
    ));
    let employment = log.next_seq() - 1;
    log.push(sheet(
        "ST-11",
        "2017-04",
        vec![entry("60.5", None)],
        "10",
        "12",
    ));
    let agreement = log.next_seq() - 1;

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.3", "2017-04-29"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.3", "2017-04-30"),
        vec![error("person Jana Nováková 2017-04", "2017-04-30")]
    );
    assert_eq!(
        the_finding(&ledger, "R3.3", "person Jana Nováková 2017-04").seqs,
        vec![employment, agreement]
    );
}

// ---------------------------------------------------------------- R3.4

/// Given: one person, "Petr Svoboda", with two DPPs: ST-20 until 2017-06-30
/// and ST-21 from 2017-07-01.
fn petr() -> Log {
    Log::given([
        project_defined(),
        dpp("ST-20", "Petr Svoboda", "150", "2016-10-01", "2017-06-30"),
        dpp("ST-21", "Petr Svoboda", "150", "2017-07-01", "2018-09-30"),
    ])
}

/// 2016-12: 50 h (another year); 2017: 80 + 10 non-project + 10 indirect in
/// January, 100 in February (ST-20) and `july` in July (ST-21).
fn petr_in_2017(july: &str) -> Log {
    let mut log = petr();
    log.push(timesheet("ST-20", "2016-12", "50"));
    log.push(sheet(
        "ST-20",
        "2017-01",
        vec![entry("80", None)],
        "10",
        "10",
    ));
    log.push(timesheet("ST-20", "2017-02", "100"));
    log.push(timesheet("ST-21", "2017-07", july));
    log
}

#[test]
fn dpp_hours_of_exactly_300_in_a_year_over_two_dpps_are_no_r3_4_finding() {
    // 2017: 100 + 100 + 100 = 300 h; the 50 h of 2016 do not count.
    let log = petr_in_2017("100");
    assert_eq!(findings_of(&log.ledger(), "R3.4", "2018-12-31"), vec![]);
}

#[test]
fn dpp_hours_of_300_5_in_a_year_are_an_r3_4_error_on_the_last_day_of_the_month_that_crossed() {
    let mut log = petr_in_2017("100.5");
    log.push(timesheet("ST-21", "2017-08", "10")); // later months do not move the date

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.4", "2017-07-30"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.4", "2018-12-31"),
        vec![error("person Petr Svoboda 2017", "2017-07-31")]
    );
}

#[test]
fn dpp_hours_of_12_on_one_day_are_no_finding_and_12_5_are_an_r3_4_error_on_that_day() {
    let mut log = petr();
    log.push(sheet(
        "ST-20",
        "2017-03",
        vec![
            entry("6", Some("2017-03-01")),
            entry("6", Some("2017-03-01")),
            entry("6", Some("2017-03-02")),
            entry("6.5", Some("2017-03-02")),
        ],
        "0",
        "0",
    ));

    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.4", "2017-03-01"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.4", "2017-03-02"),
        vec![error("person Petr Svoboda 2017-03-02", "2017-03-02")]
    );
}

// ---------------------------------------------------------------- R3.5

/// Given: a DPČ of ST-30 at 0.5 FTE from 2016-10-01 to 2018-03-30. Its
/// windows: 2016-10-01 + 363 days = 2017-09-29 (364 days, 20 × 364 ÷ 7 =
/// 1040 h), then 2017-09-30..2018-03-30 (1 + 31 + 30 + 31 + 31 + 28 + 30 =
/// 182 days, 20 × 182 ÷ 7 = 520 h).
fn dpc() -> Log {
    Log::given([
        project_defined(),
        staff_with(
            "ST-30",
            json!({"contract": "dpc", "fte": "0.5", "monthly_salary": "12000",
                   "start": "2016-10-01", "end": "2018-03-30"}),
        ),
    ])
}

/// ST-30's sheets: 40 h project work plus `other` non-project hours a month.
fn dpc_sheets(log: &mut Log, months: &[(&str, &str)]) {
    for (month, other) in months {
        log.push(sheet("ST-30", month, vec![entry("40", None)], other, "0"));
    }
}

/// The first window: 11 months of 40 + 46 = 86 h (946 h) and September 2017
/// with 40 + `september` h. September's first day (2017-09-01) lies in the
/// first window although the month ends in the second.
fn first_window(september: &str) -> Log {
    let mut log = dpc();
    let months = [
        "2016-10", "2016-11", "2016-12", "2017-01", "2017-02", "2017-03", "2017-04", "2017-05",
        "2017-06", "2017-07", "2017-08",
    ];
    let list: Vec<(&str, &str)> = months.iter().map(|m| (*m, "46")).collect();
    dpc_sheets(&mut log, &list);
    dpc_sheets(&mut log, &[("2017-09", september)]);
    log
}

#[test]
fn a_dpc_with_1040_hours_in_its_364_day_window_has_no_r3_5_finding() {
    // 946 + 40 + 54 = 1040 = 20 × 364 ÷ 7
    let log = first_window("54");
    assert_eq!(findings_of(&log.ledger(), "R3.5", "2018-12-31"), vec![]);
}

#[test]
fn a_dpc_with_1040_5_hours_in_its_364_day_window_is_an_r3_5_error_on_the_crossing_sheets_date() {
    let log = first_window("54.5");
    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R3.5", "2017-09-29"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R3.5", "2017-09-30"),
        vec![error(
            "staff ST-30 window 2016-10-01..2017-09-29",
            "2017-09-30"
        )]
    );
}

/// The last, shorter window: five months of 40 + 47 = 87 h (435 h) and
/// March 2018 with 40 + `march` h.
fn last_window(march: &str) -> Log {
    let mut log = dpc();
    dpc_sheets(
        &mut log,
        &[
            ("2017-10", "47"),
            ("2017-11", "47"),
            ("2017-12", "47"),
            ("2018-01", "47"),
            ("2018-02", "47"),
            ("2018-03", march),
        ],
    );
    log
}

#[test]
fn the_last_window_ending_at_the_contract_end_scales_the_limit_to_its_days() {
    // 435 + 40 + 45 = 520 = 20 × 182 ÷ 7: allowed
    let log = last_window("45");
    assert_eq!(findings_of(&log.ledger(), "R3.5", "2018-12-31"), vec![]);

    // 520.5 h: above
    let log = last_window("45.5");
    assert_eq!(
        findings_of(&log.ledger(), "R3.5", "2018-12-31"),
        vec![error(
            "staff ST-30 window 2017-09-30..2018-03-30",
            "2018-03-31"
        )]
    );
}

#[test]
fn a_months_hours_count_in_the_window_of_the_months_first_day_in_force() {
    // A DPČ starting mid-month, 2016-10-15: its first window is
    // 2016-10-15..2017-10-13 (364 days). October 2017 begins (2017-10-01) inside
    // it, so all of October's hours count there: 1040 h by September, 0.5 h in
    // October is one step over.
    let mut log = Log::given([
        project_defined(),
        staff_with(
            "ST-31",
            json!({"contract": "dpc", "fte": "0.5", "monthly_salary": "12000",
                   "start": "2016-10-15", "end": "2018-09-30"}),
        ),
    ]);
    // 2016-10 … 2017-09: 12 months, 11 × 86 + 94 = 1040 h
    let months = [
        "2016-10", "2016-11", "2016-12", "2017-01", "2017-02", "2017-03", "2017-04", "2017-05",
        "2017-06", "2017-07", "2017-08",
    ];
    for m in months {
        log.push(sheet("ST-31", m, vec![entry("40", None)], "46", "0"));
    }
    log.push(sheet(
        "ST-31",
        "2017-09",
        vec![entry("40", None)],
        "54",
        "0",
    ));
    assert_eq!(findings_of(&log.ledger(), "R3.5", "2018-12-31"), vec![]);

    log.push(sheet("ST-31", "2017-10", vec![], "0.5", "0"));
    assert_eq!(
        findings_of(&log.ledger(), "R3.5", "2018-12-31"),
        vec![error(
            "staff ST-31 window 2016-10-15..2017-10-13",
            "2017-10-31"
        )]
    );
}

// ---------------------------------------------------------------- R3.6

/// Given: DPP ST-40 paid `rate` CZK/h from 2016-10-01, with sheets of 10 h
/// for 2016-12 and 2017-04.
fn hourly(rate: &str) -> Log {
    let mut log = Log::given([
        project_defined(),
        dpp("ST-40", "Eva Hodinová", rate, "2016-10-01", "2018-09-30"),
    ]);
    log.push(timesheet("ST-40", "2016-12", "10"));
    log.push(timesheet("ST-40", "2017-04", "10"));
    log
}

#[test]
fn an_hourly_rate_of_66_00_in_2017_meets_the_minimum_wage_and_65_99_does_not() {
    let log = hourly("66.00");
    assert_eq!(findings_of(&log.ledger(), "R3.6", "2018-12-31"), vec![]);

    let log = hourly("65.99");
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-40 2017-04", "2017-04-30")]
    );
}

#[test]
fn an_hourly_rate_of_58_70_meets_2016s_minimum_but_not_2017s() {
    let log = hourly("58.70");
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-40 2017-04", "2017-04-30")]
    );
    let log = hourly("58.69");
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![
            error("staff ST-40 2016-12", "2016-12-31"),
            error("staff ST-40 2017-04", "2017-04-30"),
        ]
    );
}

#[test]
fn the_hourly_rate_in_force_on_the_months_last_day_is_the_one_checked() {
    let mut log = hourly("65.00");
    // raised on Sunday 2017-04-30, the last day of April
    log.push(amended_with(
        "ST-40",
        "2017-04-30",
        json!({"hourly_rate": "66.00"}),
    ));
    assert_eq!(findings_of(&log.ledger(), "R3.6", "2017-12-31"), vec![]);

    let mut log = hourly("65.00");
    log.push(amended_with(
        "ST-40",
        "2017-05-01",
        json!({"hourly_rate": "66.00"}),
    ));
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2017-12-31"),
        vec![error("staff ST-40 2017-04", "2017-04-30")]
    );
}

#[test]
fn a_sheet_for_a_month_without_a_day_in_force_has_no_pay_to_check() {
    // the DPP ends 2017-03-31; a sheet is filed for March and, wrongly, for April
    let mut log = Log::given([
        project_defined(),
        dpp("ST-40", "Eva Hodinová", "65.00", "2016-10-01", "2017-03-31"),
    ]);
    log.push(timesheet("ST-40", "2017-03", "10"));
    log.push(timesheet("ST-40", "2017-04", "10"));

    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-40 2017-03", "2017-03-31")]
    );
}

/// Given: manager ST-01 at 0.6 FTE with `pay` and an April 2017 sheet of 80 h.
fn salaried(pay: serde_json::Value) -> Log {
    let mut patch = json!({"role": "project_manager", "fte": "0.6"});
    for (k, v) in pay.as_object().into_iter().flatten() {
        patch[k] = v.clone();
    }
    let mut log = Log::given([project_defined(), staff_with("ST-01", patch)]);
    log.push(timesheet("ST-01", "2017-04", "80"));
    log
}

#[test]
fn a_monthly_salary_below_the_minimum_wage_times_contracted_hours_is_an_r3_6_error() {
    // 66.00 CZK/h × 86.4 contracted hours (0.6 × 144) = 5702.40 CZK
    let log = salaried(json!({"monthly_salary": "5702.40"}));
    assert_eq!(findings_of(&log.ledger(), "R3.6", "2018-12-31"), vec![]);

    let log = salaried(json!({"monthly_salary": "5702.39"}));
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );
}

#[test]
fn with_both_an_hourly_rate_and_a_salary_either_one_below_the_minimum_is_an_r3_6_error() {
    // "hourly rate … < minimum; or monthly salary < minimum × contracted hours"
    let log = salaried(json!({"hourly_rate": "66.00", "monthly_salary": "5702.40"}));
    assert_eq!(findings_of(&log.ledger(), "R3.6", "2018-12-31"), vec![]);

    let log = salaried(json!({"hourly_rate": "66.00", "monthly_salary": "5702.39"}));
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );

    let log = salaried(json!({"hourly_rate": "65.99", "monthly_salary": "5702.40"}));
    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2018-12-31"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );
}

#[test]
fn a_month_of_a_year_without_a_known_minimum_wage_is_an_r3_6_warning() {
    let mut log = Log::given([
        project_defined_with(json!({
            "period": {"start": "2026-10-01", "end": "2027-09-30"},
            "monitoring_periods": [{"no": 1, "start": "2026-10-01", "end": "2027-09-30", "final": true}],
        })),
        dpp(
            "ST-40",
            "Eva Hodinová",
            "134.40",
            "2026-10-01",
            "2027-09-30",
        ),
    ]);
    log.push(timesheet("ST-40", "2026-12", "10")); // 2026: 134.40, met exactly
    log.push(timesheet("ST-40", "2027-01", "10")); // 2027: not in the table

    assert_eq!(
        findings_of(&log.ledger(), "R3.6", "2027-09-30"),
        vec![warning("staff ST-40 2027-01", "2027-01-31")]
    );
}

// ---------------------------------------------------------------- R1.2

#[test]
fn a_participant_without_an_exit_is_an_r1_2_error_from_the_day_after_the_final_period() {
    let mut log = Log::given([project_defined(), organization(ORG)]);
    log.push(registered(person(1), "female"));
    log.push(registered(person(2), "male"));
    log.push(exited(person(2), "2018-06-30"));

    let ledger = log.ledger();
    // the final period is 2017-10-01..2018-09-30
    assert_eq!(findings_of(&ledger, "R1.2", "2018-09-30"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R1.2", "2018-10-01"),
        vec![error(&format!("participant {}", person(1)), "2018-10-01")]
    );
}

#[test]
fn a_participant_who_exited_has_no_r1_2_finding() {
    let mut log = Log::given([project_defined(), organization(ORG)]);
    log.push(registered(person(1), "female"));
    log.push(exited(person(1), "2018-09-30"));

    assert_eq!(findings_of(&log.ledger(), "R1.2", "2030-01-01"), vec![]);
}

/// Support dated before the participant's entry (their characteristics are
/// recorded at entry, R1.2) is an error dated at the first such support,
/// naming the attendance, its session and the registration; the hours still
/// count (R1.3). Correcting the entry date removes it.
#[test]
fn support_dated_before_the_entry_is_an_r1_2_error_from_its_date() {
    let entered_on = |on: &str| {
        ev(
            "participant_registered",
            serde_json::json!({"participant_id": person(1), "given_name": "Test", "family_name": "Person",
                "birth_date": "1980-02-29", "gender": "female", "education_isced": 3,
                "labour_status": "employed", "organization_id": ORG, "entry_date": on}),
        )
    };
    let mut log = Log::given([
        project_defined(),
        organization(ORG),
        course("K1", "8"),
        run("K1-1", "K1", "2016-10-01", "2018-09-30"),
        session("S1", "K1-1", "2016-11-10", "6"),
        session("S2", "K1-1", "2017-02-01", "6"),
    ]);
    let reg = log.push(entered_on("2017-01-15"));
    let reg_seq = log.next_seq() - 1;
    log.push(attendance(person(1), "S2", "6"));
    log.push(attendance(person(1), "S1", "5"));
    let subject = format!("participant {} before entry", person(1));
    let ledger = log.ledger();
    assert_eq!(findings_of(&ledger, "R1.2", "2016-11-09"), vec![]);
    assert_eq!(
        findings_of(&ledger, "R1.2", "2017-09-30"),
        vec![error(&subject, "2016-11-10")]
    );
    let f = the_finding(&ledger, "R1.2", &subject);
    // session S1 (seq 5), the registration, the attendance at S1 (the last)
    assert_eq!(f.seqs, vec![5, reg_seq, log.next_seq() - 1]);
    assert_eq!(
        ledger
            .participant(&person(1), d("2017-09-30"))
            .map(|p| p.hours),
        Some(hours("11"))
    );
    log.push(corrected(reg, &entered_on("2016-11-01")));
    assert_eq!(findings_of(&log.ledger(), "R1.2", "2017-09-30"), vec![]);
    // an internship begun before the entry, ended after it: dated at its
    // last day (its valid date)
    log.push(internship(person(1), "2016-10-20", "2016-11-05", "40"));
    assert_eq!(
        findings_of(&log.ledger(), "R1.2", "2017-09-30"),
        vec![error(&subject, "2016-11-05")]
    );
}

// ---------------------------------------------------------------- corrections

#[test]
fn a_timesheet_correction_from_86_5_to_86_4_removes_the_r3_2_error_only_from_prefixes_with_it() {
    let mut log = Log::given([
        project_defined(),
        staff(
            "ST-01",
            "project_manager",
            "0.6",
            "2016-10-01",
            "2018-09-30",
        ),
    ]);
    let sheet = log.push(timesheet("ST-01", "2017-04", "86.5"));
    let before = log.next_seq() - 1;
    log.push(corrected(sheet, &timesheet("ST-01", "2017-04", "86.4")));

    assert_eq!(
        findings_of(&log.ledger_at(before), "R3.2", "2018-12-31"),
        vec![error("staff ST-01 2017-04", "2017-04-30")]
    );
    assert_eq!(findings_of(&log.ledger(), "R3.2", "2018-12-31"), vec![]);
}

#[test]
fn findings_are_listed_by_date_with_their_severity() {
    let mut log = hourly("65.99");
    log.push(sheet(
        "ST-40",
        "2017-05",
        vec![entry("13", Some("2017-05-01"))], // Labour Day, and 13 h in one day
        "0",
        "0",
    ));

    let all = log.ledger().findings(d("2018-12-31"));
    let listed: Vec<(&str, Severity, String)> = all
        .iter()
        .map(|f| (f.rule, f.severity, f.subject.clone()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("R3.6", Severity::Error, "staff ST-40 2017-04".to_string()),
            (
                "R3.2",
                Severity::Warning,
                "staff ST-40 2017-05-01".to_string()
            ),
            (
                "R3.4",
                Severity::Error,
                "person Eva Hodinová 2017-05-01".to_string()
            ),
            ("R3.6", Severity::Error, "staff ST-40 2017-05".to_string()),
        ]
    );
}
