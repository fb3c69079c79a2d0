//! The `grantledger` binary: parse the arguments, run the command, exit.

mod args;
mod commands;

/// jemalloc, not glibc's malloc: at 10^6 events the import is 17 % faster
/// and the server holds less (docs/PERFORMANCE.md, fifth step). Feature
/// `jemalloc` (default).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts (before `main`): one arena
/// instead of one per 4 threads per core, and freed pages handed back to
/// the system by a background thread after a second instead of kept for 10 s.
/// A server on the 10^6-event log then peaks ≈ 40 MiB lower, at the same
/// import and append rates (docs/PERFORMANCE.md, ninth step). The variable
/// `_RJEM_MALLOC_CONF` still overrides any of them at run time.
#[cfg(feature = "jemalloc")]
#[export_name = "_rjem_malloc_conf"]
static JEMALLOC_CONF: &[u8; 70] =
    b"narenas:1,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    let filter =
        || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Structured logs on stderr: text by default, JSON lines with --log-format json.
    if args.log_format == args::LogFormat::Json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    }
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
