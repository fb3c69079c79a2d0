//! Tampering with a log behind the server's back: each test imports the SINEC
//! fixture with the real binary (1291 records, checkpoints pinned by its four
//! reports signed into `checkpoints/`), damages its own copy of the sled
//! directory with sled directly (through `grantledger_store::raw`, which
//! knows the layout), and runs `grantledger verify` on the copy, which must
//! fail naming the seq (or seq range) and why.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use grantledger_store::codec::decode_record;
use grantledger_store::raw::{self as store_raw, RawLog};
use grantledger_store::{record_hash, Head, Record, OPEN_VERIFY_TAIL_RECORDS};
use tempfile::TempDir;

use super::support::{bin, copy_dir, fixture_path, Server};

/// Records in the SINEC fixture.
const RECORDS: u64 = 1291;
/// The tree size of the checkpoint pinned by the report of monitoring period 1.
const PERIOD_1: u64 = 363;

/// A sealed log and what an auditor kept of it before anyone tampered.
struct Sealed {
    dir: TempDir,
    /// The imported data directory (never damaged).
    data: PathBuf,
    /// The verifier key (`name+keyid+base64`), from GET /api/v1/checkpoint/key.
    key: Option<String>,
    /// The signed checkpoint of the full head, from GET /api/v1/checkpoint.
    head_checkpoint: Option<PathBuf>,
}

impl Sealed {
    /// Imports the fixture into a fresh directory.
    fn imported() -> Sealed {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let fixture = fixture_path("fixtures/sinec/events.jsonl");
        let out = Command::new(bin())
            .arg("import")
            .arg(&fixture)
            .arg("--data-dir")
            .arg(&data)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Sealed {
            dir,
            data,
            key: None,
            head_checkpoint: None,
        }
    }

    /// Imports the fixture, then, as an auditor would, asks a server over it
    /// for its verifier key and the signed checkpoint of the head and keeps
    /// both outside the data directory.
    fn audited() -> Sealed {
        let mut sealed = Sealed::imported();
        let s = Server::start(&sealed.data, &[]);
        let text = |path: &str| {
            let r = s
                .client
                .get(format!("{}{path}", s.base))
                .send()
                .expect("GET");
            assert_eq!(r.status().as_u16(), 200, "GET {path}");
            r.text().unwrap()
        };
        let key = text("/api/v1/checkpoint/key").trim().to_string();
        let checkpoint = text("/api/v1/checkpoint");
        s.stop();
        assert_eq!(
            checkpoint.lines().nth(1),
            Some(RECORDS.to_string().as_str()),
            "{checkpoint}"
        );
        let path = sealed.auditor_file("head.checkpoint");
        std::fs::write(&path, checkpoint).unwrap();
        sealed.key = Some(key);
        sealed.head_checkpoint = Some(path);
        sealed
    }

