//! R2: the output indicators (course runs and types, seminars, workshops,
//! conferences, municipalities) and the manager's FTE.

use serde_json::json;

use super::support::*;
use crate::{Figure, Ledger};

/// Given: the project and one organisation.
fn project() -> Log {
    Log::given([project_defined(), organization(ORG)])
}

#[test]
fn a_course_run_is_held_on_the_date_its_sessions_reach_the_planned_hours_not_before() {
    let mut log = project();
    log.push(course("K1", "16"));
    log.push(run("K1-1", "K1", "2016-11-01", "2016-11-30"));
    log.push(run("K1-2", "K1", "2016-11-01", "2016-11-30"));
    // K1-1: 8 + 6 + 2 = 16 h on 2016-11-15.
    log.push(session("K1-1-S1", "K1-1", "2016-11-01", "8"));
    log.push(session("K1-1-S2", "K1-1", "2016-11-08", "6"));
    log.push(session("K1-1-S3", "K1-1", "2016-11-15", "2"));
    // K1-2: 8 + 7.75 = 15.75 h, a quarter of an hour short.
    log.push(session("K1-2-S1", "K1-2", "2016-11-02", "8"));
    log.push(session("K1-2-S2", "K1-2", "2016-11-09", "7.75"));

    let ledger = log.ledger();
    assert_eq!(count(&ledger, COURSE_RUNS, "2016-11-14"), 0);
    assert_eq!(count(&ledger, COURSE_TYPES, "2016-11-14"), 0);
    assert_eq!(count(&ledger, COURSE_RUNS, "2016-11-15"), 1);
    assert_eq!(count(&ledger, COURSE_TYPES, "2016-11-15"), 1);
    assert_eq!(count(&ledger, COURSE_RUNS, "2018-09-30"), 1);
}

#[test]
fn course_types_held_count_courses_with_a_held_run_once_however_many_runs() {
    let mut log = project();
    for c in ["K1", "K2", "K3"] {
        log.push(course(c, "8"));
    }
    for (r, c) in [
        ("K1-1", "K1"),
        ("K1-2", "K1"),
        ("K2-1", "K2"),
        ("K3-1", "K3"),
    ] {
        log.push(run(r, c, "2016-11-01", "2016-11-30"));
    }
    log.push(session("K1-1-S1", "K1-1", "2016-11-01", "8"));
    log.push(session("K1-2-S1", "K1-2", "2016-11-02", "8"));
    log.push(session("K2-1-S1", "K2-1", "2016-11-03", "8"));
    log.push(session("K3-1-S1", "K3-1", "2016-11-04", "4")); // half of K3's 8 h

    let ledger = log.ledger();
    let expected = [
        ("2016-10-31", 0, 0),
        ("2016-11-01", 1, 1),
        ("2016-11-02", 1, 2),
        ("2016-11-03", 2, 3),
        ("2016-11-04", 2, 3),
        ("2018-09-30", 2, 3),
    ];
    for (day, types, runs) in expected {
        assert_eq!(
            (
                count(&ledger, COURSE_TYPES, day),
                count(&ledger, COURSE_RUNS, day)
            ),
            (types, runs),
            "{day}"
        );
    }
    assert!(
        indicator(&ledger, COURSE_RUNS, d("2016-11-02")).met,
        "2 runs meet the target of 2"
    );
    assert!(!indicator(&ledger, COURSE_RUNS, d("2016-11-01")).met);
}

#[test]
fn seminars_and_workshops_count_on_their_dates() {
    let mut log = project();
    log.push(seminar("M1", "Ostrava", "2016-11-10"));
    log.push(workshop("W1", "2016-11-20"));
    log.push(seminar("M2", "Opava", "2016-12-01"));
    log.push(conference("C1", "2016-11-01", "2016-11-02")); // not a seminar or workshop

    let ledger = log.ledger();
    let expected = [
        ("2016-11-09", 0),
        ("2016-11-10", 1),
        ("2016-11-19", 1),
        ("2016-11-20", 2),
        ("2016-12-01", 3),
    ];
    for (day, n) in expected {
        assert_eq!(count(&ledger, SEMINARS_WORKSHOPS, day), n, "{day}");
    }
}

