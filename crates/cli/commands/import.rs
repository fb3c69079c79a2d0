//! `grantledger import`: JSON Lines into the log, in atomic durable batches.

use anyhow::bail;
use grantledger_server::request::{parse_item, AppendRequest, Source};
use grantledger_server::Service;

/// Imports the events of `text` (JSON Lines; blank lines skipped) in batches
/// of `batch` events. Returns how many new events were stored (exact repeats
/// of stored events count as nothing new).
///
/// # Errors
/// The first refused line, named with its number and the field and rule; every
/// line before it stays stored.
pub fn import(service: &Service, text: &str, batch: usize, source: &str) -> anyhow::Result<u64> {
    let batch = batch.max(1);
    let mut pending: Vec<(usize, AppendRequest)> = Vec::with_capacity(batch);
    let mut stored = 0u64;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| anyhow::anyhow!("{source}:{line_no}: not valid JSON: {e}"))
            .and_then(|v| {
                parse_item(&v, Source::Import)
                    .map_err(|r| anyhow::anyhow!("{source}:{line_no}: {r}"))
            });
        match parsed {
            Ok(req) => pending.push((line_no, req)),
            Err(e) => {
                stored += flush(service, &mut pending, source)?;
                return Err(e.context(format!(
                    "import stopped; {stored} events before line {line_no} are stored"
                )));
            }
        }
        if pending.len() >= batch {
            stored += flush(service, &mut pending, source)?;
            eprintln!("stored {stored} new events (to line {line_no})");
        }
    }
    stored += flush(service, &mut pending, source)?;
    Ok(stored)
}

/// Appends the pending lines as one batch; if the batch is refused, appends
/// them one by one so that every line before the refused one is stored.
fn flush(
    service: &Service,
    pending: &mut Vec<(usize, AppendRequest)>,
    source: &str,
) -> anyhow::Result<u64> {
    if pending.is_empty() {
        return Ok(0);
    }
    let requests: Vec<AppendRequest> = pending.iter().map(|(_, r)| r.clone()).collect();
    if let Ok(out) = service.append(requests, "import") {
        pending.clear();
        return Ok(new_count(&out));
    }
    let mut stored = 0;
    for (line_no, req) in pending.drain(..) {
        match service.append(vec![req], "import") {
            Ok(out) => stored += new_count(&out),
            Err(e) => bail!("{source}:{line_no}: {} (field {}, rule {}); {stored} events of this batch before it are stored",
                e.detail, e.field.unwrap_or_default(), e.rule.unwrap_or_default()),
        }
    }
    Ok(stored)
}

fn new_count(out: &grantledger_server::service::AppendOutcome) -> u64 {
    if out.repeated {
        0
    } else {
        out.records.len() as u64
    }
}
