//! Starting and stopping the real server; small HTTP helpers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running `grantledger serve` over a data directory.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub client: reqwest::blocking::Client,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_grantledger")
}

impl Server {
    /// Starts `serve` on a free loopback port over `data_dir` and waits until it listens.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start grantledger serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(rest) = line.strip_prefix("grantledger listening on ") {
                        let _ = tx.send(rest.trim().to_string());
                        sent = true;
                    }
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("server did not start listening");
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Server {
            child,
            base,
            client,
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn post_raw(&self, body: impl Into<reqwest::blocking::Body>) -> (u16, String, Value) {
        let r = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("POST");
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ctype, r.json().unwrap_or(Value::Null))
    }

    pub fn post(&self, body: &Value) -> (u16, Value) {
        let (s, _, v) = self.post_raw(body.to_string());
        (s, v)
    }

    /// Appends and insists on 201.
    pub fn append(&self, kind: &str, data: Value) -> Value {
        let (s, v) = self.post(&json!({"kind": kind, "data": data}));
        assert_eq!(s, 201, "append {kind}: {v}");
        v
    }

    pub fn head_seq(&self) -> u64 {
        self.get("/healthz").1["head"]["seq"]
            .as_u64()
            .expect("head seq")
    }

    /// SIGTERM and wait (graceful shutdown).
    pub fn stop(mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal project: period 2016-10-01..2018-09-30, threshold 40 h, one
/// organisation ORG-1, course C1 (planned 40 h) with run C1-1, and the
/// supported-persons indicator.
pub fn minimal_project(s: &Server) {
    s.append(
        "project_defined",
        json!({
            "project_id": "CZ.TEST/1", "name": "Test project",
            "beneficiary": {"name": "Beneficiary z.s.", "ico": "04682017"},
            "period": {"start": "2016-10-01", "end": "2018-09-30"}, "timezone": "Europe/Prague",
            "support_threshold_hours": "40",
            "indicators": [{"code": "6 00 00", "name": "Supported persons", "unit": "persons", "target": "1", "measure": "supported_persons"}],
            "budget_lines": [{"code": "1.1", "name": "Personnel", "amount": "100000.00", "personnel": true}],
            "indirect_cost_rate_pct": "25",
            "monitoring_periods": [{"no": 1, "start": "2016-10-01", "end": "2018-09-30", "final": true}]
        }),
    );
    s.append("organization_joined", json!({"organization_id": "ORG-1", "name": "Member s.r.o.", "ico": "25379631", "legal_form": "s.r.o.", "joined_on": "2016-10-01"}));
    s.append(
        "course_defined",
        json!({"course_id": "C1", "title": "Course", "topic": "Management", "planned_hours": "40"}),
    );
    s.append("course_run_scheduled", json!({"run_id": "C1-1", "course_id": "C1", "start": "2016-11-01", "end": "2016-12-31", "venue": "Ostrava", "lecturer": "Eva Lektorová"}));
}

/// Registers a participant with a fixed id.
pub fn register(s: &Server, id: &str) {
    s.append(
        "participant_registered",
        json!({"participant_id": id, "given_name": "Tereza", "family_name": "Zkušební", "birth_date": "1985-05-05",
               "gender": "female", "education_isced": 3, "labour_status": "employed", "disadvantages": [],
               "organization_id": "ORG-1", "entry_date": "2016-10-20"}),
    );
}

pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}
