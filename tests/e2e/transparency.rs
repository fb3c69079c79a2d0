//! Signed checkpoints and proofs over HTTP, and the auditor's offline check
//! that the log only grew since a report was submitted.

use std::process::Command;

use base64::Engine;
use serde_json::Value;

use super::support::{bin, problem_of, Server};

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn text(s: &Server, path: &str) -> (u16, String) {
    let r = s.client.get(format!("{}{path}", s.base)).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn a_report_pinned_checkpoint_still_verifies_against_the_current_log_by_a_consistency_proof() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, now) = text(&s, "/api/v1/checkpoint");
    assert_eq!(status, 200);
    let lines: Vec<&str> = now.lines().collect();
    assert!(lines[0].starts_with("grantledger-"), "origin line: {now}");
    assert_eq!(lines[1], "1291");
    assert_eq!(b64(lines[2]).len(), 32);
    assert!(now.contains("\n\n\u{2014} "), "a signature line: {now}");
    let (_, key) = text(&s, "/api/v1/checkpoint/key");

    // the period-1 report marker carries the signed checkpoint of its at_seq
    let (_, page) = s.get("/api/v1/events?from_seq=1&limit=1000");
    let report = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "report_submitted")
        .unwrap()
        .clone();
    let at_seq = report["data"]["at_seq"].as_u64().unwrap();
    let pinned = report["data"]["checkpoint"].as_str().unwrap().to_string();
    assert_eq!(pinned.lines().nth(1).unwrap(), at_seq.to_string());

    let (status, proof) = s.get(&format!("/api/v1/proofs/consistency?from={at_seq}&to=1291"));
    assert_eq!(status, 200, "{proof}");
    let d = dir.path();
    std::fs::write(d.join("old.txt"), &pinned).unwrap();
    std::fs::write(d.join("new.txt"), &now).unwrap();
    std::fs::write(d.join("proof.json"), proof.to_string()).unwrap();
    let check = |proof_file: &str| {
        Command::new(bin())
            .args(["check-consistency", "--old"])
            .arg(d.join("old.txt"))
            .arg("--new")
            .arg(d.join("new.txt"))
            .arg("--proof")
            .arg(d.join(proof_file))
            .args(["--key", key.trim()])
            .output()
            .unwrap()
    };
    let ok = check("proof.json");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("extends"));

    // a proof with one hash changed does not prove anything
    let mut bad = proof.clone();
    let first = bad["proof"][0].as_str().unwrap().to_string();
    let mut bytes = b64(&first);
    bytes[0] ^= 1;
    bad["proof"][0] = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    std::fs::write(d.join("bad.json"), bad.to_string()).unwrap();
    let refused = check("bad.json");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("NOT an extension"));
}

