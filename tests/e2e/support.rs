//! Starting and stopping the real server; small HTTP helpers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running `grantledger serve` over a data directory.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// Sends `token` on every request (default `Authorization` header).
    pub client: reqwest::blocking::Client,
    /// The admin token made for this server (`grantledger token add --role admin --name e2e`).
    pub token: String,
    /// Every line the server wrote to stderr so far.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

/// Makes a token with `grantledger token add`; returns (secret, id).
pub fn add_token(data_dir: &Path, role: &str, name: &str) -> (String, String) {
    let out = Command::new(bin())
        .args(["token", "add", "--role", role, "--name", name, "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run grantledger token add");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "token add failed: {stderr}");
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let id = stderr
        .strip_prefix("token ")
        .and_then(|r| r.split_whitespace().next())
        .expect("token id on stderr")
        .to_string();
    (secret, id)
}

/// A blocking client sending `Authorization: Bearer {token}` on every request.
pub fn client_with(token: &str) -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    value.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .unwrap()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_grantledger")
}

impl Server {
    /// Makes an admin token, starts `serve` on a free loopback port over
    /// `data_dir` and waits until it listens.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_logging(data_dir, extra, "warn")
    }

    /// Like [`Server::start`] with `RUST_LOG={rust_log}`.
    pub fn start_logging(data_dir: &Path, extra: &[&str], rust_log: &str) -> Server {
        let (token, _) = add_token(data_dir, "admin", "e2e");
        let mut child = Command::new(bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start grantledger serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = lines.clone();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
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
        Server {
            child,
            base,
            client: client_with(&token),
            token,
            stderr: lines,
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

/// Copies a data directory (files and folders) — tests work on copies.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A problem+json answer as `(status, field, rule, detail)`, to compare with
/// the expected refusal in one assertion.
pub fn problem_of(status: u16, problem: &Value) -> (u16, Option<&str>, Option<&str>, Option<&str>) {
    (
        status,
        problem["field"].as_str(),
        problem["rule"].as_str(),
        problem["detail"].as_str(),
    )
}
