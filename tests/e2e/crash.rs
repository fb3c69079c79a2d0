//! Kill -9 in the middle of a concurrent append storm: after a restart every
//! acknowledged event is there and the chain verifies.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::support::{bin, minimal_project, Server};

#[test]
fn acknowledged_events_survive_kill_9_during_concurrent_appends() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let base = s.base.clone();
    let token = s.token.clone();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let acked = acked.clone();
            let base = base.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                let auth = format!("Bearer {token}");
                for i in 0.. {
                    if Instant::now() > stop_at + Duration::from_secs(3) {
                        break;
                    }
                    let id = uuid::Uuid::now_v7().to_string();
                    let body = json!({"event_id": id, "kind": "workshop_held",
                        "data": {"workshop_id": format!("W-{w}-{i}"), "date": "2017-03-01", "venue": "Opava", "hours": "3", "attendees": 12}});
                    match client.post(format!("{base}/api/v1/events")).header("authorization", &auth).json(&body).send() {
                        Ok(r) if r.status().as_u16() == 201 => acked.lock().unwrap().push(id),
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    while Instant::now() < stop_at {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut s = s;
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "the storm acknowledged only {} appends",
        acked.len()
    );
    drop(s);

    let out = Command::new(bin())
        .args(["verify", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let s = Server::start(dir.path(), &[]);
    for id in &acked {
        let (status, body) = s.get(&format!("/api/v1/events/{id}"));
        assert_eq!(status, 200, "acknowledged event {id} lost: {body}");
    }
}
