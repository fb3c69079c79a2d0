//! `Ledger::admit`: given a prefix, when an event comes, then it is admitted
//! or refused naming the field and the rule (G1–G5 of admit.rs, R1.1, R1.4, R3.1).

use super::support::*;

/// Given: the project, an organisation, course K1 with run K1-1, participant
/// 1, session S1 (2016-11-10, 6 h) with participant 1's 6 h attendance, and
/// staff member ST-1.
fn given() -> Log {
    Log::given([
        project_defined(),
        organization(ORG),
        course("K1", "8"),
        run("K1-1", "K1", "2016-10-01", "2018-09-30"),
        registered(person(1), "female"),
        session("S1", "K1-1", "2016-11-10", "6"),
        attendance(person(1), "S1", "6"),
        staff("ST-1", "project_manager", "0.2", "2016-10-01", "2018-09-30"),
    ])
}

/// The event id of the first event of `kind` in the log.
fn id_of(log: &Log, kind: &str) -> uuid::Uuid {
    let env = log
        .envelopes
        .iter()
        .find(|e| e.event.kind().as_str() == kind);
    env.unwrap_or_else(|| panic!("no {kind} in the log"))
        .event_id
}

#[test]
fn any_event_before_project_defined_is_refused() {
    let log = Log::new();
    assert_refused(log.when(&organization(ORG)), "kind", "G1");
    assert_refused(log.when(&course("K1", "8")), "kind", "G1");
    assert_refused(
        log.when(&seminar("M1", "Ostrava", "2016-11-10")),
        "kind",
        "G1",
    );
    assert!(log.when(&project_defined()).is_ok());
}

#[test]
fn a_second_project_defined_is_refused_but_a_correction_of_it_is_admitted() {
    let log = given();
    assert_refused(log.when(&project_defined()), "data.project_id", "G1");
    let project = id_of(&log, "project_defined");
    assert!(log
        .when(&corrected(project, &project_with_threshold("41")))
        .is_ok());
}

#[test]
fn voiding_the_project_definition_is_refused() {
    let log = given();
    assert_refused(
        log.when(&voided(id_of(&log, "project_defined"))),
        "data.target_event_id",
        "G5",
    );
}

#[test]
fn attendance_for_an_unknown_participant_is_refused() {
    let log = given();
    assert_refused(
        log.when(&attendance(person(2), "S1", "6")),
        "data.participant_id",
        "R1.1",
    );
}

#[test]
fn attendance_for_an_unknown_session_is_refused() {
    let log = given();
    assert_refused(
        log.when(&attendance(person(1), "S9", "6")),
        "data.session_id",
        "G3",
    );
}

#[test]
fn a_second_attendance_of_one_participant_at_one_session_is_refused() {
    let log = given();
    assert_refused(
        log.when(&attendance(person(1), "S1", "1")),
        "data.session_id",
        "G4",
    );
}

#[test]
fn an_attendance_is_unique_per_participant_and_session_as_corrected() {
    let mut log = given();
    log.push(session("S2", "K1-1", "2016-11-11", "6"));
    log.push(registered(person(2), "male"));
    log.push(attendance(person(2), "S1", "4"));
    let a1 = id_of(&log, "attendance_recorded");
    // correcting the attendance itself (same session) is no second attendance
    assert!(log
        .when(&corrected(a1, &attendance(person(1), "S1", "5")))
        .is_ok());
    // another participant's attendance at S1 does not count
    assert!(log.when(&attendance(person(1), "S2", "6")).is_ok());
    log.push(corrected(a1, &attendance(person(1), "S2", "6")));
    // now participant 1 attended S2, not S1
    assert!(log.when(&attendance(person(1), "S1", "6")).is_ok());
    assert_refused(
        log.when(&attendance(person(1), "S2", "6")),
        "data.session_id",
        "G4",
    );
}

#[test]
fn attendance_hours_above_the_sessions_hours_are_refused() {
    let mut log = given();
    log.push(registered(person(2), "male"));
    assert_refused(
        log.when(&attendance(person(2), "S1", "6.25")),
        "data.hours",
        "R1.4",
    );
    assert!(
        log.when(&attendance(person(2), "S1", "6")).is_ok(),
        "the whole session is allowed"
    );
}

#[test]
fn a_session_dated_outside_the_project_period_is_refused() {
    let log = given();
    assert_refused(
        log.when(&session("S2", "K1-1", "2016-09-30", "6")),
        "data.date",
        "G2",
    );
    assert_refused(
        log.when(&session("S2", "K1-1", "2018-10-01", "6")),
        "data.date",
        "G2",
    );
    assert!(
        log.when(&session("S2", "K1-1", "2016-10-01", "6")).is_ok(),
        "the first day is inside"
    );
    assert!(
        log.when(&session("S2", "K1-1", "2018-09-30", "6")).is_ok(),
        "the last day is inside"
    );
}

#[test]
fn a_session_of_an_unknown_run_is_refused() {
    let log = given();
    assert_refused(
        log.when(&session("S2", "K9-1", "2016-11-11", "6")),
        "data.run_id",
        "G3",
    );
}

