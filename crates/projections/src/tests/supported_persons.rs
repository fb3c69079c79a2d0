//! R1.3–R1.5: support hours and supported persons (indicator 6 00 00).

use grantledger_domain::{Event, Hours};

use super::support::*;
use crate::ByGender;

/// Given: the project, one organisation, course K1 (100 h planned) with run K1-1.
fn training() -> Log {
    Log::given([
        project_defined(),
        organization(ORG),
        course("K1", "100"),
        run("K1-1", "K1", "2016-10-01", "2018-09-30"),
    ])
}

fn hours(s: &str) -> Hours {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test hours {s}: {e}"))
}

/// Every day from `start` to `end`, inclusive.
fn days(start: &str, end: &str) -> impl Iterator<Item = grantledger_domain::Date> {
    let end = d(end);
    d(start)
        .series(jiff::Span::new().days(1))
        .take_while(move |x| *x <= end)
}

/// Sessions `{prefix}1..` of `run`, one per date, each `len` hours; `who` attends each fully.
fn attend_all(
    log: &mut Log,
    who: &[uuid::Uuid],
    prefix: &str,
    run: &str,
    dates: &[&str],
    len: &str,
) {
    for (i, date) in dates.iter().enumerate() {
        let id = format!("{prefix}{}", i + 1);
        log.push(session(&id, run, date, len));
        for p in who {
            log.push(attendance(*p, &id, len));
        }
    }
}

const FIVE_MONDAYS: [&str; 5] = [
    "2016-11-07",
    "2016-11-14",
    "2016-11-21",
    "2016-11-28",
    "2016-12-05",
];

#[test]
fn participant_with_exactly_40_hours_is_not_supported_on_any_date() {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "female"));
    attend_all(&mut log, &[p], "S", "K1-1", &FIVE_MONDAYS, "8");

    let ledger = log.ledger();
    for day in days("2016-10-01", "2018-09-30") {
        let f = ledger.participant(&p, day).expect("registered");
        assert!(!f.supported, "supported on {day} with {} h", f.hours);
        assert_eq!(f.supported_on, None);
        assert_eq!(
            indicator(&ledger, SUPPORTED, day).value,
            crate::Figure::Count(0),
            "{day}"
        );
    }
    assert_eq!(
        ledger
            .participant(&p, d("2018-09-30"))
            .expect("registered")
            .hours,
        hours("40")
    );
}

#[test]
fn participant_with_40_5_hours_is_supported_from_the_date_that_takes_them_past_40_not_the_day_before(
) {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "male"));
    attend_all(&mut log, &[p], "S", "K1-1", &FIVE_MONDAYS[..4], "8");
    log.push(session("S5", "K1-1", "2016-12-05", "8.5"));
    log.push(attendance(p, "S5", "8.5"));

    let ledger = log.ledger();
    let before = ledger.participant(&p, d("2016-12-04")).expect("registered");
    assert_eq!(
        (before.hours, before.supported, before.supported_on),
        (hours("32"), false, None)
    );
    assert_eq!(count(&ledger, SUPPORTED, "2016-12-04"), 0);

    let on = ledger.participant(&p, d("2016-12-05")).expect("registered");
    assert_eq!(
        (on.hours, on.supported, on.supported_on),
        (hours("40.5"), true, Some(d("2016-12-05")))
    );
    assert_eq!(count(&ledger, SUPPORTED, "2016-12-05"), 1);

    let later = ledger.participant(&p, d("2018-09-30")).expect("registered");
    assert_eq!(later.supported_on, Some(d("2016-12-05")));
    assert_eq!(count(&ledger, SUPPORTED, "2018-09-30"), 1);
}

