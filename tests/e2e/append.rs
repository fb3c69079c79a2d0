//! Appending through HTTP: bad input gets the right 4xx naming field and rule,
//! and stores nothing; repeats are idempotent; batches are atomic.

use serde_json::{json, Value};

use super::support::{minimal_project, problem_of, register, Server};

/// (name, body, status, field, rule)
type Case = (
    &'static str,
    String,
    u16,
    Option<&'static str>,
    Option<&'static str>,
);

const P: &str = "0191e0a0-0000-7000-8000-0000000000bb";

fn attendance(hours: &str) -> Value {
    json!({"kind": "attendance_recorded", "data": {"participant_id": P, "session_id": "C1-1-S1", "hours": hours, "sheet_ref": "AL-C1-1-S1"}})
}

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        &["--max-body-bytes", "65536", "--max-batch", "50"],
    );
    minimal_project(&s);
    register(&s, P);
    s.append(
        "session_held",
        json!({"session_id": "C1-1-S1", "run_id": "C1-1", "date": "2016-11-07", "hours": "6"}),
    );
    (dir, s)
}

#[test]
fn bad_input_gets_the_right_status_field_and_rule_and_stores_nothing() {
    let (_dir, s) = setup();
    let head = s.head_seq();
    let mut unknown_field = attendance("2");
    unknown_field["data"]["minutes"] = json!(10);
    let mut missing = attendance("2");
    missing["data"]
        .as_object_mut()
        .unwrap()
        .remove("session_id");
    let outside = json!({"kind": "session_held", "data": {"session_id": "LATE", "run_id": "C1-1", "date": "2018-10-01", "hours": "2"}});
    let stranger = json!({"kind": "attendance_recorded", "data": {"participant_id": "0191e0a0-0000-7000-8000-00000000dead", "session_id": "C1-1-S1", "hours": "2", "sheet_ref": "AL-C1-1-S1"}});
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "{\"kind\": \"attendance_recorded\", ".into(),
            400,
            None,
            Some("schema"),
        ),
        (
            "unknown kind",
            json!({"kind": "attendance_guessed", "data": {}}).to_string(),
            400,
            Some("kind"),
            Some("schema"),
        ),
        (
            "unknown field",
            unknown_field.to_string(),
            400,
            Some("data.minutes"),
            Some("schema"),
        ),
        (
            "unknown envelope field",
            json!({"kind": "x", "data": {}, "seq": 4}).to_string(),
            400,
            Some("seq"),
            Some("schema"),
        ),
        (
            "missing field",
            missing.to_string(),
            400,
            Some("data.session_id"),
            Some("schema"),
        ),
        (
            "negative hours",
            attendance("-1").to_string(),
            400,
            Some("data.hours"),
            Some("schema"),
        ),
        (
            "over 24 hours",
            attendance("25").to_string(),
            400,
            Some("data.hours"),
            Some("range"),
        ),
        (
            "three decimal places",
            attendance("1.125").to_string(),
            400,
            Some("data.hours"),
            Some("schema"),
        ),
        (
            "above the session's hours",
            attendance("6.5").to_string(),
            422,
            Some("data.hours"),
            Some("R1.4"),
        ),
        (
            "date outside the period",
            outside.to_string(),
            422,
            Some("data.date"),
            Some("G2"),
        ),
        (
            "unknown participant",
            stranger.to_string(),
            422,
            Some("data.participant_id"),
            Some("R1.1"),
        ),
        (
            "body over the limit",
            format!(
                "{{\"kind\":\"x\",\"data\":{{\"pad\":\"{}\"}}}}",
                "x".repeat(70_000)
            ),
            413,
            None,
            None,
        ),
    ];
    for (name, body, status, field, rule) in cases {
        let (got, ctype, problem) = s.post_raw(body);
        assert_eq!(got, status, "{name}: {problem}");
        assert_eq!(ctype, "application/problem+json", "{name}");
        assert_eq!(problem["status"], status, "{name}");
        if let Some(f) = field {
            assert_eq!(problem["field"], f, "{name}: {problem}");
        }
        if let Some(r) = rule {
            assert_eq!(problem["rule"], r, "{name}: {problem}");
        }
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        assert_eq!(s.head_seq(), head, "{name} stored something");
    }
}

