//! `grantledger export` and `grantledger import --verbatim` (docs/EXPORT.md).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use grantledger_server::export::{ExportLine, EXPORT_FORMAT};
use grantledger_server::Service;
use serde_json::json;

/// Records read per chunk.
const CHUNK: usize = 4096;

/// Writes `out/events.jsonl` (one [`ExportLine`] per record), `out/schemas/`
/// (the JSON Schemas of every kind), `out/checkpoints/` with `out/checkpoint.pub`
/// (the signed checkpoints issued and their verifier key) and `out/manifest.json`. Returns the
/// number of records written.
///
/// # Errors
/// `out` exists and is not empty, or a write or read fails.
pub fn export(service: &Service, out: &Path) -> anyhow::Result<u64> {
    if out.exists() && !out.is_dir() {
        bail!(
            "-o {} is a file; export writes into a new or empty directory",
            out.display()
        );
    }
    if out.exists() && out.read_dir()?.next().is_some() {
        bail!(
            "{} is not empty; export writes into a new or empty directory",
            out.display()
        );
    }
    std::fs::create_dir_all(out.join("schemas"))?;
    let head = service.log().head();
    let file = std::fs::File::create(out.join("events.jsonl"))?;
    let mut w = std::io::BufWriter::new(file);
    let mut next = 1;
    while next <= head.seq {
        let records = service.log().read_range(next, CHUNK)?;
        let Some(last) = records.last() else { break };
        next = last.seq + 1;
        for r in records.iter().filter(|r| r.seq <= head.seq) {
            let line: ExportLine = service
                .export_line(r)
                .with_context(|| format!("seq {} does not decode", r.seq))?;
            serde_json::to_writer(&mut w, &line)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()?;
    w.into_inner()?.sync_all()?;
    for (name, text) in grantledger_domain::schema::all_schemas() {
        std::fs::write(out.join("schemas").join(name), text)?;
    }
    let mut checkpoints = 0;
    if let Some(notary) = service.notary() {
        std::fs::create_dir_all(out.join("checkpoints"))?;
        for c in notary.stored()? {
            let size = c.checkpoint.tree_size;
            std::fs::write(
                out.join("checkpoints").join(format!("{size:020}.txt")),
                c.to_text(),
            )?;
            checkpoints += 1;
        }
        std::fs::write(
            out.join("checkpoint.pub"),
            notary.verifier().to_encoded() + "\n",
        )?;
    }
    let manifest = json!({
        "export_format": EXPORT_FORMAT,
        "generator": grantledger_server::query::GENERATOR,
        "records": head.seq,
        "head_hash": hex::encode(head.hash),
        "head_recorded_at": head.recorded_at,
        "events": "events.jsonl",
        "schemas": "schemas/",
        "checkpoints": checkpoints,
        "docs": "docs/EXPORT.md of the grantledger source",
    });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(head.seq)
}

/// Appends the records of an export's `events.jsonl` verbatim, in batches,
/// checking that each gets its exported seq and hash. Returns how many were stored.
///
/// # Errors
/// The first line that is malformed or does not reproduce, named by number;
/// the lines before it stay stored.
pub fn import_verbatim(
    service: &Service,
    text: &str,
    batch: usize,
    source: &str,
) -> anyhow::Result<u64> {
    let mut pending: Vec<(usize, ExportLine)> = Vec::new();
    let mut stored = 0u64;
    let flush = |pending: &mut Vec<(usize, ExportLine)>, stored: &mut u64| -> anyhow::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let lines: Vec<ExportLine> = pending.iter().map(|(_, l)| l.clone()).collect();
        let first = pending[0].0;
        let records = service.append_verbatim(&lines).map_err(|e| {
            anyhow::anyhow!(
                "{source} (batch from line {first}): {e}; {stored} records before it are stored"
            )
        })?;
        *stored += records.len() as u64;
        pending.clear();
        Ok(())
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ExportLine>(line) {
            Ok(l) => pending.push((i + 1, l)),
            Err(e) => {
                flush(&mut pending, &mut stored)?;
                bail!(
                    "{source}:{}: not an export line: {e}; {stored} records before it are stored",
                    i + 1
                );
            }
        }
        if pending.len() >= batch.max(1) {
            flush(&mut pending, &mut stored)?;
        }
    }
    flush(&mut pending, &mut stored)?;
    Ok(stored)
}
