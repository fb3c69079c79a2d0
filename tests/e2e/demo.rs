//! `serve --demo`: the SINEC fixture's figures equal the independently
//! computed ones in fixtures/expected, at every period end, as submitted and
//! around every correction; the same after a restart.

use serde_json::Value;

use super::support::{fixture_path, Server};

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_path("fixtures/expected/indicators.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check_case(s: &Server, case: &Value, time: &str) {
    let path = format!(
        "/api/v1/indicators?as_of={}&{time}",
        case["as_of"].as_str().unwrap()
    );
    let (status, body) = s.get(&path);
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(body["manifest"]["at_seq"], case["at_seq"], "{path}");
    let got = body["indicators"].as_array().unwrap();
    for (code, want) in case["indicators"].as_object().unwrap() {
        let ind = got
            .iter()
            .find(|i| i["code"] == *code)
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(
            ind["value"], want["value"],
            "{} {code} ({path})",
            case["name"]
        );
        if let Some(g) = want.get("by_gender") {
            assert_eq!(ind["by_gender"], *g, "{} {code} by gender", case["name"]);
        }
    }
}

#[test]
fn demo_serves_the_expected_sinec_figures_at_every_point_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let exp = expected();
    for case in exp["cases"].as_array().unwrap() {
        check_case(&s, case, &format!("at_seq={}", case["at_seq"]));
        if let Some(k) = case.get("known_at").and_then(Value::as_str) {
            check_case(&s, case, &format!("known_at={k}"));
        }
    }
    for p in exp["participants"].as_array().unwrap() {
        let path = format!(
            "/api/v1/participants/{}?as_of={}&at_seq={}",
            p["participant_id"].as_str().unwrap(),
            p["as_of"].as_str().unwrap(),
            p["at_seq"]
        );
        let (status, body) = s.get(&path);
        assert_eq!(status, 200, "{path}");
        for f in ["hours", "supported", "supported_on"] {
            assert_eq!(body[f], p[f], "{f} of {path} ({})", p["note"]);
        }
    }
    // every target is met at the end
    let (_, end) = s.get("/api/v1/indicators?as_of=2018-09-30");
    for ind in end["indicators"].as_array().unwrap() {
        assert_eq!(ind["met"], true, "{ind}");
    }
    // a restart answers the same, byte for byte
    let before = s.get("/api/v1/indicators?as_of=2017-09-30&at_seq=600").1;
    let head = s.head_seq();
    s.stop();
    let s = Server::start(dir.path(), &["--demo"]);
    assert_eq!(s.head_seq(), head, "--demo must not load twice");
    assert_eq!(
        s.get("/api/v1/indicators?as_of=2017-09-30&at_seq=600").1,
        before
    );
}

#[test]
fn an_event_shows_the_corrections_that_apply_to_it_in_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    // the fixture's second correction (an attendance); find its target through the log
    let seq = expected()["corrections"][1]["seq"].as_u64().unwrap();
    let (_, page) = s.get(&format!("/api/v1/events?from_seq={seq}&limit=1"));
    let correction = &page["events"][0];
    assert_eq!(correction["kind"], "event_corrected");
    let target = correction["data"]["target_event_id"].as_str().unwrap();
    let (status, now) = s.get(&format!("/api/v1/events/{target}"));
    assert_eq!(status, 200);
    assert_eq!(now["corrections"][0]["seq"], seq);
    assert_eq!(
        now["effective"]["data"],
        correction["data"]["replacement"]["data"]
    );
    let (_, then) = s.get(&format!("/api/v1/events/{target}?at_seq={}", seq - 1));
    assert_eq!(then["corrections"], Value::Array(vec![]));
    assert_eq!(then["effective"]["data"], then["event"]["data"]);
}
