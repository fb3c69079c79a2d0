//! One module per command.

pub(crate) mod bench;
mod export;
mod gen;
mod import;
mod report;
mod serve;
mod token;
mod verify;

use std::sync::Arc;

use anyhow::Context;
use grantledger_store::{EventLog, SledLog};

use crate::args::{Cli, Command};

pub use import::import;

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            data_dir,
            addr,
            demo,
            max_body_bytes,
            max_batch,
            max_concurrent_requests,
            request_timeout_secs,
            signing_key,
            snapshot_every,
        } => {
            let config = grantledger_server::Config {
                data_dir,
                addr,
                max_body_bytes,
                max_batch,
                max_concurrent_requests,
                request_timeout_secs,
                signing_key,
                snapshot_every,
                ..Default::default()
            };
            serve::serve(config, demo)
        }
        Command::Import {
            file,
            data_dir,
            batch,
            verbatim,
        } => {
            if data_dir.exists() && !data_dir.is_dir() {
                anyhow::bail!(
                    "--data-dir {} is a file, not a directory",
                    data_dir.display()
                );
            }
            let reading = || format!("reading {}", file.display());
            if verbatim {
                let text = std::fs::read_to_string(&file).with_context(reading)?;
                let service = open(&data_dir)?;
                let n =
                    export::import_verbatim(&service, &text, batch, &file.display().to_string())?;
                eprintln!(
                    "stored {n} records verbatim; head is seq {}",
                    service.log().head().seq
                );
                return Ok(());
            }
            let input = std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(&file).with_context(reading)?,
            );
            let service = open_for_import(&data_dir)?;
            let n = import(&service, input, batch, &file.display().to_string())?;
            eprintln!("{n}; head is seq {}", service.log().head().seq);
            // every batch is durable; close the log, not the folded state
            drop(service.close_for_exit());
            Ok(())
        }
        Command::Export { data_dir, out } => {
            require_data_dir(&data_dir)?;
            let service = open(&data_dir)?;
            let n = export::export(&service, &out)?;
            eprintln!("exported {n} records to {}", out.display());
            Ok(())
        }
        Command::Verify {
            data_dir,
            checkpoint,
            key,
        } => verify::verify(&data_dir, &checkpoint, key.as_deref()),
        Command::Report { report } => report::run(report),
        Command::Replay { data_dir } => report::replay(&data_dir),
        Command::Bench(args) => bench::run(args),
        Command::Gen {
            participants,
            seed,
            out,
        } => gen::run(participants, seed, &out),
        Command::Token { action } => token::run(action),
        Command::CheckConsistency {
            old,
            new,
            proof,
            key,
        } => verify::check_consistency(&old, &new, &proof, &key),
    }
}

/// Refuses a path that holds no grantledger log, so that a mistyped
/// `--data-dir` is an error rather than a new, empty log.
///
/// # Errors
/// `dir` is not a directory or has no sled database in it.
pub fn require_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if !dir.is_dir() || !dir.join("db").is_file() || !dir.join("conf").is_file() {
        anyhow::bail!(
            "{} is not a grantledger data directory (no log in it)",
            dir.display()
        );
    }
    Ok(())
}

/// Opens the ledger service over the sled log in `dir`.
pub fn open(dir: &std::path::Path) -> anyhow::Result<grantledger_server::Service> {
    let (log, notary) = open_log(dir)?;
    Ok(grantledger_server::Service::open(log, Some(notary))?)
}

/// Opens the ledger service over the sled log in `dir` for a bulk import
/// (no history of derived dates, no snapshots: see `Service::open_for_import`).
pub fn open_for_import(dir: &std::path::Path) -> anyhow::Result<grantledger_server::Service> {
    let (log, notary) = open_log(dir)?;
    Ok(grantledger_server::Service::open_for_import(
        log,
        Some(notary),
    )?)
}

fn open_log(
    dir: &std::path::Path,
) -> anyhow::Result<(Arc<dyn EventLog>, grantledger_server::transparency::Notary)> {
    let log: Arc<dyn EventLog> = Arc::new(
        SledLog::open(dir).with_context(|| format!("opening the log in {}", dir.display()))?,
    );
    let notary = grantledger_server::transparency::Notary::open(dir, None)?;
    Ok((log, notary))
}
