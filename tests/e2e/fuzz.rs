//! Fuzzing the API over its OpenAPI document: thousands of generated and
//! malformed requests against every operation. Pass criteria: no 5xx, every
//! 4xx is problem+json, and refused requests leave the log's head and chain
//! unchanged (only 2xx appends move it).

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use super::support::Server;

/// Requests per operation.
const PER_OPERATION: usize = 150;

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("2017-02-30".to_string()),
        Just("2017-03-31".to_string()),
        Just("2017-04-18T12:40:00Z".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("0191e0a0-0000-7000-8000-000000000001".to_string()),
        Just("R3.2".to_string()),
        Just("json".to_string()),
        Just("xlsx".to_string()),
        Just("%00".to_string()),
        Just("💥".to_string()),
        "[a-zA-Z0-9 ._/%-]{0,30}",
        any::<u32>().prop_map(|n| n.to_string()),
    ]
}

fn body() -> impl Strategy<Value = String> {
    let valid = json!({"kind": "workshop_held", "data": {"workshop_id": "FZ", "date": "2017-03-01", "venue": "Opava", "hours": "3", "attendees": 5}});
    prop_oneof![
        Just(String::new()),
        Just("{".to_string()),
        Just("[]".to_string()),
        Just("null".to_string()),
        Just(r#"{"events": []}"#.to_string()),
        Just("[".repeat(200)),
        (scalar(), scalar()).prop_map(|(k, v)| json!({"kind": k, "data": {"x": v}}).to_string()),
        (0usize..5, scalar()).prop_map(move |(field, v)| {
            let mut b = valid.clone();
            let names = ["workshop_id", "date", "venue", "hours", "attendees"];
            b["data"][names[field]] = Value::String(v);
            b.to_string()
        }),
        (scalar(), scalar()).prop_map(|(a, b)| format!(r#"{{"kind":"attendance_recorded","data":{{"participant_id":"{a}","session_id":"{b}","hours":"1"}}}}"#)),
        "\\PC{0,200}",
    ]
}

#[test]
fn generated_and_malformed_requests_get_no_5xx_only_problem_json_and_leave_the_log_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, doc) = s.get("/api/v1/openapi.json");
    assert_eq!(status, 200);
    let head_before = s.get("/healthz").1["head"].clone();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut appended = 0u64;
    let mut total = 0u64;
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p["name"].as_str().unwrap().to_string(),
                                p["in"].as_str().unwrap().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            for _ in 0..PER_OPERATION {
                let mut url = path.clone();
                let mut query = Vec::new();
                for (name, place) in &params {
                    let v = scalar().new_tree(&mut runner).unwrap().current();
                    if place == "path" {
                        url = url.replace(&format!("{{{name}}}"), &urlencoding(&v));
                    } else if bool::arbitrary().new_tree(&mut runner).unwrap().current() {
                        query.push(format!("{name}={}", urlencoding(&v)));
                    }
                }
                if bool::arbitrary().new_tree(&mut runner).unwrap().current()
                    && bool::arbitrary().new_tree(&mut runner).unwrap().current()
                {
                    query.push("unknown_param=1".to_string());
                }
                if !query.is_empty() {
                    url = format!("{url}?{}", query.join("&"));
                }
                let full = format!("{}{url}", s.base);
                let r = match method.as_str() {
                    "post" => {
                        let b = body().new_tree(&mut runner).unwrap().current();
                        s.client
                            .post(&full)
                            .header("content-type", "application/json")
                            .body(b)
                            .send()
                    }
                    _ => s.client.get(&full).send(),
                }
                .unwrap();
                total += 1;
                let code = r.status().as_u16();
                *statuses.entry(code).or_default() += 1;
                let ctype = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                assert!(
                    code < 500,
                    "{method} {url}: {code} {}",
                    r.text().unwrap_or_default()
                );
                if (400..500).contains(&code) {
                    assert_eq!(ctype, "application/problem+json", "{method} {url}: {code}");
                    let p: Value = r.json().unwrap();
                    assert_eq!(p["status"], code, "{method} {url}");
                } else if method == "post" && code == 201 {
                    appended += 1;
                }
            }
        }
    }
    let head_after = s.get("/healthz").1["head"].clone();
    assert_eq!(
        head_after["seq"].as_u64().unwrap(),
        head_before["seq"].as_u64().unwrap() + appended,
        "only accepted appends moved the head"
    );
    if appended == 0 {
        assert_eq!(head_after, head_before);
    }
    let (_, verify) = s.get("/api/v1/verify");
    assert_eq!(verify["ok"], true, "{verify}");
    println!("fuzz: {total} requests over {} paths; statuses {statuses:?}; {appended} accepted appends; chain verifies", paths.len());
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