#[test]
fn a_duplicate_session_id_is_refused() {
    let log = given();
    assert_refused(
        log.when(&session("S1", "K1-1", "2016-11-11", "6")),
        "data.session_id",
        "G4",
    );
}

#[test]
fn a_correction_of_an_unknown_event_is_refused() {
    let log = given();
    let unknown = uuid::Uuid::from_u128(42);
    assert_refused(
        log.when(&corrected(
            unknown,
            &session("S1", "K1-1", "2016-11-10", "5"),
        )),
        "data.target_event_id",
        "G5",
    );
    assert_refused(log.when(&voided(unknown)), "data.target_event_id", "G5");
}

#[test]
fn a_correction_whose_replacement_is_another_kind_is_refused() {
    let log = given();
    let s1 = id_of(&log, "session_held");
    assert_refused(
        log.when(&corrected(s1, &seminar("S1", "Ostrava", "2016-11-10"))),
        "data.replacement.kind",
        "G5",
    );
}

#[test]
fn a_correction_whose_replacement_breaks_a_rule_is_refused_at_the_replacements_field() {
    let mut log = given();
    log.push(session("S2", "K1-1", "2016-11-11", "6"));
    let (s1, a1) = (
        id_of(&log, "session_held"),
        id_of(&log, "attendance_recorded"),
    );

    assert_refused(
        log.when(&corrected(a1, &attendance(person(1), "S1", "6.5"))),
        "data.replacement.data.hours",
        "R1.4",
    );
    assert_refused(
        log.when(&corrected(a1, &attendance(person(1), "S9", "6"))),
        "data.replacement.data.session_id",
        "G3",
    );
    assert_refused(
        log.when(&corrected(s1, &session("S1", "K1-1", "2018-10-01", "6"))),
        "data.replacement.data.date",
        "G2",
    );
    // renaming a session is not a correction: it would be another session
    assert_refused(
        log.when(&corrected(s1, &session("S2", "K1-1", "2016-11-10", "6"))),
        "data.replacement.data",
        "G5",
    );
}

#[test]
fn a_correction_may_keep_its_targets_own_ids() {
    let log = given();
    let (s1, a1) = (
        id_of(&log, "session_held"),
        id_of(&log, "attendance_recorded"),
    );
    assert!(log
        .when(&corrected(s1, &session("S1", "K1-1", "2016-11-10", "7")))
        .is_ok());
    assert!(log
        .when(&corrected(a1, &attendance(person(1), "S1", "5.5")))
        .is_ok());
}

#[test]
fn a_second_timesheet_for_the_same_staff_and_month_is_refused() {
    let mut log = given();
    let first = log.push(timesheet("ST-1", "2016-11", "30"));

    assert_refused(
        log.when(&timesheet("ST-1", "2016-11", "12")),
        "data.month",
        "R3.1",
    );
    assert!(
        log.when(&timesheet("ST-1", "2016-12", "12")).is_ok(),
        "another month"
    );
    assert!(
        log.when(&corrected(first, &timesheet("ST-1", "2016-11", "12")))
            .is_ok(),
        "a correction"
    );
}

#[test]
fn a_timesheet_of_an_unknown_staff_member_is_refused() {
    let log = given();
    assert_refused(
        log.when(&timesheet("ST-9", "2016-11", "30")),
        "data.staff_id",
        "G3",
    );
}

/// A DPP has no FTE (R3.4 limits it by hours): an amendment may not give one,
/// as a new contract may not; an amendment of its rate, or an FTE given to
/// an employment contract, is admitted.
#[test]
fn an_amendment_giving_a_dpp_an_fte_is_refused() {
    let mut log = given();
    log.push(dpp(
        "ST-D",
        "Jana Dohodová",
        "150",
        "2016-10-01",
        "2018-09-30",
    ));
    let fte = amended_with("ST-D", "2017-01-01", serde_json::json!({"fte": "0.5"}));
    assert_refused(log.when(&fte), "data.fte", "schema");
    let rate = amended_with(
        "ST-D",
        "2017-01-01",
        serde_json::json!({"hourly_rate": "160"}),
    );
    assert!(log.when(&rate).is_ok());
    assert!(log.when(&amended("ST-1", "2017-01-01", "0.6")).is_ok());
}

/// Nor may a correction turn into a DPP a contract that an amendment gave
/// an FTE: the amendment is to be voided or corrected first.
#[test]
fn a_contract_corrected_into_a_dpp_while_an_amendment_gives_it_an_fte_is_refused() {
    let mut log = given();
    let contract = log.push(staff("ST-E", "lecturer", "0.5", "2016-10-01", "2018-09-30"));
    let fte = log.push(amended("ST-E", "2017-06-01", "0.8"));
    let into_dpp = corrected(
        contract,
        &dpp("ST-E", "Eva Lektorová", "300", "2016-10-01", "2018-09-30"),
    );
    assert_refused(
        log.when(&into_dpp),
        "data.replacement.data.contract",
        "schema",
    );
    log.push(voided(fte));
    assert!(log.when(&into_dpp).is_ok());
}
