//! One module per command.

mod import;
mod serve;

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
        } => {
            let config = grantledger_server::Config {
                data_dir,
                addr,
                max_body_bytes,
                max_batch,
                ..Default::default()
            };
            serve::serve(config, demo)
        }
        Command::Import {
            file,
            data_dir,
            batch,
        } => {
            let service = open(&data_dir)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let n = import(&service, &text, batch, &file.display().to_string())?;
            eprintln!(
                "stored {n} new events; head is seq {}",
                service.log().head().seq
            );
            Ok(())
        }
        Command::Verify { data_dir } => {
            if !data_dir.is_dir() {
                anyhow::bail!(
                    "{} is not a data directory (nothing to verify)",
                    data_dir.display()
                );
            }
            let log = SledLog::open(&data_dir)
                .with_context(|| format!("opening {}", data_dir.display()))?;
            let head = log.verify().context("the log does not verify")?;
            println!(
                "ok: {} records, head hash {}",
                head.seq,
                hex::encode(head.hash)
            );
            Ok(())
        }
    }
}

/// Opens the ledger service over the sled log in `dir`.
pub fn open(dir: &std::path::Path) -> anyhow::Result<grantledger_server::Service> {
    let log: Arc<dyn EventLog> = Arc::new(
        SledLog::open(dir).with_context(|| format!("opening the log in {}", dir.display()))?,
    );
    Ok(grantledger_server::Service::open(log)?)
}
