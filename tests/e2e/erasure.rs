//! Erasure of personal data (DOMAIN.md R6, issue 6 part 2) over real HTTP on
//! `serve --demo`: the record's names before and `[erased]` after, every
//! figure and period report unchanged, `verify` passing, exports and verbatim
//! imports reproducing every hash, and names never on disk in clear.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use super::support::{bin, fixture_path, Server};

/// The demo participant with 40.5 h (a supported person, DOMAIN.md R1.3).
const WHO: &str = "3b3d1e8b-a75b-5089-aa22-fb7265b4b16a";
const FAMILY_NAME: &str = "Navrátil";
const GIVEN_NAME: &str = "Vladimír";

/// The registration of `id` in the log: `(event_id, data)`.
fn registration(s: &Server, id: &str, time: &str) -> (String, Value) {
    let (status, page) = s.get(&format!(
        "/api/v1/events?kind=participant_registered&stream=participant-{id}{time}"
    ));
    assert_eq!(status, 200, "{page}");
    let e = &page["events"][0];
    (
        e["event_id"].as_str().unwrap().to_string(),
        e["data"].clone(),
    )
}

fn without_manifest(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("manifest");
    }
    v
}

/// Every figure the brief names, at one prefix (`time` is `&at_seq=N` or empty).
fn figures(s: &Server, time: &str) -> Vec<(String, Value)> {
    let mut paths = vec![
        format!("/api/v1/participants/{WHO}?as_of=2018-09-30{time}"),
        format!("/api/v1/participants/{WHO}?as_of=2017-12-31{time}"),
        format!("/api/v1/indicators?as_of=2018-09-30{time}"),
        format!("/api/v1/indicators?as_of=2017-09-30{time}"),
        format!("/api/v1/budget?as_of=2018-09-30{time}"),
        format!("/api/v1/explain?participant={WHO}&as_of=2018-09-30{time}"),
    ];
    for no in 1..=4 {
        paths.push(format!("/api/v1/reports/period/{no}?format=json{time}"));
    }
    paths
        .into_iter()
        .map(|p| {
            let (status, body) = s.get(&p);
            assert_eq!(status, 200, "{p}: {body}");
            let mut body = without_manifest(body);
            // explain lists the events behind the figure; only its value is a figure
            if p.contains("/explain") {
                body =
                    json!({"figure": body["figure"], "value": body["value"], "seqs": body["seqs"]});
            }
            (p.replace(time, ""), body)
        })
        .collect()
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run grantledger");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Whether any file under `dir` holds `needle`.
fn any_file_contains(dir: &Path, needle: &[u8]) -> Option<String> {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if let Some(p) = any_file_contains(&path, needle) {
                return Some(p);
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return Some(path.display().to_string());
            }
        }
    }
    None
}

