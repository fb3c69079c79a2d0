//! The SINEC fixture's findings, budget and timesheets through HTTP equal the
//! figures computed independently in fixtures/expected/findings.json, at every
//! period end, as submitted, and before/after every fix of a breach.

use serde_json::{json, Value};

use super::support::{fixture_path, Server};

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_path("fixtures/expected/findings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn time(case: &Value) -> String {
    match case.get("known_at").and_then(Value::as_str) {
        Some(k) => format!("known_at={k}"),
        None => format!("at_seq={}", case["at_seq"]),
    }
}

#[test]
fn demo_findings_budget_and_timesheets_match_the_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let exp = expected();
    for case in exp["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let q = format!("as_of={}&{}", case["as_of"].as_str().unwrap(), time(case));
        let (status, body) = s.get(&format!("/api/v1/findings?{q}"));
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["manifest"]["at_seq"], case["at_seq"], "{name}");
        let got: Vec<Value> = body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| json!({"rule": f["rule"], "severity": f["severity"], "subject": f["subject"], "date": f["date"]}))
            .collect();
        assert_eq!(Value::Array(got), case["findings"], "findings of {name}");

        let (status, budget) = s.get(&format!("/api/v1/budget?{q}"));
        assert_eq!(status, 200, "{name}");
        let want = &case["budget"];
        for f in ["direct_eligible", "indirect", "total_eligible"] {
            assert_eq!(budget[f], want[f], "{f} of {name}");
        }
        for line in want["lines"].as_array().unwrap() {
            let got = budget["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["code"] == line["code"])
                .unwrap();
            for f in ["amount", "claimed", "eligible", "over_budget", "remaining"] {
                assert_eq!(got[f], line[f], "{f} of line {} in {name}", line["code"]);
            }
        }
    }
    for t in exp["timesheets"].as_array().unwrap() {
        let path = format!(
            "/api/v1/timesheets/{}?month={}&as_of={}&at_seq={}",
            t["staff_id"].as_str().unwrap(),
            t["month"].as_str().unwrap(),
            t["as_of"].as_str().unwrap(),
            t["at_seq"]
        );
        let (status, got) = s.get(&path);
        assert_eq!(status, 200, "{path}");
        for f in [
            "working_days",
            "fund_hours",
            "contracted_fte",
            "project_hours",
            "actual_fte",
        ] {
            assert_eq!(got[f], t[f], "{f} of {path}");
        }
    }
}

#[test]
fn findings_filter_by_rule_and_severity() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (_, all) = s.get("/api/v1/findings?as_of=2018-09-30&at_seq=1000");
    let (_, errors) = s.get("/api/v1/findings?as_of=2018-09-30&at_seq=1000&severity=error");
    let (_, r32) = s.get("/api/v1/findings?as_of=2018-09-30&at_seq=1000&rule=R3.2");
    let total = all["findings"].as_array().unwrap().len();
    assert!(total > 0);
    assert_eq!(
        errors["findings"].as_array().unwrap().len() as u64,
        all["counts"]["error"].as_u64().unwrap()
    );
    assert!(r32["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] == "R3.2"));
    let (status, problem) = s.get("/api/v1/findings?severity=fatal");
    assert_eq!((status, problem["field"].as_str()), (400, Some("severity")));
}