#[test]
fn an_inclusion_proof_verifies_against_the_signed_root() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, p) = s.get("/api/v1/proofs/inclusion?seq=10&tree_size=1000");
    assert_eq!(status, 200, "{p}");
    let record_hash = hex_decode(p["record_hash"].as_str().unwrap());
    let leaf = grantledger_store::leaf_hash(&record_hash);
    assert_eq!(b64(p["leaf_hash"].as_str().unwrap()), leaf.to_vec());
    let proof: Vec<Vec<u8>> = p["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64(h.as_str().unwrap()))
        .collect();
    let root = b64(p["root_hash"].as_str().unwrap());
    grantledger_store::verify_inclusion(&leaf, 9, 1000, &proof, &root).unwrap();
    // the root is the one signed for that size
    let signed = p["checkpoint"].as_str().unwrap();
    assert_eq!(b64(signed.lines().nth(2).unwrap()), root);
    // the record itself has that hash
    let (_, page) = s.get("/api/v1/events?from_seq=10&limit=1");
    assert_eq!(page["events"][0]["hash"], p["record_hash"]);

    for (path, field) in [
        ("/api/v1/proofs/inclusion?seq=0", "seq"),
        (
            "/api/v1/proofs/inclusion?seq=5&tree_size=99999",
            "tree_size",
        ),
        ("/api/v1/proofs/inclusion?seq=1001&tree_size=1000", "seq"),
        ("/api/v1/proofs/consistency?from=0", "from"),
        ("/api/v1/proofs/consistency?from=10&to=5", "from"),
    ] {
        let (status, problem) = s.get(path);
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some(field)),
            "{path}: {problem}"
        );
    }
    // a tree size or position of 0, or beyond what bounds it, is a 400
    // naming the parameter and the rule on every proof route (regression:
    // the checkpoint's tree_size=0 was 404 "the log is empty")
    for (path, field, detail) in [
        (
            "/api/v1/checkpoint?tree_size=0",
            "tree_size",
            "tree_size must be at least 1 and at most the log head (1291); got 0",
        ),
        (
            "/api/v1/checkpoint?tree_size=1292",
            "tree_size",
            "tree_size must be at least 1 and at most the log head (1291); got 1292",
        ),
        (
            "/api/v1/proofs/inclusion?seq=1&tree_size=0",
            "tree_size",
            "tree_size must be at least 1 and at most the log head (1291); got 0",
        ),
        (
            "/api/v1/proofs/inclusion?seq=1001&tree_size=1000",
            "seq",
            "seq must be at least 1 and at most tree_size (1000); got 1001",
        ),
        (
            "/api/v1/proofs/inclusion?seq=1292",
            "seq",
            "seq must be at least 1 and at most the log head (1291); got 1292",
        ),
        (
            "/api/v1/proofs/consistency?from=1&to=0",
            "to",
            "to must be at least 1 and at most the log head (1291); got 0",
        ),
        (
            "/api/v1/proofs/consistency?from=1&to=1292",
            "to",
            "to must be at least 1 and at most the log head (1291); got 1292",
        ),
        (
            "/api/v1/proofs/consistency?from=0&to=5",
            "from",
            "from must be at least 1 and at most to (5); got 0",
        ),
    ] {
        let r = s.client.get(format!("{}{path}", s.base)).send().unwrap();
        let status = r.status().as_u16();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let problem: Value = r.json().unwrap();
        assert_eq!(
            (
                status,
                content_type.as_str(),
                problem["field"].as_str(),
                problem["rule"].as_str(),
                problem["detail"].as_str()
            ),
            (
                400,
                "application/problem+json",
                Some(field),
                Some("range"),
                Some(detail)
            ),
            "{path}: {problem}"
        );
    }
    // the event list's first seq is checked alike
    let (status, problem) = s.get("/api/v1/events?from_seq=0&limit=1");
    assert_eq!(
        (status, problem["field"].as_str(), problem["rule"].as_str()),
        (400, Some("from_seq"), Some("range")),
        "{problem}"
    );
    for limit in [0, 1001] {
        let (status, problem) = s.get(&format!("/api/v1/events?limit={limit}"));
        assert_eq!(
            problem_of(status, &problem),
            (
                400,
                Some("limit"),
                Some("range"),
                Some(format!("limit is a whole number 1–1000; got {limit}").as_str())
            ),
            "{problem}"
        );
    }
    // proofs of older sizes are signed on the fly, not kept as issued checkpoints
    let (_, kinds) = s.get("/api/v1/events?kind=report_submitted&limit=10");
    assert_eq!(kinds["events"].as_array().unwrap().len(), 4);
    assert!(kinds["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] == "report_submitted"));
    let kept = std::fs::read_dir(dir.path().join("checkpoints"))
        .unwrap()
        .count();
    s.get("/api/v1/proofs/consistency?from=100&to=900");
    assert_eq!(
        std::fs::read_dir(dir.path().join("checkpoints"))
            .unwrap()
            .count(),
        kept
    );
    let (_, report) = s.get("/api/v1/verify");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["records"], 1291);
    assert!(!report["checkpoints_checked"].as_array().unwrap().is_empty());
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