#[test]
fn erasing_a_demo_participant_hides_their_names_and_keeps_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--demo"]);

    // before: the record shows the names, opened with the participant's key
    let (reg_id, before) = registration(&s, WHO, "");
    assert_eq!(before["family_name"], FAMILY_NAME);
    assert_eq!(before["given_name"], GIVEN_NAME);
    assert_eq!(before["birth_date"], "1972-01-13");
    assert_eq!(before["age_band_at_entry"], "from25_to54");
    let (status, record) = s.get(&format!("/api/v1/events/{reg_id}"));
    assert_eq!(status, 200);
    assert_eq!(record["event"]["data"]["family_name"], FAMILY_NAME);
    assert_eq!(record["event"]["schema_version"], 2);
    let pinned = s.head_seq();
    let at = format!("&at_seq={pinned}");
    let figures_before = figures(&s, &at);

    // unknown participant: 404; bad body: 400
    let post = |id: &str, body: Value| {
        let r = s
            .client
            .post(format!("{}/api/v1/participants/{id}/erase", s.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (status, problem) = post(
        "0191e0a0-0000-7000-8000-00000000dead",
        json!({"reason": "request of 2019-01-10"}),
    );
    assert_eq!(status, 404, "{problem}");
    let (status, _) = post(WHO, json!({"why": "x"}));
    assert_eq!(status, 400);
    assert_eq!(s.head_seq(), pinned, "refused erasures store nothing");

    // erase: 201, then 409 for a second time
    let (status, answer) = post(
        WHO,
        json!({"reason": "data subject's request of 2019-01-10"}),
    );
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["appended"][0]["seq"], pinned + 1);
    assert_eq!(
        answer["appended"][0]["stream"],
        format!("participant-{WHO}")
    );
    let (status, problem) = post(WHO, json!({"reason": "again"}));
    assert_eq!(status, 409, "{problem}");

    // after: the record shows the fields as erased, at the head and before the erasure
    for time in ["", at.as_str()] {
        let (_, after) = registration(&s, WHO, time);
        for f in ["given_name", "family_name", "birth_date"] {
            assert_eq!(after[f], "[erased]", "{f} {time}");
        }
        for f in [
            "gender",
            "entry_date",
            "organization_id",
            "age_band_at_entry",
        ] {
            assert_eq!(after[f], before[f], "{f} {time}");
        }
    }
    let (_, record) = s.get(&format!("/api/v1/events/{reg_id}?at_seq={pinned}"));
    assert_eq!(record["event"]["data"]["family_name"], "[erased]");
    assert_eq!(record["effective"]["data"]["family_name"], "[erased]");
    let (_, explained) = s.get(&format!(
        "/api/v1/explain?participant={WHO}&as_of=2018-09-30"
    ));
    let shown = explained["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "participant_registered")
        .expect("the registration is behind the participant's figure");
    assert_eq!(shown["data"]["family_name"], "[erased]");
    assert!(!explained.to_string().contains(FAMILY_NAME));
    let (_, page) = s.get(&format!(
        "/api/v1/events?stream=participant-{WHO}&limit=1000"
    ));
    assert!(!page.to_string().contains(FAMILY_NAME));
    let erasure = page["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(erasure["kind"], "personal_data_erased");
    // other participants still read in clear
    let (_, other) = s.get("/api/v1/events?kind=participant_registered&limit=1");
    assert_ne!(other["events"][0]["data"]["family_name"], "[erased]");

    // every figure is unchanged: at the pinned prefix, and at the new head
    assert_eq!(figures(&s, &at), figures_before);
    let head_figures = figures(&s, "");
    for ((path, now), (_, then)) in head_figures.iter().zip(&figures_before) {
        assert_eq!(now, then, "{path} changed with the erasure");
    }
    let head = s.head_seq();
    assert_eq!(head, pinned + 1);
    s.stop();

    // verify passes: the hashes cover the ciphertext, no key needed
    let d = data.to_str().unwrap();
    let (ok, out) = run(&["verify", "--data-dir", d]);
    assert!(ok, "{out}");

    // export: no keys, no names; verbatim import reproduces every hash
    let export = dir.path().join("export");
    let (ok, out) = run(&["export", "--data-dir", d, "-o", export.to_str().unwrap()]);
    assert!(ok, "{out}");
    let lines = std::fs::read_to_string(export.join("events.jsonl")).unwrap();
    assert!(
        !lines.contains(FAMILY_NAME),
        "the export holds the erased name"
    );
    assert!(!lines.contains("Novák"), "the export holds names in clear");
    let reg_line: Value = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["event_id"] == reg_id.as_str())
        .unwrap();
    assert_eq!(reg_line["data"]["family_name"], "[erased]");
    assert!(any_file_contains(&export, b"personal_keys").is_none());
    let copy = dir.path().join("copy");
    let (ok, out) = run(&[
        "import",
        "--verbatim",
        export.join("events.jsonl").to_str().unwrap(),
        "--data-dir",
        copy.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["verify", "--data-dir", copy.to_str().unwrap()]);
    assert!(ok, "{out}");
    let c = Server::start(&copy, &[]);
    assert_eq!(c.head_seq(), head);
    // the copy has no keys: every name reads as erased, every figure is the same
    let (_, any) = c.get("/api/v1/events?kind=participant_registered&limit=1");
    assert_eq!(any["events"][0]["data"]["family_name"], "[erased]");
    assert_eq!(figures(&c, ""), head_figures);
}

#[test]
fn names_never_reach_the_disk_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_path("fixtures/sinec/events.jsonl");
    let (ok, out) = run(&[
        "import",
        fixture.to_str().unwrap(),
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&fixture).unwrap();
    // Names that also occur in other, non-personal data (an organisation
    // "sv. Josefa") cannot be looked for.
    let elsewhere: String = text
        .lines()
        .filter(|l| !l.contains("participant_registered"))
        .collect();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| l.contains("participant_registered"))
    {
        let v: Value = serde_json::from_str(line).unwrap();
        for f in ["family_name", "given_name", "birth_date"] {
            let name = v["data"][f].as_str().unwrap();
            if elsewhere.contains(name) {
                continue;
            }
            assert!(
                any_file_contains(dir.path(), name.as_bytes()).is_none(),
                "{f} {name} is on disk in clear"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 60);
    // and the imported log reads them back, opened with their keys
    let s = Server::start(dir.path(), &[]);
    let (_, before) = registration(&s, WHO, "");
    assert_eq!(before["family_name"], FAMILY_NAME);
}
