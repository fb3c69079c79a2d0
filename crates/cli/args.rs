//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// grantledger: the compliance record of an ESF project as an immutable,
/// verifiable event log.
#[derive(Debug, Parser)]
#[command(name = "grantledger", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API over a sled data directory.
    Serve {
        /// The sled data directory (created if missing).
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "GRANTLEDGER_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the SINEC demo project (fixtures/sinec) into an empty store first.
        #[arg(long)]
        demo: bool,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 4 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Most events in one batch.
        #[arg(long, default_value_t = 5_000)]
        max_batch: usize,
    },
    /// Append the events of a JSON Lines file (one event object a line, as
    /// POST /api/v1/events takes, plus optional `recorded_at` and `actor`).
    /// Stops at the first refused line and names it; what came before stays stored.
    Import {
        /// The JSON Lines file.
        file: PathBuf,
        /// The sled data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
        /// Events appended per atomic, durable batch.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
    },
    /// Re-read every record of the log and recompute the hash chain; names the
    /// first bad seq.
    Verify {
        /// The sled data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
    },
}
