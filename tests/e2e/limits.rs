//! Behaviour under stress and for operators: request ids, structured JSON
//! logs without tokens or personal data, graceful shutdown that finishes
//! in-flight appends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::support::{minimal_project, register, Server};

#[test]
fn every_answer_carries_a_request_id_and_a_clients_own_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let r = s
        .client
        .get(format!("{}/api/v1/indicators", s.base))
        .send()
        .unwrap();
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(id.len(), 36, "a UUID request id: {id:?}");
    let r = s
        .client
        .get(format!("{}/api/v1/nope", s.base))
        .header("x-request-id", "audit-42")
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "audit-42");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[test]
fn json_logs_name_each_request_and_hold_no_token_or_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_logging(
        dir.path(),
        &["--log-format", "json"],
        "info,tower_http=debug",
    );
    minimal_project(&s);
    let p = "0191e0a0-0000-7000-8000-00000000f00d";
    register(&s, p);
    s.get(&format!("/api/v1/events?stream=participant-{p}"));
    std::thread::sleep(Duration::from_millis(300));
    let token = s.token.clone();
    let lines = s.stderr.lock().unwrap().clone();
    let json_lines: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!json_lines.is_empty(), "JSON log lines: {lines:?}");
    assert!(
        json_lines
            .iter()
            .any(|l| l.to_string().contains("request_id")),
        "{lines:?}"
    );
    let all = lines.join("\n");
    assert!(!all.contains(&token), "the token is never logged");
    assert!(!all.contains("Zkušební"), "personal data is never logged");
}

#[test]
fn a_graceful_shutdown_finishes_in_flight_appends() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (acked, client, base) = (acked.clone(), s.client.clone(), s.base.clone());
            std::thread::spawn(move || {
                for i in 0..400 {
                    let id = uuid::Uuid::now_v7().to_string();
                    let body = json!({"event_id": id, "kind": "workshop_held",
                        "data": {"workshop_id": format!("G-{w}-{i}"), "date": "2017-03-01", "venue": "Opava", "hours": "3", "attendees": 9}});
                    match client.post(format!("{base}/api/v1/events")).json(&body).send() {
                        Ok(r) if r.status().as_u16() == 201 => acked.lock().unwrap().push(id),
                        Ok(r) => panic!("unexpected {}", r.status()),
                        Err(_) => break, // the server has stopped taking requests
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let data = dir.path().to_path_buf();
    let mut s = s;
    unsafe {
        libc::kill(s.child.id() as i32, libc::SIGTERM);
    }
    let status = s.child.wait().unwrap();
    assert!(status.success(), "a clean exit after SIGTERM: {status:?}");
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());
    drop(s);
    let s = Server::start(&data, &[]);
    for id in &acked {
        assert_eq!(
            s.get(&format!("/api/v1/events/{id}")).0,
            200,
            "acknowledged {id} is stored"
        );
    }
}
