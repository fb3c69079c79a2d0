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
    /// Log format on stderr (`RUST_LOG` sets the level; no tokens or personal
    /// data are ever logged).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "GRANTLEDGER_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
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
        /// Requests served at once; more wait their turn.
        #[arg(long, default_value_t = 256)]
        max_concurrent_requests: usize,
        /// Requests taking longer are answered 408 (seconds).
        #[arg(long, default_value_t = 60)]
        request_timeout_secs: u64,
        /// Sign checkpoints with this key file (C2SP `PRIVATE+KEY+…`, mode
        /// 0600) instead of DATA_DIR/checkpoint.key, which is made on first start.
        #[arg(long, env = "GRANTLEDGER_SIGNING_KEY")]
        signing_key: Option<PathBuf>,
        /// Records between the in-memory snapshots of the head state (0 =
        /// none). Smaller: findings, budget and reports at older prefixes
        /// answer sooner, and the server needs more memory and starts slower
        /// (docs/PERFORMANCE.md). Indicators at any prefix do not use them.
        #[arg(long, env = "GRANTLEDGER_SNAPSHOT_EVERY", default_value_t = grantledger_server::service::SNAPSHOT_EVERY)]
        snapshot_every: u64,
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
        /// Events written to the log per durable write (1 to 100 000). Each
        /// line is admitted on its own: a refused line stops the import and
        /// the lines before it are stored, in this write or an earlier one.
        #[arg(long, default_value_t = 1_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
        batch: usize,
        /// The file is a `grantledger export` (events.jsonl): store every
        /// record as it was (same ids, record times, bytes and hashes) without
        /// re-applying the admission rules; each record must reproduce its hash.
        #[arg(long)]
        verbatim: bool,
    },
    /// Export the log for archiving (DOMAIN.md R5.6): events.jsonl with every
    /// record and its hash, the JSON Schemas and a manifest (docs/EXPORT.md).
    Export {
        /// The sled data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
        /// The directory to write (new or empty).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Re-read every record, recompute the hash chain and the Merkle tree, and
    /// check every signed checkpoint kept in the data directory and given
    /// with --checkpoint; name the first bad seq and why. Exit code 1 when the
    /// log does not verify. Stop the server first (sled locks its directory).
    Verify {
        /// The sled data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
        /// A signed checkpoint (C2SP signed note) kept from earlier, e.g. the
        /// one pinned in a report_submitted; repeatable.
        #[arg(long)]
        checkpoint: Vec<PathBuf>,
        /// The verifier key (`name+keyid+base64`, GET /api/v1/checkpoint/key)
        /// to check signatures with; default: the data directory's own key.
        #[arg(long)]
        key: Option<String>,
    },
    /// Check, without the data, that a log only grew between two signed
    /// checkpoints: verifies both signatures and the RFC 6962 consistency proof
    /// saved from GET /api/v1/proofs/consistency?from=OLD_SIZE&to=NEW_SIZE.
    CheckConsistency {
        /// The older signed checkpoint (e.g. the one pinned in a report_submitted).
        #[arg(long)]
        old: PathBuf,
        /// The newer signed checkpoint (GET /api/v1/checkpoint).
        #[arg(long)]
        new: PathBuf,
        /// The proof JSON (`{"from", "to", "proof": [base64...]}`).
        #[arg(long)]
        proof: PathBuf,
        /// The verifier key (`name+keyid+base64`, GET /api/v1/checkpoint/key).
        #[arg(long)]
        key: String,
    },
    /// Build a report offline from a data directory (stop the server first).
    Report {
        /// Which report.
        #[command(subcommand)]
        report: ReportCommand,
    },
    /// Manage the API's bearer tokens in DATA_DIR/tokens.json (kept only as
    /// SHA-256 hashes; a running server sees changes at its next request).
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Write a valid, realistic project of any size as JSON Lines for
    /// `grantledger import` (courses, sessions, attendance, timesheets,
    /// expenses, corrections, reports); the same N and seed give the same bytes.
    Gen {
        /// Number of participants (about 28 events each: 36 000 make ≈ 10^6 events).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
        participants: u32,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The JSON Lines file to write.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Rebuild every projection from seq 1 and check that it equals the
    /// state folded one record at a time with queries in between, keeping
    /// the history of derived dates as the server does (its indicators at
    /// each report marker must equal those computed then); compare every
    /// period report built from both. Prints both fold rates (events/s).
    Replay {
        /// The sled data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
    },
    /// Whole-run benchmarks (performance issue) on generated logs of each
    /// size: durable import, replay, point-in-time queries and concurrent
    /// appends over HTTP against a served copy; figures beside the targets.
    Bench(crate::commands::bench::BenchArgs),
}

/// Token management.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once on stdout (its id on stderr).
    Add {
        /// viewer (figures; participants by id only), auditor (everything,
        /// names included), manager (append and read) or admin (everything,
        /// including erasure).
        #[arg(long)]
        role: grantledger_server::auth::Role,
        /// Who holds it; appends are recorded with actor `ROLE:NAME`.
        #[arg(long)]
        name: String,
        /// The data directory (created if missing).
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
    },
    /// List the tokens: id, role, created_at, revoked, name (never the hashes).
    List {
        /// The data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
    },
    /// Revoke a token by id; a running server refuses it from its next request.
    Revoke {
        /// The token id (8 hex digits, from `token add` or `token list`).
        id: String,
        /// The data directory.
        #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
        data_dir: PathBuf,
    },
}

/// The reports.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The monitoring-period report (DOMAIN.md R5.3).
    Period {
        /// Monitoring period number.
        no: u32,
        #[command(flatten)]
        common: ReportArgs,
    },
    /// The corrections report: the period's report as submitted beside now (R5.4).
    Corrections {
        /// Monitoring period number.
        no: u32,
        #[command(flatten)]
        common: ReportArgs,
    },
}

/// What every report takes.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// json, csv, xlsx or html.
    #[arg(long, default_value = "json")]
    pub format: String,
    /// Output file (default: standard output).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Valid date, inclusive (default: the period's end).
    #[arg(long)]
    pub as_of: Option<jiff::civil::Date>,
    /// The log as known at this instant (RFC 3339).
    #[arg(long, conflicts_with = "at_seq")]
    pub known_at: Option<jiff::Timestamp>,
    /// The log prefix seq ≤ N (default: the head).
    #[arg(long)]
    pub at_seq: Option<u64>,
    /// The sled data directory.
    #[arg(long, env = "GRANTLEDGER_DATA_DIR", default_value = "grantledger-data")]
    pub data_dir: PathBuf,
}
