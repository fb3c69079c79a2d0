//! `grantledger gen`: a deterministic project that imports with no refusal
//! and gives plausible figures (issue 7).

use std::process::Command;

use serde_json::Value;

use super::support::{bin, Server};

fn gen(out: &std::path::Path) -> String {
    let run = Command::new(bin())
        .args(["gen", "--participants", "200", "--seed", "7", "-o"])
        .arg(out)
        .output()
        .expect("run grantledger gen");
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "gen failed: {stderr}");
    stderr
}

fn value(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

#[test]
fn generated_project_is_deterministic_imports_cleanly_and_gives_plausible_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let said = gen(&a);
    gen(&b);
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&b).unwrap(),
        "same N and seed, same bytes"
    );
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    assert!(said.contains(&format!("wrote {lines} events")), "{said}");
    assert!(
        (4_000..=8_000).contains(&lines),
        "{lines} events for 200 participants"
    );

    let data = dir.path().join("data");
    let import = Command::new(bin())
        .arg("import")
        .arg(&a)
        .args(["--batch", "2000", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(import.status.success(), "import refused a line: {stderr}");
    assert!(
        stderr.contains(&format!("stored {lines} new events; head is seq {lines}")),
        "every line stored: {stderr}"
    );

    let s = Server::start(&data, &[]);
    let (status, body) = s.get("/api/v1/indicators?as_of=2018-09-30");
    assert_eq!(status, 200, "{body}");
    let ind = |code: &str| {
        body["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .map(|i| value(&i["value"]))
            .unwrap_or_else(|| panic!("indicator {code} in {body}"))
    };
    let supported = ind("6 00 00");
    assert!(
        supported > 0.0 && supported <= 200.0,
        "supported {supported}"
    );
    assert!(ind("P-KURZ-BEH") > 0.0, "runs held");
    assert_eq!(ind("P-KURZ-DRUH"), 20.0, "every course type held");
    assert_eq!(ind("P-SEM-OBCE"), 22.0, "every ORP municipality reached");
    assert_eq!(ind("P-KONF"), 1.0);
    let (status, report) = s.get("/api/v1/verify");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["records"], lines as u64);
}
