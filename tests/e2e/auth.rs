//! Bearer tokens and roles (issue 6 part 1): who gets what on every route,
//! the actor of an append, names masked for a viewer, revocation on a running
//! server, the token file on disk, and no open server on a public address.
//!
//! `cargo test --test tests auth -- --nocapture` prints the roles × routes table.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::support::{add_token, bin, minimal_project, register, Server};

const PERSON: &str = "4a3e1d52-6c8f-4e1b-9d0a-2b7f5c9e8a11";

/// The callers of the table, in column order.
const CALLERS: [&str; 7] = [
    "no token",
    "bad token",
    "revoked",
    "viewer",
    "auditor",
    "manager",
    "admin",
];

struct Caller {
    label: &'static str,
    /// `None`: no Authorization header.
    token: Option<String>,
}

fn callers(s: &Server, dir: &Path) -> Vec<Caller> {
    let (revoked, revoked_id) = add_token(dir, "auditor", "revoked auditor");
    let out = Command::new(bin())
        .args(["token", "revoke", &revoked_id, "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = |role: &str| Some(add_token(dir, role, &format!("{role} of the table")).0);
    let tokens = [
        None,
        // well-formed, never issued
        Some(format!("glt_{}", "A".repeat(43))),
        Some(revoked),
        token("viewer"),
        token("auditor"),
        token("manager"),
        Some(s.token.clone()),
    ];
    CALLERS
        .into_iter()
        .zip(tokens)
        .map(|(label, token)| Caller { label, token })
        .collect()
}

/// Sends `method path` (with `body` for POST) as `caller`; checks that every
/// 401 and 403 is problem+json and that a 401 carries the Bearer challenge.
fn status(s: &Server, caller: &Caller, method: &str, path: &str, body: Option<&Value>) -> u16 {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let url = format!("{}{path}", s.base);
    let mut req = match method {
        "GET" => client.get(&url),
        "POST" => client.post(&url),
        other => panic!("method {other}"),
    };
    if let Some(t) = &caller.token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().unwrap();
    let code = r.status().as_u16();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    if code == 401 || code == 403 {
        assert_eq!(
            header("content-type"),
            "application/problem+json",
            "{method} {path} as {}",
            caller.label
        );
    }
    if code == 401 {
        assert!(
            header("www-authenticate").starts_with("Bearer"),
            "{method} {path} as {}: {}",
            caller.label,
            header("www-authenticate")
        );
    }
    code
}

/// (method, path, body, expected statuses in [`CALLERS`] order).
type Row = (&'static str, String, Option<Value>, [u16; 7]);

const READ: [u16; 7] = [401, 401, 401, 200, 200, 200, 200];
const MISSING: [u16; 7] = [401, 401, 401, 404, 404, 404, 404];

#[test]
fn every_route_answers_each_role_as_the_authorization_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let callers = callers(&s, dir.path());
    let (_, page) = s.get("/api/v1/events?limit=1");
    let first = page["events"][0]["event_id"].as_str().unwrap().to_string();
    let nobody = uuid::Uuid::new_v4();
    let workshop = |n: usize| {
        Some(
            json!({"kind": "workshop_held", "data": {"workshop_id": format!("W-AUTH-{n}"),
            "date": "2017-03-01", "venue": "Opava", "hours": "3", "attendees": 12}}),
        )
    };
    let rows: Vec<Row> = vec![
        ("GET", "/api/v1/events?limit=1".into(), None, READ),
        (
            "POST",
            "/api/v1/events".into(),
            None,
            [401, 401, 401, 403, 403, 201, 201],
        ),
        ("GET", format!("/api/v1/events/{first}"), None, READ),
        ("GET", format!("/api/v1/events/{nobody}"), None, MISSING),
        (
            "GET",
            "/api/v1/indicators?as_of=2017-03-31".into(),
            None,
            READ,
        ),
        (
            "GET",
            "/api/v1/indicators/series?step=month".into(),
            None,
            READ,
        ),
        (
            "GET",
            "/api/v1/participants/82cbecf4-9dec-53fb-ae4a-4a586ef8a00e?as_of=2018-09-30".into(),
            None,
            READ,
        ),
        (
            "GET",
            format!("/api/v1/participants/{nobody}"),
            None,
            MISSING,
        ),
        (
            "GET",
            "/api/v1/timesheets/ST-01?month=2017-03".into(),
            None,
            READ,
        ),
        ("GET", "/api/v1/budget?as_of=2018-09-30".into(), None, READ),
        ("GET", "/api/v1/findings".into(), None, READ),
        (
            "GET",
            "/api/v1/explain?indicator=6%2000%2000&as_of=2018-09-30".into(),
            None,
            READ,
        ),
        ("GET", "/api/v1/reports/period/1".into(), None, READ),
        (
            "GET",
            "/api/v1/reports/corrections?period_no=1".into(),
            None,
            READ,
        ),
        ("GET", "/api/v1/checkpoint".into(), None, READ),
        ("GET", "/api/v1/checkpoint/key".into(), None, READ),
        ("GET", "/api/v1/proofs/inclusion?seq=1".into(), None, READ),
        (
            "GET",
            "/api/v1/proofs/consistency?from=1".into(),
            None,
            READ,
        ),
        ("GET", "/api/v1/verify".into(), None, READ),
        ("GET", "/api/v1/openapi.json".into(), None, READ),
        (
            // an unknown participant: admin reaches the route (404), nobody else gets past auth
            "POST",
            format!("/api/v1/participants/{nobody}/erase"),
            Some(json!({"reason": "the data subject asked"})),
            [401, 401, 401, 403, 403, 403, 404],
        ),
        ("GET", "/api/v1/no/such/route".into(), None, MISSING),
        (
            "POST",
            "/api/v1/indicators".into(),
            None,
            [401, 401, 401, 403, 403, 403, 405],
        ),
        ("GET", "/healthz".into(), None, [200; 7]),
    ];
    let mut table = format!(
        "| route | {} |\n|---|{}\n",
        CALLERS.join(" | "),
        "---|".repeat(7)
    );
    let mut wrong = Vec::new();
    let mut posts = 0;
    for (method, path, body, want) in &rows {
        let mut got = [0u16; 7];
        for (i, c) in callers.iter().enumerate() {
            let body = match (method, body) {
                (_, Some(b)) => Some(b.clone()),
                (&"POST", None) if path == "/api/v1/events" => {
                    posts += 1;
                    workshop(posts)
                }
                _ => None,
            };
            got[i] = status(&s, c, method, path, body.as_ref());
            if got[i] != want[i] {
                wrong.push(format!(
                    "{method} {path} as {}: {} (expected {})",
                    c.label, got[i], want[i]
                ));
            }
        }
        let cells: Vec<String> = got.iter().map(u16::to_string).collect();
        let shown = path
            .split('?')
            .next()
            .unwrap_or(path)
            .replace(&first, "{event_id}")
            .replace(&nobody.to_string(), "{unknown_id}");
        table += &format!("| `{method} {shown}` | {} |\n", cells.join(" | "));
    }
    println!("\n{table}");
    assert!(wrong.is_empty(), "{}\n{table}", wrong.join("\n"));
}

#[test]
fn an_append_is_recorded_with_the_role_and_name_of_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    let (manager, _) = add_token(dir.path(), "manager", "Jana Králová");
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth(&manager)
        .json(
            &json!({"kind": "workshop_held", "data": {"workshop_id": "W-1",
            "date": "2017-03-01", "venue": "Opava", "hours": "3", "attendees": 12}}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().unwrap()["appended"][0]["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, one) = s.get(&format!("/api/v1/events/{id}"));
    assert_eq!(one["event"]["actor"], "manager:Jana Králová");
    // the project, appended through `s` with the e2e admin token
    let (_, first) = s.get("/api/v1/events?limit=1");
    assert_eq!(first["events"][0]["actor"], "admin:e2e");
}

#[test]
fn a_viewer_sees_participants_by_id_only_while_an_auditor_sees_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    register(&s, PERSON);
    let (_, page) = s.get("/api/v1/events?kind=participant_registered");
    let registration = page["events"][0]["event_id"].as_str().unwrap().to_string();
    s.append(
        "event_corrected",
        json!({"target_event_id": registration, "reason": "name misspelt on the sheet",
               "replacement": {"kind": "participant_registered", "data": {
                   "participant_id": PERSON, "given_name": "Terezie", "family_name": "Zkušební", "birth_date": "1985-05-05",
                   "gender": "female", "education_isced": 3, "labour_status": "employed", "disadvantages": [],
                   "organization_id": "ORG-1", "entry_date": "2016-10-20"}}}),
    );
    let (viewer, _) = add_token(dir.path(), "viewer", "board member");
    let (auditor, _) = add_token(dir.path(), "auditor", "outside auditor");
    let read = |token: &str, path: &str| -> (String, Value) {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}{path}", s.base))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let text = r.text().unwrap();
        let v = serde_json::from_str(&text).unwrap();
        (text, v)
    };
    let paths = [
        "/api/v1/events".to_string(),
        "/api/v1/events?kind=participant_registered".to_string(),
        "/api/v1/events?kind=event_corrected".to_string(),
        format!("/api/v1/events/{registration}"),
        format!("/api/v1/explain?participant={PERSON}&as_of=2017-01-31"),
    ];
    for path in &paths {
        let (text, _) = read(&viewer, path);
        for secret in ["Tereza", "Terezie", "Zkušební", "1985-05-05"] {
            assert!(
                !text.contains(secret),
                "a viewer sees {secret} in {path}: {text}"
            );
        }
        assert!(
            text.contains(PERSON),
            "{path}: the participant is still shown by id"
        );
        let (text, _) = read(&auditor, path);
        assert!(text.contains("Zkušební"), "an auditor sees names in {path}");
    }
    let (_, one) = read(&viewer, &format!("/api/v1/events/{registration}"));
    for f in ["given_name", "family_name", "birth_date"] {
        assert_eq!(one["event"]["data"][f], "***", "{f}");
        assert_eq!(one["effective"]["data"][f], "***", "{f}");
        assert_eq!(
            one["corrections"][0]["data"]["replacement"]["data"][f], "***",
            "{f}"
        );
    }
    assert_eq!(one["event"]["data"]["gender"], "female");
    assert_eq!(one["event"]["data"]["participant_id"], PERSON);
    let (_, one) = read(&auditor, &format!("/api/v1/events/{registration}"));
    assert_eq!(one["event"]["data"]["given_name"], "Tereza");
    assert_eq!(one["effective"]["data"]["given_name"], "Terezie");
    // figures stay readable by id
    let (_, p) = read(
        &viewer,
        &format!("/api/v1/participants/{PERSON}?as_of=2017-01-31"),
    );
    assert_eq!(p["participant_id"], PERSON);
}

#[test]
fn a_revoked_token_is_refused_by_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (token, id) = add_token(dir.path(), "auditor", "leaving auditor");
    let get = || {
        reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/indicators", s.base))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(get(), 200);
    let out = Command::new(bin())
        .args(["token", "revoke", &id, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get(), 401);
    // the others still work
    assert_eq!(s.get("/api/v1/indicators").0, 200);
    let list = Command::new(bin())
        .args(["token", "list", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let line = list.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(
        line.contains("auditor") && line.contains(" yes ") && line.ends_with("leaving auditor"),
        "{line}"
    );
}

#[test]
fn the_token_file_is_private_and_holds_only_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (viewer, _) = add_token(dir.path(), "viewer", "v");
    let path = dir.path().join("tokens.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "tokens.json mode {mode:o}");
    let text = std::fs::read_to_string(&path).unwrap();
    for token in [&s.token, &viewer] {
        assert!(token.starts_with("glt_") && token.len() == 47, "{token}");
        assert!(
            !text.contains(&token[4..]),
            "a token in clear in tokens.json"
        );
        assert!(text.contains(&hex::encode(Sha256::digest(token.as_bytes()))));
    }
    assert!(!text.contains("glt_"));
    let list = Command::new(bin())
        .args(["token", "list", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(!list.contains(&hex::encode(Sha256::digest(viewer.as_bytes()))));
    assert_eq!(list.lines().count(), 3, "{list}");
}

#[test]
fn the_server_logs_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_logging(dir.path(), &[], "debug,sled=warn");
    assert_eq!(s.get("/api/v1/indicators").0, 200);
    assert_eq!(s.get("/api/v1/no/such/route").0, 404);
    let bad = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/indicators", s.base))
        .bearer_auth("glt_not-a-token-at-all")
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    std::thread::sleep(Duration::from_millis(200));
    let log = s.stderr.lock().unwrap().join("\n");
    assert!(
        log.contains("/api/v1/indicators"),
        "debug logging is on: {log}"
    );
    assert!(!log.contains(&s.token[4..]), "the token is in the log");
    assert!(
        !log.contains("not-a-token-at-all"),
        "a presented token is in the log"
    );
    assert!(!log.contains("glt_"), "{log}");
}

/// Runs `serve` with `args` and gives its exit status and stderr, or `None` if
/// it is still running after a few seconds (then killed).
fn serve_outcome(dir: &Path, addr: &str) -> (Option<bool>, String) {
    let mut child = Command::new(bin())
        .args(["serve", "--addr", addr, "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut text = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            while let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
                text += &l;
                text.push('\n');
            }
            return (Some(status.success()), text);
        }
        while let Ok(l) = rx.try_recv() {
            text += &l;
            text.push('\n');
        }
        if text.contains("token add --role") {
            break; // listening, and said how to make a token
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    (None, text)
}

#[test]
fn serve_refuses_a_public_address_without_an_active_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (exit, text) = serve_outcome(&data, "0.0.0.0:0");
    assert_eq!(exit, Some(false), "{text}");
    assert!(text.contains("refusing to listen on 0.0.0.0:0"), "{text}");
    assert!(text.contains("grantledger token add"), "{text}");
    // a revoked token is no token
    let (_, id) = add_token(&data, "admin", "gone");
    Command::new(bin())
        .args(["token", "revoke", &id, "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let (exit, text) = serve_outcome(&data, "0.0.0.0:0");
    assert_eq!(exit, Some(false), "{text}");
    // on loopback it starts and says how to make one
    let (exit, text) = serve_outcome(&data, "127.0.0.1:0");
    assert_eq!(exit, None, "{text}");
    assert!(text.contains("grantledger listening on"), "{text}");
    assert!(text.contains("no active token"), "{text}");
}
