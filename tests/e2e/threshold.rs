//! DOMAIN.md R1.3/R1.5 through HTTP: exactly 40 h is not supported; 40.5 h is,
//! from the date of the attendance that crossed.

use serde_json::json;

use super::support::{minimal_project, register, Server};

const P: &str = "0191e0a0-0000-7000-8000-0000000000aa";

#[test]
fn exactly_40_hours_is_not_supported_and_40_5_is_from_the_crossing_date() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    register(&s, P);
    let days = [
        "2016-11-07",
        "2016-11-14",
        "2016-11-21",
        "2016-11-28",
        "2016-12-05",
        "2016-12-12",
    ];
    for (i, d) in days.iter().enumerate() {
        s.append(
            "session_held",
            json!({"session_id": format!("C1-1-S{i}"), "run_id": "C1-1", "date": d, "hours": "8"}),
        );
    }
    for i in 0..5 {
        s.append(
            "attendance_recorded",
            json!({"participant_id": P, "session_id": format!("C1-1-S{i}"), "hours": "8", "sheet_ref": format!("AL-{i}")}),
        );
    }
    let (_, p) = s.get(&format!("/api/v1/participants/{P}?as_of=2018-09-30"));
    assert_eq!(
        (p["hours"].as_str(), p["supported"].as_bool()),
        (Some("40"), Some(false))
    );
    let (_, ind) = s.get("/api/v1/indicators?as_of=2018-09-30");
    assert_eq!(ind["indicators"][0]["value"], 0);

    s.append(
        "attendance_recorded",
        json!({"participant_id": P, "session_id": "C1-1-S5", "hours": "0.5", "sheet_ref": "AL-5"}),
    );
    let (_, p) = s.get(&format!("/api/v1/participants/{P}?as_of=2018-09-30"));
    assert_eq!(p["hours"], "40.5");
    assert_eq!(p["supported"], true);
    assert_eq!(p["supported_on"], "2016-12-12");
    let (_, before) = s.get(&format!("/api/v1/participants/{P}?as_of=2016-12-11"));
    assert_eq!(
        (before["hours"].as_str(), before["supported"].as_bool()),
        (Some("40"), Some(false))
    );
    let (_, ind) = s.get("/api/v1/indicators?as_of=2016-12-12");
    assert_eq!(ind["indicators"][0]["value"], 1);
    assert_eq!(
        ind["indicators"][0]["by_gender"],
        json!({"female": 1, "male": 0})
    );
    let (_, ind) = s.get("/api/v1/indicators?as_of=2016-12-11");
    assert_eq!(ind["indicators"][0]["value"], 0);
}
