//! `grantledger verify`: the offline check an auditor runs on a copy of the data.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use grantledger_server::transparency::{stored_checkpoints, verify_log, CHECKPOINT_DIR, KEY_FILE};
use grantledger_store::checkpoint::{SignedCheckpoint, SignerKey, VerifierKey};
use grantledger_store::SledLog;

/// A verifier key given literally (`name+keyid+base64`) or as a file holding it.
fn read_key(key: &str) -> anyhow::Result<VerifierKey> {
    let text = match std::fs::read_to_string(key) {
        Ok(t) => t,
        Err(_) => key.to_string(),
    };
    VerifierKey::from_encoded(text.trim())
        .map_err(|e| anyhow::anyhow!("--key: {e} (expected name+keyid+base64, as GET /api/v1/checkpoint/key gives, or a file holding it)"))
}

/// Verifies the log in `data_dir` against its stored checkpoints and the
/// `given` ones, with `key` (literal or file; default the directory's own key).
///
/// # Errors
/// Not a data directory, an unreadable checkpoint or key, or a log that does
/// not verify (naming the first bad seq and why).
pub fn verify(data_dir: &Path, given: &[PathBuf], key: Option<&str>) -> anyhow::Result<()> {
    super::require_data_dir(data_dir)?;
    let key = match key {
        Some(k) => Some(read_key(k)?),
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
            "ok: {} records, head hash {}, root {}, {}{}",
            report.records,
            report.head_hash,
            report.root_hash,
            match report.checkpoints_checked.len() {
                0 => "no signed checkpoint to match".to_string(),
                1 => "1 signed checkpoint matches".to_string(),
                n => format!("{n} signed checkpoints match"),
            },
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

/// Verifies two signed checkpoints with `key` and the consistency proof
/// between them (RFC 9162 §2.1.4.2): the newer log extends the older one.
///
/// # Errors
/// A file is unreadable or malformed, a signature does not verify, the proof
/// is for other sizes, or it does not prove consistency.
pub fn check_consistency(old: &Path, new: &Path, proof: &Path, key: &str) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let read = |p: &Path| -> anyhow::Result<SignedCheckpoint> {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let c =
            SignedCheckpoint::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        c.verify(&key)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        Ok(c)
    };
    let (old_c, new_c) = (read(old)?, read(new)?);
    if old_c.checkpoint.origin != new_c.checkpoint.origin {
        bail!(
            "the checkpoints are of different logs ({} and {})",
            old_c.checkpoint.origin,
            new_c.checkpoint.origin
        );
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(proof).with_context(|| format!("reading {}", proof.display()))?,
    )
    .with_context(|| format!("{} is not JSON", proof.display()))?;
    let (m, n) = (old_c.checkpoint.tree_size, new_c.checkpoint.tree_size);
    if json["from"].as_u64().is_none() || json["to"].as_u64().is_none() {
        bail!("{} is not a consistency proof: it needs `from`, `to` and `proof` as GET /api/v1/proofs/consistency gives", proof.display());
    }
    if json["from"].as_u64() != Some(m) || json["to"].as_u64() != Some(n) {
        bail!(
            "the proof is from {} to {}, the checkpoints are of sizes {m} and {n}",
            json["from"],
            json["to"]
        );
    }
    let hashes: Vec<Vec<u8>> = json["proof"]
        .as_array()
        .context("the proof JSON has no `proof` array")?
        .iter()
        .map(|h| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(h.as_str().unwrap_or_default())
                .context("a proof hash is not base64")
        })
        .collect::<anyhow::Result<_>>()?;
    grantledger_store::verify_consistency(
        m,
        n,
        &hashes,
        &old_c.checkpoint.root_hash,
        &new_c.checkpoint.root_hash,
    )
    .map_err(|e| {
        anyhow::anyhow!("the log of {n} records is NOT an extension of the one of {m}: {e}")
    })?;
    println!("ok: the log of {n} records extends the log of {m} records signed by {} (records 1..={m} are unchanged)", key.label());
    Ok(())
}
