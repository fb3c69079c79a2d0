//! `grantledger import`: JSON Lines into the log, in atomic durable batches.
//!
//! The file is streamed: a reader thread reads and parses batches of lines
//! while the calling thread admits and appends the previous batch, so
//! parsing and admission use both cores and memory stays bounded by two
//! batches, whatever the file's size.

use std::io::BufRead;
use std::sync::mpsc;

use grantledger_server::request::{parse_line, AppendRequest};
use grantledger_server::service::{ImportError, Importer};
use grantledger_server::Service;

/// Batches parsed ahead of the appender.
const PARSED_AHEAD: usize = 2;

/// What the reader thread hands over: a parsed batch, then maybe the first
/// line it could not read or parse.
enum Parsed {
    Batch(Vec<(usize, AppendRequest)>),
    Refused(usize, anyhow::Error),
}

/// What an import did: the events it read and how many of them were new
/// (stored); the rest were exact repeats of stored events, skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Events read (one per non-blank line).
    pub events: u64,
    /// New events stored.
    pub stored: u64,
}

impl std::fmt::Display for Imported {
    /// "stored 3 new events", with "; 2 already in the log (exact repeats,
    /// skipped)" when some were.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stored {}", new_events(self.stored))?;
        match self.events.saturating_sub(self.stored) {
            0 => Ok(()),
            n => write!(f, "; {n} already in the log (exact repeats, skipped)"),
        }
    }
}

/// Imports the events read from `input` (JSON Lines; blank lines skipped) in
/// batches of `batch` events. Returns how many events were read and how many
/// of them were new (exact repeats of stored events count as nothing new).
/// `source` names the input in messages.
///
/// # Errors
/// The first refused line, named with its number and the field and rule; every
/// line before it stays stored. A read error of `input` likewise.
pub fn import(
    service: &Service,
    input: impl BufRead + Send,
    batch: usize,
    source: &str,
) -> anyhow::Result<Imported> {
    let batch = batch.max(1);
    let stored = service.import(|importer| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Parsed>(PARSED_AHEAD);
            scope.spawn(move || read_batches(input, batch, source, &tx));
            let mut stored = 0u64;
            let mut events = 0u64;
            let mut last_line = 0;
            for parsed in rx {
                match parsed {
                    Parsed::Batch(mut pending) => {
                        last_line = pending.last().map_or(last_line, |(n, _)| *n);
                        events += pending.len() as u64;
                        stored += flush(importer, &mut pending, source, stored)?;
                        eprintln!(
                            "{} admitted so far (lines 1–{last_line} read)",
                            new_events(stored)
                        );
                    }
                    Parsed::Refused(line_no, e) => {
                        importer.drain().map_err(api_error)?;
                        let skipped = match events.saturating_sub(stored) {
                            0 => String::new(),
                            n => format!(" ({n} already in the log, skipped as exact repeats)"),
                        };
                        return Err(e.context(format!(
                            "import stopped; {} before line {line_no}{skipped}",
                            stored_events(stored)
                        )));
                    }
                }
            }
            Ok(Imported { events, stored })
        })
    });
    stored.map_err(api_error)?
}

/// A storage error of the import as a message.
fn api_error(e: grantledger_server::ApiError) -> anyhow::Error {
    anyhow::anyhow!("import stopped: {}", e.detail)
}

