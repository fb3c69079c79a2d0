//! `grantledger verify`: the offline check an auditor runs on a copy of the data.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use grantledger_server::transparency::{stored_checkpoints, verify_log, CHECKPOINT_DIR, KEY_FILE};
use grantledger_store::checkpoint::{SignedCheckpoint, SignerKey, VerifierKey};
use grantledger_store::SledLog;

/// Verifies the log in `data_dir` against its stored checkpoints and `given`
/// ones, with `key` (or the directory's own signing key) for signatures.
/// Prints a report; fails naming the first bad seq and why.
pub fn verify(data_dir: &Path, given: &[PathBuf], key: Option<&str>) -> anyhow::Result<()> {
    if !data_dir.is_dir() {
        bail!(
            "{} is not a data directory (nothing to verify)",
            data_dir.display()
        );
    }
    let key = match key {
        Some(k) => {
            Some(VerifierKey::from_encoded(k.trim()).map_err(|e| anyhow::anyhow!("--key: {e}"))?)
        }
        None => match std::fs::read_to_string(data_dir.join(KEY_FILE)) {
            Ok(text) => Some(
                SignerKey::from_encoded(text.trim())
                    .map_err(|e| anyhow::anyhow!("{KEY_FILE}: {e}"))?
                    .verifier(),
            ),
            Err(_) => None,
        },
    };
    let mut checkpoints = stored_checkpoints(&data_dir.join(CHECKPOINT_DIR))?;
    for path in given {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        checkpoints.push(
            SignedCheckpoint::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    checkpoints.sort_by_key(|c| c.checkpoint.tree_size);
    if !given.is_empty() && key.is_none() {
        bail!("no key to check the checkpoints' signatures: pass --key name+keyid+base64");
    }
    let log = match SledLog::open(data_dir) {
        Ok(log) => log,
        Err(e) => bail!("the log does not open: {e}"),
    };
    let report = verify_log(&log, &checkpoints, key.as_ref());
    if report.ok {
        println!(
            "ok: {} records, head hash {}, root {}, {} signed checkpoints match{}",
            report.records,
            report.head_hash,
            report.root_hash,
            report.checkpoints_checked.len(),
            key.map(|k| format!(" (key {})", k.label()))
                .unwrap_or_default()
        );
        Ok(())
    } else {
        let at = report
            .first_bad_seq
            .map(|s| format!("first bad seq {s}: "))
            .unwrap_or_default();
        bail!(
            "the log does not verify: {at}{}",
            report.problem.unwrap_or_default()
        )
    }
}
