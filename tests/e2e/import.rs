//! `grantledger import`: stops at the first refused line, names it, keeps what
//! came before; a verbatim import keeps `recorded_at` and `actor`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use super::support::{bin, Server};

/// `grantledger import FILE --data-dir DATA`, run to its end.
fn import(file: &Path, data: &Path) -> Output {
    Command::new(bin())
        .arg("import")
        .arg(file)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn project_line() -> String {
    json!({"event_id": "0191e0a0-0000-7000-8000-000000000101", "recorded_at": "2016-09-20T08:30:00Z", "actor": "manager:test",
           "kind": "project_defined", "data": {
        "project_id": "CZ.TEST/2", "name": "Import test", "beneficiary": {"name": "B z.s.", "ico": "04682017"},
        "period": {"start": "2016-10-01", "end": "2018-09-30"}, "timezone": "Europe/Prague", "support_threshold_hours": "40",
        "indicators": [], "budget_lines": [], "indirect_cost_rate_pct": "25", "monitoring_periods": []}})
    .to_string()
}

#[test]
fn import_stops_at_the_first_refused_line_and_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let org = json!({"recorded_at": "2016-09-21T08:00:00Z", "kind": "organization_joined",
        "data": {"organization_id": "ORG-1", "name": "Member s.r.o.", "ico": "25379631", "legal_form": "s.r.o.", "joined_on": "2016-10-01"}});
    let stranger = json!({"kind": "attendance_recorded",
        "data": {"participant_id": "0191e0a0-0000-7000-8000-00000000dead", "session_id": "S1", "hours": "2", "sheet_ref": "AL-S1"}});
    let never = json!({"kind": "course_defined", "data": {"course_id": "C1", "title": "T", "topic": "X", "planned_hours": "8"}});
    let text = format!("{}\n\n{org}\n{stranger}\n{never}\n", project_line());
    std::fs::write(&file, text).unwrap();
    let data = dir.path().join("data");
    let out = import(&file, &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "import of a refused line must fail");
    assert!(
        stderr.contains("events.jsonl:4"),
        "the refused line is named: {stderr}"
    );
    assert!(stderr.contains("R1.1"), "the rule is named: {stderr}");
    assert!(
        stderr.contains("import stopped; 2 new events are stored before line 4"),
        "the stored count is the whole import's: {stderr}"
    );

    let s = Server::start(&data, &[]);
    assert_eq!(
        s.head_seq(),
        2,
        "the two lines before the refused one are stored"
    );
    let (_, page) = s.get("/api/v1/events?from_seq=1&limit=10");
    assert_eq!(page["events"][0]["recorded_at"], "2016-09-20T08:30:00Z");
    assert_eq!(page["events"][0]["actor"], "manager:test");
    assert_eq!(
        page["events"][0]["event_id"],
        "0191e0a0-0000-7000-8000-000000000101"
    );
}

#[test]
fn import_of_a_line_that_is_not_json_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, format!("{}\n{{\"kind\": oops}}\n", project_line())).unwrap();
    let out = import(&file, &dir.path().join("d"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bad.jsonl:2")
            && stderr.contains("not valid JSON")
            && stderr.contains("(rule schema)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("import stopped; 1 new event is stored before line 2"),
        "{stderr}"
    );
}

#[test]
fn a_byte_order_mark_is_skipped_and_a_repeated_key_is_named_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.jsonl");
    let repeated = r#"{"kind":"course_defined","data":{"course_id":"C1","title":"T","title":"U","topic":"X","planned_hours":"8"}}"#;
    std::fs::write(&file, format!("\u{feff}{}\n{repeated}\n", project_line())).unwrap();
    let out = import(&file, &dir.path().join("data"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("1 new event is stored before line 2"),
        "the first line, after its byte-order mark, is stored: {stderr}"
    );
    // column 69: the closing quote of the second "title" (counted by hand)
    assert!(
        stderr.contains("the key `title` appears twice in one object at column 69 (field data.title, rule schema)"),
        "{stderr}"
    );
}

/// Importing a file again stores nothing new and says the lines were
/// skipped as exact repeats (not just "stored 0 new events").
#[test]
fn a_repeated_import_says_its_events_were_already_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let org = json!({"event_id": "0191e0a0-0000-7000-8000-000000000102", "recorded_at": "2016-09-21T08:00:00Z",
        "kind": "organization_joined",
        "data": {"organization_id": "ORG-1", "name": "Member s.r.o.", "ico": "25379631", "legal_form": "s.r.o.", "joined_on": "2016-10-01"}});
    std::fs::write(&file, format!("{}\n{org}\n", project_line())).unwrap();
    let data = dir.path().join("data");
    let run = || {
        let out = import(&file, &data);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = run();
    assert!(
        first.contains("stored 2 new events; head is seq 2"),
        "{first}"
    );
    let again = run();
    assert!(
        again.contains(
            "stored 0 new events; 2 already in the log (exact repeats, skipped); head is seq 2"
        ),
        "{again}"
    );
    // the same lines, then a refused one: the stop says they were skipped
    let text = std::fs::read_to_string(&file).unwrap();
    let bad = r#"{"kind": "course_defined", "data": {"course_id": "C1", "title": "T", "topic": "X", "planned_hours": "0"}}"#;
    std::fs::write(&file, format!("{text}{bad}\n")).unwrap();
    let out = import(&file, &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "import stopped; 0 new events are stored before line 3 (2 already in the log, skipped as exact repeats)"
        ),
        "{stderr}"
    );
}
