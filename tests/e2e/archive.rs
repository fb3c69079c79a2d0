//! Keeping the record for auditors (DOMAIN.md R5.6): export → verbatim
//! import reproduces every hash; records written with an older payload
//! schema stay readable and keep their hashes.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use grantledger_domain::upcast::AttendanceRecordedV1;
use grantledger_store::{EventLog, NewEvent, SledLog};
use serde_json::json;

use super::support::{bin, fixture_path, minimal_project, register, Server};

fn run(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).to_string() + &stderr
}

/// The SINEC fixture imported into `a` and exported to `export`; `b` is an
/// empty place to import into.
fn exported_fixture() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("export"),
    );
    let fixture = fixture_path("fixtures/sinec/events.jsonl");
    run(&[
        "import",
        fixture.to_str().unwrap(),
        "--data-dir",
        a.to_str().unwrap(),
    ]);
    run(&[
        "export",
        "--data-dir",
        a.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    (dir, a, b, out)
}

#[test]
fn export_then_verbatim_import_reproduces_every_hash() {
    let (dir, a, b, out) = exported_fixture();
    run(&[
        "import",
        "--verbatim",
        out.join("events.jsonl").to_str().unwrap(),
        "--data-dir",
        b.to_str().unwrap(),
    ]);
    let va = run(&["verify", "--data-dir", a.to_str().unwrap()]);
    let vb = run(&["verify", "--data-dir", b.to_str().unwrap()]);
    // same records, same hashes, same Merkle root
    let word_after = |v: &str, label: &str| {
        v.split(label)
            .nth(1)
            .unwrap()
            .split([',', ' '])
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(word_after(&va, "head hash "), word_after(&vb, "head hash "));
    assert_eq!(word_after(&va, "root "), word_after(&vb, "root "));
    // and the checkpoints signed by the first server verify against the imported log
    let key = std::fs::read_to_string(out.join("checkpoint.pub")).unwrap();
    let mut args = vec![
        "verify".to_string(),
        "--data-dir".into(),
        b.to_str().unwrap().into(),
        "--key".into(),
        key.trim().into(),
    ];
    for c in std::fs::read_dir(out.join("checkpoints")).unwrap() {
        args.push("--checkpoint".into());
        args.push(c.unwrap().path().to_str().unwrap().into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let vc = run(&args);
    assert!(vc.contains("4 signed checkpoints match"), "{vc}");
    assert!(out.join("schemas/attendance_recorded.schema.json").exists());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["records"], 1291);

    // every exported line equals the re-exported line of the imported log
    let out2 = dir.path().join("export2");
    run(&[
        "export",
        "--data-dir",
        b.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(out.join("events.jsonl")).unwrap(),
        std::fs::read(out2.join("events.jsonl")).unwrap()
    );
}

#[test]
fn a_verbatim_import_refuses_a_tampered_line_and_keeps_what_came_before() {
    let (dir, _a, b, out) = exported_fixture();
    let text = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut line: serde_json::Value = serde_json::from_str(&lines[9]).unwrap();
    line["actor"] = json!("someone else");
    lines[9] = line.to_string();
    let tampered = dir.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n")).unwrap();
    let o = Command::new(bin())
        .args([
            "import",
            "--verbatim",
            tampered.to_str().unwrap(),
            "--data-dir",
            b.to_str().unwrap(),
            "--batch",
            "5",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(stderr.contains("seq 10"), "{stderr}");
    let s = Server::start(&b, &[]);
    assert_eq!(
        s.head_seq(),
        5,
        "the batch before the tampered line stays stored"
    );
}

#[test]
fn an_attendance_stored_at_schema_v1_is_read_by_the_current_code_with_its_hash_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let p = "0191e0a0-0000-7000-8000-0000000000cc";
    {
        let s = Server::start(dir.path(), &[]);
        minimal_project(&s);
        register(&s, p);
        s.append(
            "session_held",
            json!({"session_id": "C1-1-S1", "run_id": "C1-1", "date": "2016-11-07", "hours": "8"}),
        );
        s.stop();
    }
    // an older program wrote this attendance at schema version 1
    let v1 = AttendanceRecordedV1 {
        participant_id: p.parse().unwrap(),
        session_id: grantledger_domain::ShortId::new("C1-1-S1").unwrap(),
        hours: "7.5".parse().unwrap(),
        sheet_ref: Some("PL-1".into()),
    };
    let hash = {
        let log: Arc<dyn EventLog> = Arc::new(SledLog::open(dir.path()).unwrap());
        let mut e = NewEvent::new(
            uuid::Uuid::from_u128(0xa77e),
            format!("participant-{p}"),
            "attendance_recorded",
            1,
            postcard_bytes(&v1),
            "older-version",
        );
        e.expected_version = None;
        let r = log.append(vec![e]).unwrap();
        hex_of(r.records()[0].hash)
    };
    let s = Server::start(dir.path(), &[]);
    let (status, got) = s.get("/api/v1/events/00000000-0000-0000-0000-00000000a77e");
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["event"]["schema_version"], 1);
    assert_eq!(got["event"]["hash"], hash);
    assert_eq!(got["event"]["data"]["hours"], "7.5");
    assert_eq!(got["event"]["data"]["mode"], serde_json::Value::Null);
    let (_, fig) = s.get(&format!("/api/v1/participants/{p}?as_of=2018-09-30"));
    assert_eq!(fig["hours"], "7.5");
    // a v2 attendance with the new field is accepted alongside
    s.append(
        "session_held",
        json!({"session_id": "C1-1-S2", "run_id": "C1-1", "date": "2016-11-14", "hours": "8"}),
    );
    s.append(
        "attendance_recorded",
        json!({"participant_id": p, "session_id": "C1-1-S2", "hours": "8", "sheet_ref": "PL-2", "mode": "online"}),
    );
    let (_, fig) = s.get(&format!("/api/v1/participants/{p}?as_of=2018-09-30"));
    assert_eq!(fig["hours"], "15.5");
    s.stop();
    let v = run(&["verify", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(v.contains("ok:"), "{v}");
}

fn postcard_bytes(v: &AttendanceRecordedV1) -> Vec<u8> {
    // the store never sees typed payloads; the domain's codec is postcard
    let e = grantledger_domain::upcast::encode_v1_attendance(v);
    assert!(!e.is_empty());
    e
}

fn hex_of(h: [u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_verbatim_import_refuses_a_line_whose_data_was_edited_but_not_its_payload() {
    let (dir, _a, b, out) = exported_fixture();
    let text = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut line: serde_json::Value = serde_json::from_str(&lines[4]).unwrap();
    line["data"]["title"] = json!("FORGED TITLE");
    lines[4] = line.to_string();
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(&edited, lines.join("\n")).unwrap();
    let o = Command::new(bin())
        .args([
            "import",
            "--verbatim",
            edited.to_str().unwrap(),
            "--data-dir",
            b.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("seq 5: its `data` does not match"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn read_only_commands_refuse_a_path_that_holds_no_log() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for args in [
        vec!["verify", "--data-dir"],
        vec!["export", "-o", "/tmp/never-written-export", "--data-dir"],
        vec!["replay", "--data-dir"],
        vec!["report", "period", "1", "--data-dir"],
    ] {
        let o = Command::new(bin())
            .args(&args)
            .arg(&empty)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not a grantledger data directory"),
            "{args:?}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&empty).unwrap().count(),
        0,
        "nothing was created"
    );
}