    /// A path in the auditor's own folder (outside every data directory).
    fn auditor_file(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("auditor");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// A copy of the data directory for this test to damage.
    fn copy(&self) -> PathBuf {
        let to = self.dir.path().join("copy");
        copy_dir(&self.data, &to);
        to
    }

    fn key(&self) -> &str {
        self.key.as_deref().expect("audited() keeps the key")
    }
}

/// Opens `data` raw (sled and the segment files), lets `f` damage it,
/// flushes and closes.
fn tamper(data: &Path, f: impl FnOnce(&RawLog)) {
    let db = RawLog::open(data).unwrap();
    f(&db);
    db.flush().unwrap();
    drop(db);
    // sled releases its directory lock from a background thread; `verify`
    // waits for it (OPEN_LOCK_WAIT), this only keeps that wait short.
    std::thread::sleep(Duration::from_millis(50));
}

/// The stored bytes of record `seq`.
fn raw(db: &RawLog, seq: u64) -> Vec<u8> {
    store_raw::read_record_bytes(db, seq).unwrap_or_else(|e| panic!("seq {seq} is stored: {e}"))
}

fn record(db: &RawLog, seq: u64) -> Record {
    store_raw::read_record(db, seq).unwrap()
}

fn set_meta_head(db: &RawLog, head: &Head) {
    store_raw::set_meta_head(db, head).unwrap();
}

/// Flips one byte of the payload of `seq` in the stored value, in place.
fn flip_payload_byte(db: &RawLog, seq: u64) {
    let mut value = raw(db, seq);
    let before = decode_record(seq, &value).unwrap();
    assert!(!before.payload.is_empty(), "seq {seq} has a payload");
    // the value ends with the payload, then prev_hash and hash (32 bytes each)
    let at = value.len() - 64 - 1;
    value[at] ^= 0x01;
    let after = decode_record(seq, &value).unwrap();
    assert_ne!(after.payload, before.payload);
    assert_eq!(after.hash, before.hash);
    store_raw::write_record_bytes(db, seq, &value).unwrap();
}

/// Runs `grantledger verify` on `data` with extra arguments; returns whether
/// it succeeded and what it printed (stdout then stderr).
fn verify(data: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(bin())
        .arg("verify")
        .arg("--data-dir")
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("verify {extra:?}: {text}");
    (out.status.success(), text)
}

fn verify_fails(data: &Path, extra: &[&str]) -> String {
    let (ok, text) = verify(data, extra);
    assert!(!ok, "verify should fail: {text}");
    text
}

fn verify_ok(data: &Path, extra: &[&str]) -> String {
    let (ok, text) = verify(data, extra);
    assert!(ok, "verify should pass: {text}");
    text
}

#[test]
fn an_untouched_copy_verifies_with_every_checkpoint() {
    let sealed = Sealed::audited();
    let copy = sealed.copy();
    let head = sealed.head_checkpoint.as_ref().unwrap().to_str().unwrap();
    let text = verify_ok(&copy, &["--checkpoint", head, "--key", sealed.key()]);
    assert!(text.contains(&format!("ok: {RECORDS} records")), "{text}");
    // the four pinned by the reports, the head's kept by the server, the auditor's
    assert!(text.contains("6 signed checkpoints match"), "{text}");
}

#[test]
fn the_verify_endpoint_of_a_healthy_demo_server_says_ok() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    let (status, body) = s.get("/api/v1/verify");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["records"], RECORDS, "{body}");
    assert_eq!(body["first_bad_seq"], serde_json::Value::Null, "{body}");
    assert!(
        !body["checkpoints_checked"].as_array().unwrap().is_empty(),
        "{body}"
    );
    s.stop();
}

#[test]
fn a_flipped_payload_byte_before_the_checked_tail_is_named_by_a_full_verify() {
    let seq = 200;
    assert!(
        seq <= RECORDS - OPEN_VERIFY_TAIL_RECORDS,
        "seq {seq} must lie before the tail that opening checks"
    );
    let sealed = Sealed::imported();
    let copy = sealed.copy();
    tamper(&copy, |db| flip_payload_byte(db, seq));
    let text = verify_fails(&copy, &[]);
    assert!(
        text.contains("the log does not verify: first bad seq 200: seq 200: hash does not match the record's content"),
        "{text}"
    );
}

#[test]
fn a_flipped_payload_byte_in_the_tail_makes_the_log_refuse_to_open() {
    let sealed = Sealed::imported();
    let copy = sealed.copy();
    tamper(&copy, |db| flip_payload_byte(db, 1280));
    let text = verify_fails(&copy, &[]);
    assert!(
        text.contains(
            "the log does not open: corrupt log at seq 1280: hash does not match the record's content"
        ),
        "{text}"
    );
}

#[test]
fn a_deleted_record_is_named_as_missing() {
    let sealed = Sealed::imported();
    let copy = sealed.copy();
    tamper(&copy, |db| {
        store_raw::remove_record(db, 700).expect("seq 700");
    });
    let text = verify_fails(&copy, &[]);
    assert!(
        text.contains("corrupt log at seq 700: record missing (next stored seq is 701)"),
        "{text}"
    );
}

