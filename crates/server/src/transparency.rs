//! Signed checkpoints, proofs and verification of the log (DESIGN.md "The
//! log"): an RFC 6962 Merkle tree over the record hashes, checkpoints in the
//! C2SP tlog-checkpoint signed-note format, signed with the server's Ed25519 key.

use std::path::{Path, PathBuf};

use base64::Engine;
use grantledger_store::checkpoint::{Checkpoint, SignedCheckpoint, SignerKey, VerifierKey};
use grantledger_store::{leaf_hash, EventLog, MerkleTree, StoreError};
use serde::Serialize;

/// File name of the signing key inside the data directory.
pub const KEY_FILE: &str = "checkpoint.key";
/// Folder of the issued checkpoints inside the data directory.
pub const CHECKPOINT_DIR: &str = "checkpoints";

/// Base64 (standard, padded) of bytes, as the checkpoint format writes hashes.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The server's signing key and the checkpoints it has issued.
pub struct Notary {
    key: SignerKey,
    dir: PathBuf,
}

impl Notary {
    /// Opens the signing key at `key_path` (default `DATA_DIR/checkpoint.key`),
    /// creating it on first start (file mode 0600) with the name
    /// `grantledger-XXXXXXXX`; the name is also the checkpoints' origin line.
    ///
    /// # Errors
    /// The key file is unreadable, malformed or readable by group/others.
    pub fn open(data_dir: &Path, key_path: Option<&Path>) -> anyhow::Result<Notary> {
        let path = key_path.map_or_else(|| data_dir.join(KEY_FILE), Path::to_path_buf);
        let name = match std::fs::read_to_string(&path) {
            Ok(text) => SignerKey::from_encoded(text.trim())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                .name()
                .to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!(
                    "grantledger-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                )
            }
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
        };
        let key = SignerKey::load_or_create(&path, &name)?;
        let dir = data_dir.join(CHECKPOINT_DIR);
        std::fs::create_dir_all(&dir)?;
        Ok(Notary { key, dir })
    }

    /// The verifier key (`name+keyid+base64`) auditors use to check checkpoints.
    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// Signs the checkpoint of a tree of `size` leaves with `root`; with
    /// `keep`, also keeps it in `DATA_DIR/checkpoints/` (one file per size) as
    /// an issued checkpoint that `verify` checks. Signing is deterministic, so
    /// a checkpoint signed again is the same text.
    ///
    /// # Errors
    /// The checkpoint cannot be written.
    pub fn sign(&self, size: u64, root: [u8; 32], keep: bool) -> anyhow::Result<SignedCheckpoint> {
        let checkpoint = Checkpoint::new(self.key.name(), size, root, Vec::new())?;
        let signed = self.key.sign(&checkpoint);
        let path = self.dir.join(format!("{size:020}.txt"));
        if keep && !path.exists() {
            let tmp = self.dir.join(format!(".{size:020}.tmp"));
            std::fs::write(&tmp, signed.to_text())?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(&self.dir)?.sync_all()?;
        }
        Ok(signed)
    }

    /// Every checkpoint issued and kept, by tree size.
    ///
    /// # Errors
    /// The folder cannot be read or a file does not parse.
    pub fn stored(&self) -> anyhow::Result<Vec<SignedCheckpoint>> {
        stored_checkpoints(&self.dir)
    }
}

/// The checkpoints kept in a `checkpoints/` folder, by tree size.
///
/// # Errors
/// The folder cannot be read or a file does not parse.
pub fn stored_checkpoints(dir: &Path) -> anyhow::Result<Vec<SignedCheckpoint>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path)?;
            out.push(
                SignedCheckpoint::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            );
        }
    }
    out.sort_by_key(|c| c.checkpoint.tree_size);
    Ok(out)
}

/// The outcome of a full verification (`GET /api/v1/verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"ok": true, "records": 1291, "head_hash": "5c747813cd1d43db2c2ff573e14f53ed596a515f5c34bcb513199f0096da63a4",
    "root_hash": "Gl2s8vaAVFyT7jgEGNL9RO8cS1kb1kLECO/Gtma2Zdg=", "checkpoints_checked": [363, 703, 1017, 1288, 1291],
    "first_bad_seq": null, "problem": null}))]
pub struct VerifyReport {
    /// Whether everything checked out.
    pub ok: bool,
    /// Records read.
    pub records: u64,
    /// Hex chain hash of the last record.
    pub head_hash: String,
    /// Base64 Merkle root of all records.
    pub root_hash: String,
    /// Tree sizes of the signed checkpoints checked (signature and root).
    pub checkpoints_checked: Vec<u64>,
    /// The first record found bad, when it can be named.
    #[schema(required = true)]
    pub first_bad_seq: Option<u64>,
    /// What is wrong, in words.
    #[schema(required = true)]
    pub problem: Option<String>,
}

/// Re-reads every record, recomputes the hash chain (naming the first bad
/// seq), rebuilds the Merkle tree and checks each checkpoint: its signature by
/// `key` (when given) and that the log's root at its size equals the signed
/// root. A log shorter than a checkpoint was truncated; a root that differs
/// means a record up to that size was rewritten (the chain alone cannot show
/// a rewrite whose chain was recomputed).
pub fn verify_log(
    log: &dyn EventLog,
    checkpoints: &[SignedCheckpoint],
    key: Option<&VerifierKey>,
) -> VerifyReport {
    let mut report = VerifyReport {
        ok: false,
        records: 0,
        head_hash: String::new(),
        root_hash: String::new(),
        checkpoints_checked: Vec::new(),
        first_bad_seq: None,
        problem: None,
    };
    let head = match log.verify() {
        Ok(h) => h,
        Err(StoreError::Corrupt { seq, reason }) => {
            report.first_bad_seq = Some(seq);
            report.problem = Some(format!("seq {seq}: {reason}"));
            return report;
        }
        Err(e) => {
            report.problem = Some(e.to_string());
            return report;
        }
    };
    report.records = head.seq;
    report.head_hash = hex::encode(head.hash);
    let mut tree = MerkleTree::new();
    let mut next = 1;
    while next <= head.seq {
        match log.read_range(next, 4096) {
            Ok(records) if !records.is_empty() => {
                for r in &records {
                    tree.push(leaf_hash(&r.hash));
                }
                next = records.last().map_or(head.seq + 1, |r| r.seq + 1);
            }
            Ok(_) => break,
            Err(e) => {
                report.problem = Some(e.to_string());
                return report;
            }
        }
    }
    report.root_hash = tree.root(tree.len()).map(|r| b64(&r)).unwrap_or_default();
    let mut last_good = 0;
    for c in checkpoints {
        let size = c.checkpoint.tree_size;
        if let Some(k) = key {
            if let Err(e) = c.verify(k) {
                report.problem = Some(format!(
                    "the checkpoint of size {size} is not signed by {}: {e}",
                    k.label()
                ));
                return report;
            }
        }
        if size > tree.len() {
            report.first_bad_seq = Some(tree.len() + 1);
            report.problem = Some(format!(
                "the log has {} records but a signed checkpoint covers {size}: records {}..={size} are missing (truncated)",
                tree.len(),
                tree.len() + 1
            ));
            return report;
        }
        match tree.root(size) {
            Ok(root) if root == c.checkpoint.root_hash => {
                last_good = size;
                report.checkpoints_checked.push(size);
            }
            _ => {
                report.problem = Some(format!(
                    "records 1..={size} do not give the root signed in the checkpoint of size {size}: a record in seqs {}..={size} was rewritten (its chain recomputed)",
                    last_good + 1
                ));
                return report;
            }
        }
    }
    report.ok = true;
    report
}