/// The reader thread: parses lines into batches and sends them; stops at the
/// first bad line (after sending the batch before it) or when the receiver
/// is gone (the appender refused a batch).
fn read_batches(input: impl BufRead, batch: usize, source: &str, tx: &mpsc::SyncSender<Parsed>) {
    let mut pending: Vec<(usize, AppendRequest)> = Vec::with_capacity(batch);
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let parsed = line
            .map_err(|e| anyhow::anyhow!("{source}:{line_no}: cannot be read: {e}"))
            .and_then(|line| {
                // A byte-order mark some editors put at the start of a file.
                let line = if line_no == 1 {
                    line.strip_prefix('\u{feff}').unwrap_or(&line)
                } else {
                    &line
                };
                if line.trim().is_empty() {
                    return Ok(None);
                }
                parse_line(line)
                    .map(Some)
                    .map_err(|e| anyhow::anyhow!("{source}:{line_no}: {e}"))
            });
        match parsed {
            Ok(None) => {}
            Ok(Some(req)) => {
                // A report pins a signed checkpoint of the log up to its
                // at_seq, which needs the records before it stored: it ends
                // the batch before it and goes alone.
                let alone = matches!(req.event, grantledger_domain::Event::ReportSubmitted(_));
                if alone
                    && !pending.is_empty()
                    && tx
                        .send(Parsed::Batch(std::mem::replace(
                            &mut pending,
                            Vec::with_capacity(batch),
                        )))
                        .is_err()
                {
                    return;
                }
                pending.push((line_no, req));
                if alone || pending.len() >= batch {
                    let full = std::mem::replace(&mut pending, Vec::with_capacity(batch));
                    if tx.send(Parsed::Batch(full)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                if !pending.is_empty() && tx.send(Parsed::Batch(pending)).is_err() {
                    return;
                }
                let _ = tx.send(Parsed::Refused(line_no, e));
                return;
            }
        }
    }
    if !pending.is_empty() {
        let _ = tx.send(Parsed::Batch(pending));
    }
}

/// Appends the pending lines as one batch; if the batch is refused, appends
/// them one by one so that every line before the refused one is stored (the
/// requests are kept, not copied, for that). `before`: new events stored by
/// earlier batches (for the message).
fn flush(
    importer: &mut Importer<'_>,
    pending: &mut Vec<(usize, AppendRequest)>,
    source: &str,
    before: u64,
) -> anyhow::Result<u64> {
    if pending.is_empty() {
        return Ok(0);
    }
    let (lines, mut requests): (Vec<usize>, Vec<AppendRequest>) = pending.drain(..).unzip();
    let refused = match importer.append(&mut requests, "import") {
        Ok(n) => return Ok(n),
        Err(ImportError::Failed(e)) => return Err(failed(importer, &e)),
        Err(ImportError::Refused(e)) => e,
    };
    // A refused append has waited for every batch before it to be durable:
    // the counts are of stored events.
    let stop = |line_no: usize, stored: u64, e: grantledger_server::ApiError| {
        anyhow::anyhow!(
            "import stopped; {} before line {line_no}: {source}:{line_no}: {} (field {}, rule {})",
            stored_events(before + stored),
            e.detail,
            e.field.unwrap_or_default(),
            e.rule.unwrap_or_default()
        )
    };
    if let [line_no] = lines[..] {
        // One event: the error is already its own (a report goes alone).
        return Err(stop(line_no, 0, refused));
    }
    let mut stored = 0;
    for (line_no, req) in lines.into_iter().zip(requests.iter_mut()) {
        match importer.append(std::slice::from_mut(req), "import") {
            Ok(n) => stored += n,
            Err(ImportError::Refused(e)) => return Err(stop(line_no, stored, e)),
            Err(ImportError::Failed(e)) => return Err(failed(importer, &e)),
        }
    }
    Ok(stored)
}

/// The message of an import that could not write: what failed and how many
/// new events are stored (the lines after them are not).
fn failed(importer: &Importer<'_>, e: &grantledger_server::ApiError) -> anyhow::Error {
    anyhow::anyhow!(
        "import stopped: {}; {}, the lines after them are not",
        e.detail,
        stored_events(importer.stored())
    )
}

/// "N new events are stored", for the message of a stopped import.
fn stored_events(n: u64) -> String {
    let verb = if n == 1 { "is" } else { "are" };
    format!("{} {verb} stored", new_events(n))
}

/// "1 new event", "N new events".
pub(crate) fn new_events(n: u64) -> String {
    if n == 1 {
        "1 new event".to_string()
    } else {
        format!("{n} new events")
    }
}