#[test]
fn a_repeated_event_id_returns_the_original_and_other_content_is_a_conflict() {
    let (_dir, s) = setup();
    let id = "0191e0a0-0000-7000-8000-00000000e001";
    let mut body = attendance("2");
    body["event_id"] = json!(id);
    let (status, first) = s.post(&body);
    assert_eq!(status, 201, "{first}");
    let (status, again) = s.post(&body);
    assert_eq!(status, 200);
    assert_eq!(again["appended"], first["appended"]);
    let head = s.head_seq();
    body["data"]["hours"] = json!("3");
    let (status, problem) = s.post(&body);
    assert_eq!(
        (status, problem["field"].as_str(), problem["rule"].as_str()),
        (409, Some("event_id"), Some("idempotency"))
    );
    assert_eq!(s.head_seq(), head);
}

/// An event id given twice in one batch is a conflict, with the same or
/// other content, named at the later one, before any rule; nothing stored.
#[test]
fn an_event_id_given_twice_in_a_batch_is_a_conflict() {
    let (_dir, s) = setup();
    let head = s.head_seq();
    let id = "0191e0a0-0000-7000-8000-00000000e002";
    let mut one = attendance("2");
    one["event_id"] = json!(id);
    let mut other = attendance("3");
    other["event_id"] = json!(id);
    for second in [&one, &other] {
        let (status, problem) = s.post(&json!({"events": [one, attendance("1"), second]}));
        assert_eq!(
            problem_of(status, &problem),
            (
                409,
                Some("events[2].event_id"),
                Some("idempotency"),
                Some("event_id 0191e0a0-0000-7000-8000-00000000e002 is also given to events[0]: the events of a batch have distinct ids")
            ),
            "{problem}"
        );
        assert_eq!(s.head_seq(), head);
    }
}

/// A UUID is written 8-4-4-4-12 (either case), in `event_id` and in `data`:
/// the braced, `urn:uuid:` and 32-digit forms are refused, naming the field;
/// nothing stored. An upper-case id is stored in lower case.
#[test]
fn a_uuid_in_another_form_is_refused_and_an_upper_case_one_is_stored_lower() {
    let (_dir, s) = setup();
    let head = s.head_seq();
    let braced = format!("{{{P}}}");
    let urn = format!("urn:uuid:{P}");
    let simple = P.replace('-', "");
    for bad in [&braced, &urn, &simple] {
        let mut with_id = attendance("1");
        with_id["event_id"] = json!(bad);
        let (status, problem) = s.post(&json!({ "events": [with_id] }));
        assert_eq!(
            problem_of(status, &problem),
            (
                400,
                Some("events[0].event_id"),
                Some("schema"),
                Some("`event_id` must be a UUID written as 8-4-4-4-12 hex digits")
            ),
            "{problem}"
        );
        let mut in_data = attendance("1");
        in_data["data"]["participant_id"] = json!(bad);
        let (status, problem) = s.post(&json!({ "events": [in_data] }));
        let (status, field, rule, _) = problem_of(status, &problem);
        assert_eq!(
            (status, field, rule),
            (400, Some("events[0].data.participant_id"), Some("schema")),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("8-4-4-4-12"),
            "{problem}"
        );
        assert_eq!(s.head_seq(), head);
    }
    // reads take a UUID the same way
    for path in [
        format!("/api/v1/events/{braced}"),
        format!("/api/v1/participants/{simple}"),
        format!("/api/v1/explain?participant={urn}"),
    ] {
        let (status, problem) = s.get(&path);
        assert_eq!(status, 400, "{path}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("8-4-4-4-12"),
            "{path}: {problem}"
        );
    }
    let mut upper = attendance("1");
    upper["event_id"] = json!("0191E0A0-0000-7000-8000-00000000E003");
    upper["data"]["participant_id"] = json!(P.to_uppercase());
    let (status, body) = s.post(&json!({ "events": [upper] }));
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["appended"][0]["event_id"],
        "0191e0a0-0000-7000-8000-00000000e003"
    );
}

#[test]
fn a_batch_with_one_refused_event_stores_none_and_names_its_index() {
    let (_dir, s) = setup();
    let head = s.head_seq();
    let batch = json!({"events": [
        {"kind": "session_held", "data": {"session_id": "C1-1-S2", "run_id": "C1-1", "date": "2016-11-14", "hours": "4"}},
        {"kind": "attendance_recorded", "data": {"participant_id": P, "session_id": "C1-1-S2", "hours": "4", "sheet_ref": "AL-C1-1-S2"}},
        {"kind": "attendance_recorded", "data": {"participant_id": P, "session_id": "C1-1-S2", "hours": "1", "sheet_ref": "AL-C1-1-S2"}}
    ]});
    let (status, problem) = s.post(&batch);
    assert_eq!(
        (status, problem["field"].as_str(), problem["rule"].as_str()),
        (422, Some("events[2].data.session_id"), Some("G4"))
    );
    assert_eq!(s.head_seq(), head);
    // the first two alone are admitted, in one atomic append, the attendance seeing the session
    let ok = json!({"events": batch["events"].as_array().unwrap()[..2]});
    let (status, body) = s.post(&ok);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["appended"].as_array().unwrap().len(), 2);
    assert_eq!(body["head"]["seq"], head + 2);
}