#[test]
fn a_conference_is_held_on_its_last_day() {
    let mut log = project();
    log.push(conference("C1", "2017-05-10", "2017-05-12"));

    let ledger = log.ledger();
    assert_eq!(count(&ledger, CONFERENCES, "2017-05-10"), 0);
    assert_eq!(count(&ledger, CONFERENCES, "2017-05-11"), 0);
    assert_eq!(count(&ledger, CONFERENCES, "2017-05-12"), 1);
    assert!(indicator(&ledger, CONFERENCES, d("2017-05-12")).met);
}

#[test]
fn municipalities_reached_count_distinct_listed_names_only() {
    let mut log = project();
    log.push(seminar("M1", "Ostrava", "2016-11-10"));
    log.push(seminar("M2", "Ostrava", "2016-11-17")); // the same town again
    log.push(seminar("M3", "Praha", "2016-11-24")); // not on the list
    log.push(seminar("M4", "Opava", "2016-12-01"));

    let ledger = log.ledger();
    let expected = [
        ("2016-11-09", 0),
        ("2016-11-10", 1),
        ("2016-11-17", 1),
        ("2016-11-24", 1),
        ("2016-12-01", 2),
    ];
    for (day, n) in expected {
        assert_eq!(count(&ledger, MUNICIPALITIES, day), n, "{day}");
    }
    // Every seminar is still a seminar held.
    assert_eq!(count(&ledger, SEMINARS_WORKSHOPS, "2016-12-01"), 4);
}

#[test]
fn manager_fte_is_the_contracted_fte_in_force_on_the_date() {
    let mut log = project();
    log.push(staff(
        "ST-1",
        "project_manager",
        "0.2",
        "2016-11-01",
        "2018-06-30",
    ));
    log.push(staff("ST-2", "lecturer", "1", "2016-10-01", "2018-09-30")); // another role
    log.push(amended("ST-1", "2017-01-01", "0.6"));

    let ledger = log.ledger();
    let expected = [
        ("2016-10-31", "0"),
        ("2016-11-01", "0.2"),
        ("2016-12-31", "0.2"),
        ("2017-01-01", "0.6"),
        ("2018-06-30", "0.6"),
        ("2018-07-01", "0"),
    ];
    for (day, fte) in expected {
        assert_eq!(manager_fte(&ledger, day), dec(fte), "{day}");
    }
    assert!(!indicator(&ledger, MANAGER_FTE, d("2016-12-31")).met);
    assert!(
        indicator(&ledger, MANAGER_FTE, d("2017-01-01")).met,
        "0.6 meets the target of 0.6"
    );
}

#[test]
fn figures_serialise_counts_as_numbers_and_fte_as_decimal_text() {
    let mut log = project();
    log.push(staff(
        "ST-1",
        "project_manager",
        "0.2",
        "2016-11-01",
        "2018-06-30",
    ));
    log.push(amended("ST-1", "2017-01-01", "0.60"));
    log.push(seminar("M1", "Ostrava", "2016-11-10"));

    let ledger = log.ledger();
    let fte = serde_json::to_value(indicator(&ledger, MANAGER_FTE, d("2017-01-01"))).expect("json");
    assert_eq!(
        (&fte["value"], &fte["target"], &fte["met"]),
        (&json!("0.6"), &json!("0.6"), &json!(true))
    );
    let towns =
        serde_json::to_value(indicator(&ledger, MUNICIPALITIES, d("2017-01-01"))).expect("json");
    assert_eq!((&towns["value"], &towns["target"]), (&json!(1), &json!(2)));
    assert_eq!(towns.get("by_gender"), None);
    assert_eq!(
        indicator(&ledger, MUNICIPALITIES, d("2017-01-01")).target,
        Figure::Count(2)
    );
}

#[test]
fn indicators_come_in_definition_order_and_are_empty_before_the_project() {
    assert!(Ledger::default().indicators(d("2017-01-01")).is_empty());
    let codes: Vec<String> = project()
        .ledger()
        .indicators(d("2017-01-01"))
        .into_iter()
        .map(|i| i.code)
        .collect();
    let expected = [
        SUPPORTED,
        COURSE_TYPES,
        COURSE_RUNS,
        MUNICIPALITIES,
        SEMINARS_WORKSHOPS,
        CONFERENCES,
        INTERNSHIPS,
        MANAGER_FTE,
    ];
    assert_eq!(codes, expected);
}