#[test]
fn two_attendances_on_the_same_date_count_together() {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "female"));
    attend_all(&mut log, &[p], "S", "K1-1", &FIVE_MONDAYS[..4], "8");
    // 32 h so far; on 2016-12-05 a 4.5 h afternoon and a 4 h morning session: 40.5 h.
    log.push(session("PM", "K1-1", "2016-12-05", "4.5"));
    log.push(attendance(p, "PM", "4.5"));
    log.push(session("AM", "K1-1", "2016-12-05", "4"));
    log.push(attendance(p, "AM", "4"));

    let ledger = log.ledger();
    let before = ledger.participant(&p, d("2016-12-04")).expect("registered");
    assert_eq!((before.hours, before.supported), (hours("32"), false));
    let on = ledger.participant(&p, d("2016-12-05")).expect("registered");
    assert_eq!(
        (on.hours, on.supported_on),
        (hours("40.5"), Some(d("2016-12-05")))
    );
    // six attendances and the six sessions that date and cap them
    assert_eq!(on.evidence.len(), 12);
    assert_eq!(count(&ledger, SUPPORTED, "2016-12-05"), 1);
}

#[test]
fn a_person_with_hours_in_two_courses_counts_once() {
    let mut log = training();
    log.push(course("K2", "100"));
    log.push(run("K2-1", "K2", "2016-10-01", "2018-09-30"));
    let (a, b) = (person(1), person(2));
    log.push(registered(a, "female"));
    log.push(registered(b, "male"));
    let k1 = [
        "2016-11-01",
        "2016-11-02",
        "2016-11-03",
        "2016-11-04",
        "2016-11-07",
        "2016-11-08",
    ];
    let k2 = [
        "2016-12-01",
        "2016-12-02",
        "2016-12-05",
        "2016-12-06",
        "2016-12-07",
        "2016-12-08",
    ];
    // A attends all twelve 7 h sessions: 42 h in each course.
    attend_all(&mut log, &[a], "A", "K1-1", &k1, "7");
    attend_all(&mut log, &[a], "B", "K2-1", &k2, "7");
    // B attends three of each: 21 h + 21 h, supported only by the two together.
    for s in ["A1", "A2", "A3", "B1", "B2", "B3"] {
        log.push(attendance(b, s, "7"));
    }

    let ledger = log.ledger();
    // A: 5 × 7 = 35 h by 2016-11-07, 42 h on 2016-11-08.
    assert_eq!(count(&ledger, SUPPORTED, "2016-11-07"), 0);
    assert_eq!(count(&ledger, SUPPORTED, "2016-11-08"), 1);
    // B: 21 h by 2016-11-03, 35 h on 2016-12-02, 42 h on 2016-12-05.
    assert_eq!(count(&ledger, SUPPORTED, "2016-12-02"), 1);
    assert_eq!(count(&ledger, SUPPORTED, "2016-12-05"), 2);
    assert_eq!(count(&ledger, SUPPORTED, "2018-09-30"), 2);
    let fa = ledger.participant(&a, d("2018-09-30")).expect("registered");
    assert_eq!(
        (fa.hours, fa.supported_on),
        (hours("84"), Some(d("2016-11-08")))
    );
    let fb = ledger.participant(&b, d("2018-09-30")).expect("registered");
    assert_eq!(
        (fb.hours, fb.supported_on),
        (hours("42"), Some(d("2016-12-05")))
    );
}

#[test]
fn supported_persons_are_split_by_gender() {
    let mut log = training();
    let (f1, f2, f3, m1, m2) = (person(1), person(2), person(3), person(4), person(5));
    for (p, g) in [
        (f1, "female"),
        (f2, "female"),
        (f3, "female"),
        (m1, "male"),
        (m2, "male"),
    ] {
        log.push(registered(p, g));
    }
    let dates = [
        "2016-11-01",
        "2016-11-02",
        "2016-11-03",
        "2016-11-04",
        "2016-11-07",
    ];
    // f1, f2, m1 and f3: 5 × 7 = 35 h; m2 attends nothing.
    attend_all(&mut log, &[f1, f2, m1, f3], "S", "K1-1", &dates, "7");
    log.push(session("S6", "K1-1", "2016-11-08", "7"));
    for p in [f1, f2, m1] {
        log.push(attendance(p, "S6", "7")); // 42 h: supported
    }
    log.push(attendance(f3, "S6", "5")); // exactly 40 h: not supported

    let ledger = log.ledger();
    let v = indicator(&ledger, SUPPORTED, d("2016-11-08"));
    assert_eq!(v.value, crate::Figure::Count(3));
    assert_eq!(v.by_gender, Some(ByGender { female: 2, male: 1 }));
    assert!(v.met, "3 supported persons meet the target of 2");
    let before = indicator(&ledger, SUPPORTED, d("2016-11-07"));
    assert_eq!(before.by_gender, Some(ByGender { female: 0, male: 0 }));
    assert!(!before.met);
}

