//! 64 concurrent writers over real HTTP: optimistic concurrency on one stream
//! and idempotent retries. Exactly one winner per expected version, no
//! duplicate event_id, gap-free seq, a valid chain, every 2xx readable.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::support::{bin, minimal_project, Server};

const WRITERS: usize = 64;
const WINS_PER_WRITER: usize = 2;

#[derive(Default)]
struct Tally {
    appended: u64,
    conflicts: u64,
    retries: u64,
    repeats_ok: u64,
    won: Vec<(u64, u64, String)>, // (stream_version, seq, event_id)
}

#[test]
fn sixty_four_writers_get_one_winner_per_expected_version_and_a_gap_free_verified_log() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    minimal_project(&s);
    s.append(
        "staff_contracted",
        json!({"staff_id": "ST-C", "name": "Karel Souběžný", "role": "lecturer", "contract": "employment",
               "fte": "0.5", "monthly_salary": "20000.00", "start": "2016-10-01", "end": "2018-09-30"}),
    );
    let stream = "staff-ST-C";
    let tally = Arc::new(Mutex::new(Tally::default()));
    let base = s.base.clone();
    let client = s.client.clone();
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (tally, base, client) = (tally.clone(), base.clone(), client.clone());
            std::thread::spawn(move || {
                let mut wins = 0;
                let mut attempt = 0u64;
                while wins < WINS_PER_WRITER {
                    attempt += 1;
                    // the stream's current version
                    let page: Value = client
                        .get(format!("{base}/api/v1/events?stream={stream}&limit=1000"))
                        .send()
                        .and_then(|r| r.json())
                        .unwrap();
                    let version = page["events"].as_array().unwrap().iter().filter_map(|e| e["stream_version"].as_u64()).max().unwrap_or(0);
                    let event_id = uuid::Uuid::now_v7().to_string();
                    let day = 1 + (w * 7 + attempt as usize) % 27;
                    let body = json!({"event_id": event_id, "kind": "staff_contract_amended", "expected_version": version,
                        "data": {"staff_id": "ST-C", "effective_from": format!("2017-02-{day:02}"), "monthly_salary": format!("{}.00", 20000 + w)}});
                    let post = |b: &Value| client.post(format!("{base}/api/v1/events")).json(b).send();
                    let r = post(&body).unwrap();
                    match r.status().as_u16() {
                        201 => {
                            let v: Value = r.json().unwrap();
                            let a = &v["appended"][0];
                            // an idempotent retry of the same request (as after a lost answer) returns the original
                            let again = post(&body).unwrap();
                            let mut t = tally.lock().unwrap();
                            t.retries += 1;
                            if again.status().as_u16() == 200 {
                                let v2: Value = again.json().unwrap();
                                assert_eq!(v2["appended"][0]["seq"], a["seq"], "a repeat gives the original seq");
                                t.repeats_ok += 1;
                            }
                            t.appended += 1;
                            t.won.push((a["stream_version"].as_u64().unwrap(), a["seq"].as_u64().unwrap(), event_id));
                            wins += 1;
                        }
                        409 => tally.lock().unwrap().conflicts += 1,
                        other => panic!("writer {w}: unexpected {other}: {}", r.text().unwrap_or_default()),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let t = tally.lock().unwrap();
    let n = (WRITERS * WINS_PER_WRITER) as u64;
    assert_eq!(t.appended, n);
    assert_eq!(
        t.repeats_ok, n,
        "every idempotent retry answered 200 with the original"
    );
    // exactly one winner per expected version: stream versions 2..=n+1, each once
    let versions: BTreeSet<u64> = t.won.iter().map(|w| w.0).collect();
    assert_eq!(versions.len() as u64, n);
    assert_eq!(versions, (2..=n + 1).collect());
    let ids: BTreeSet<&String> = t.won.iter().map(|w| &w.2).collect();
    assert_eq!(ids.len() as u64, n, "no duplicate event_id");
    // gap-free seq and every acknowledged event readable
    let head = s.head_seq();
    let mut seqs = BTreeMap::new();
    let mut from = 1;
    while from <= head {
        let (_, page) = s.get(&format!("/api/v1/events?from_seq={from}&limit=1000"));
        for e in page["events"].as_array().unwrap() {
            seqs.insert(
                e["seq"].as_u64().unwrap(),
                e["event_id"].as_str().unwrap().to_string(),
            );
        }
        from = page["next_from_seq"].as_u64().unwrap_or(head + 1);
    }
    assert_eq!(
        seqs.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>(),
        "gap-free seq"
    );
    for (_, seq, id) in &t.won {
        assert_eq!(
            seqs.get(seq),
            Some(id),
            "acknowledged {id} readable at seq {seq}"
        );
    }
    println!(
        "concurrency: {WRITERS} writers, {} appends, {} version conflicts (409), {} idempotent retries (all 200 with the original seq), head seq {head}",
        t.appended, t.conflicts, t.retries
    );
    drop(t);
    s.stop();
    std::thread::sleep(Duration::from_millis(100));
    let out = Command::new(bin())
        .args(["verify", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