#[test]
fn a_truncated_tail_passes_the_chain_but_the_auditors_head_checkpoint_shows_what_is_missing() {
    let sealed = Sealed::audited();
    let copy = sealed.copy();
    let keep = RECORDS - 50;
    tamper(&copy, |db| {
        store_raw::remove_records_after(db, keep).unwrap();
        // the indexes are built in memory when the log opens
        set_meta_head(db, &Head::of(&record(db, keep)));
    });
    // and the checkpoints kept in the directory that cover the removed records go too
    for entry in std::fs::read_dir(copy.join("checkpoints")).unwrap() {
        let path = entry.unwrap().path();
        let size: u64 = path.file_stem().unwrap().to_str().unwrap().parse().unwrap();
        if size > keep {
            std::fs::remove_file(path).unwrap();
        }
    }

    let text = verify_ok(&copy, &[]);
    assert!(text.contains(&format!("ok: {keep} records")), "{text}");

    let head = sealed.head_checkpoint.as_ref().unwrap().to_str().unwrap();
    let text = verify_fails(&copy, &["--checkpoint", head, "--key", sealed.key()]);
    assert!(
        text.contains(
            "first bad seq 1242: the log has 1241 records but a signed checkpoint covers 1291: records 1242..=1291 are missing (truncated)"
        ),
        "{text}"
    );
}

#[test]
fn a_swapped_pair_of_records_is_named_at_the_first() {
    let sealed = Sealed::imported();
    let copy = sealed.copy();
    tamper(&copy, |db| {
        let (a, b) = (raw(db, 600), raw(db, 601));
        store_raw::write_record_bytes(db, 600, &b).unwrap();
        store_raw::write_record_bytes(db, 601, &a).unwrap();
    });
    let text = verify_fails(&copy, &[]);
    assert!(
        text.contains("corrupt log at seq 600: record says seq 601 but is stored under 600"),
        "{text}"
    );
}

#[test]
fn a_forged_record_with_a_recomputed_chain_is_exposed_by_an_earlier_signed_checkpoint() {
    let sealed = Sealed::audited();
    // the checkpoint pinned by the report of period 1, as the authority keeps it
    let period_1 = sealed.auditor_file("period-1.checkpoint");
    std::fs::copy(
        sealed
            .data
            .join("checkpoints")
            .join(format!("{PERIOD_1:020}.txt")),
        &period_1,
    )
    .unwrap();
    let copy = sealed.copy();
    tamper(&copy, |db| {
        let mut prev = record(db, 299).hash;
        let mut forged = Vec::new();
        for seq in 300..=RECORDS {
            let mut r = record(db, seq);
            if seq == 300 {
                assert_ne!(r.actor, "someone else");
                r.actor = "someone else".into();
            }
            r.prev_hash = prev;
            r.hash = record_hash(&prev, &r);
            prev = r.hash;
            if seq == RECORDS {
                set_meta_head(db, &Head::of(&r));
            }
            forged.push(r);
        }
        store_raw::rewrite_records(db, &forged).unwrap();
    });
    // the forger also removes the checkpoints kept in the directory
    std::fs::remove_dir_all(copy.join("checkpoints")).unwrap();

    let text = verify_ok(&copy, &[]);
    assert!(text.contains(&format!("ok: {RECORDS} records")), "{text}");

    let p1 = period_1.to_str().unwrap();
    let text = verify_fails(&copy, &["--checkpoint", p1, "--key", sealed.key()]);
    assert!(
        text.contains(&format!(
            "records 1..={PERIOD_1} do not give the root signed in the checkpoint of size {PERIOD_1}: a record in seqs 1..={PERIOD_1} was rewritten"
        )),
        "{text}"
    );

    let head = sealed.head_checkpoint.as_ref().unwrap().to_str().unwrap();
    let text = verify_fails(&copy, &["--checkpoint", head, "--key", sealed.key()]);
    assert!(
        text.contains(&format!("a record in seqs 1..={RECORDS} was rewritten")),
        "{text}"
    );
}