#[test]
fn internship_hours_count_on_the_internships_end_date() {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "female"));
    attend_all(
        &mut log,
        &[p],
        "S",
        "K1-1",
        &["2016-11-01", "2016-11-02", "2016-11-03"],
        "10",
    );
    log.push(internship(p, "2016-11-14", "2016-11-25", "11"));

    let ledger = log.ledger();
    for day in ["2016-11-14", "2016-11-24"] {
        let f = ledger.participant(&p, d(day)).expect("registered");
        assert_eq!((f.hours, f.supported), (hours("30"), false), "{day}");
        assert_eq!(count(&ledger, INTERNSHIPS, day), 0, "{day}");
    }
    let f = ledger.participant(&p, d("2016-11-25")).expect("registered");
    assert_eq!(
        (f.hours, f.supported_on),
        (hours("41"), Some(d("2016-11-25")))
    );
    assert_eq!(count(&ledger, SUPPORTED, "2016-11-25"), 1);
    assert_eq!(count(&ledger, INTERNSHIPS, "2016-11-25"), 1);
}

#[test]
fn attended_hours_above_a_corrected_sessions_length_are_capped_at_the_sessions_hours() {
    let mut log = training();
    let p = person(1);
    log.push(registered(p, "male"));
    attend_all(&mut log, &[p], "S", "K1-1", &FIVE_MONDAYS, "8"); // 40 h
    log.push(session("S6", "K1-1", "2016-12-12", "8"));
    log.push(attendance(p, "S6", "1")); // 41 h
    let before_fix = log.next_seq() - 1;
    // The sheet of S5 was wrong: it lasted 7 h, yet 8 h of attendance stay recorded.
    let s5 = log
        .envelopes
        .iter()
        .find(|e| matches!(&e.event, Event::SessionHeld(s) if s.session_id.as_str() == "S5"));
    let s5 = s5.expect("S5 recorded").event_id;
    log.push(corrected(s5, &session("S5", "K1-1", "2016-12-05", "7")));

    let old = log
        .ledger_at(before_fix)
        .participant(&p, d("2018-09-30"))
        .expect("registered");
    assert_eq!(
        (old.hours, old.supported_on),
        (hours("41"), Some(d("2016-12-12")))
    );
    // 32 h + min(8, 7) h + 1 h = 40 h: exactly the threshold, not more.
    let now = log
        .ledger()
        .participant(&p, d("2018-09-30"))
        .expect("registered");
    assert_eq!(
        (now.hours, now.supported, now.supported_on),
        (hours("40"), false, None)
    );
    assert_eq!(count(&log.ledger(), SUPPORTED, "2018-09-30"), 0);
}

#[test]
fn the_threshold_is_the_projects_parameter() {
    let mut log = Log::given([
        project_with_threshold("10"),
        organization(ORG),
        course("K1", "100"),
        run("K1-1", "K1", "2016-10-01", "2018-09-30"),
    ]);
    let (p, q) = (person(1), person(2));
    log.push(registered(p, "female"));
    log.push(registered(q, "male"));
    log.push(session("S1", "K1-1", "2016-11-01", "10.25"));
    log.push(attendance(p, "S1", "10"));
    log.push(attendance(q, "S1", "10.25"));

    let ledger = log.ledger();
    assert!(
        !ledger
            .participant(&p, d("2016-11-01"))
            .expect("registered")
            .supported
    );
    assert!(
        ledger
            .participant(&q, d("2016-11-01"))
            .expect("registered")
            .supported
    );
    assert_eq!(count(&ledger, SUPPORTED, "2016-11-01"), 1);
}

#[test]
fn an_unregistered_person_has_no_figures() {
    let ledger = training().ledger();
    assert_eq!(ledger.participant(&person(9), d("2018-09-30")), None);
}