#[test]
fn expected_version_conflicts_are_409_and_store_nothing() {
    let (_dir, s) = setup();
    let stream_version = |s: &Server| {
        let (_, page) = s.get("/api/v1/events?from_seq=1&limit=1000");
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["stream"] == format!("participant-{P}"))
            .count() as u64
    };
    let v = stream_version(&s);
    let mut body = attendance("1");
    body["expected_version"] = json!(v + 5);
    let head = s.head_seq();
    let (status, problem) = s.post(&body);
    assert_eq!((status, problem["rule"].as_str()), (409, Some("version")));
    assert_eq!(s.head_seq(), head);
    // in a batch, the conflict names the event it is in: the exit expects
    // the version from before the batch's attendance
    let exit = json!({"kind": "participant_exited", "expected_version": v,
        "data": {"participant_id": P, "exit_date": "2017-06-30", "exit_status": "employed"}});
    let (status, problem) = s.post(&json!({"events": [attendance("1"), exit]}));
    assert_eq!(
        (status, problem["field"].as_str(), problem["rule"].as_str()),
        (409, Some("events[1].expected_version"), Some("version")),
        "{problem}"
    );
    assert_eq!(s.head_seq(), head);
    // a batch of one is a batch: its event is named too
    let (status, problem) = s.post(&json!({"events": [body.clone()]}));
    assert_eq!(
        (status, problem["field"].as_str()),
        (409, Some("events[0].expected_version")),
        "{problem}"
    );
    assert_eq!(s.head_seq(), head);
    body["expected_version"] = json!(v);
    let (status, ok) = s.post(&body);
    assert_eq!(status, 201, "{ok}");
    assert_eq!(ok["appended"][0]["stream_version"], v + 1);
}

#[test]
fn reads_refuse_unknown_parameters_and_bad_values() {
    let (_dir, s) = setup();
    for (path, field) in [
        ("/api/v1/indicators?asof=2017-01-01", "asof"),
        ("/api/v1/indicators?as_of=2017-13-01", "as_of"),
        // dates only as YYYY-MM-DD (EVENTS.md), not jiff's other forms
        ("/api/v1/indicators?as_of=20170301", "as_of"),
        ("/api/v1/indicators?as_of=2017-03-01T00:00:00", "as_of"),
        ("/api/v1/indicators/series?from=%2B002017-03-01", "from"),
        ("/api/v1/indicators/series?to=2017-3-1", "to"),
        ("/api/v1/indicators?known_at=yesterday", "known_at"),
        ("/api/v1/indicators?at_seq=999999", "at_seq"),
        ("/api/v1/participants/not-a-uuid", "id"),
    ] {
        let (status, problem) = s.get(path);
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(problem["field"], field, "{path}");
    }
    let (status, _) = s.get("/api/v1/participants/0191e0a0-0000-7000-8000-00000000ffff");
    assert_eq!(status, 404);
}

#[test]
fn wrong_method_and_media_type_get_problem_json() {
    let (_dir, s) = setup();
    let r = s
        .client
        .put(format!("{}/api/v1/events", s.base))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = s
        .client
        .post(format!("{}/api/v1/events", s.base))
        .header("content-type", "text/plain")
        .body(attendance("1").to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["field"], "content-type");
}

#[test]
fn a_submitted_report_cannot_be_voided_or_corrected() {
    let (_dir, s) = setup();
    let head = s.head_seq();
    let (status, body) = s.post(&json!({"kind": "report_submitted", "data": {"period_no": 1, "submitted_on": "2018-10-15", "at_seq": head}}));
    assert_eq!(status, 201, "{body}");
    let report_id = body["appended"][0]["event_id"].clone();
    let head = s.head_seq();
    let (status, problem) = s.post(
        &json!({"kind": "event_voided", "data": {"target_event_id": report_id, "reason": "oops"}}),
    );
    assert_eq!(
        (status, problem["rule"].as_str(), problem["field"].as_str()),
        (422, Some("R5.4"), Some("data.target_event_id"))
    );
    let (status, problem) = s.post(&json!({"kind": "event_corrected", "data": {"target_event_id": report_id, "reason": "oops",
        "replacement": {"kind": "report_submitted", "data": {"period_no": 1, "submitted_on": "2018-10-16", "at_seq": 1}}}}));
    assert_eq!((status, problem["rule"].as_str()), (422, Some("R5.4")));
    assert_eq!(s.head_seq(), head);
}
