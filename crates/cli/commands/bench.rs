//! `grantledger bench`: whole-run benchmarks (issue 7) on generated logs.
//!
//! For each `--participants` size (≈ 28 events per participant, so 360 /
//! 3 600 / 36 000 ≈ 10^4 / 10^5 / 10^6 events) in a work directory:
//!
//! 1. generates the project (`grantledger gen`, in-process) as JSON Lines;
//! 2. imports it into a fresh data directory in durable batches (in-process,
//!    the `grantledger import` code): events/s, peak RSS of this process;
//! 3. measures the encoded size (the sum of the stored record values, as the
//!    store encodes them) and the bytes on disk (`du`: allocated blocks of
//!    every file of the data directory): bytes/event and disk/encoded;
//! 4. replays every projection from seq 1 (in-process): read + decode + fold
//!    from the sled log, and the fold alone over decoded envelopes: events/s;
//! 5. starts `grantledger serve` on the data directory as a child process on a
//!    free loopback port (with a manager token made for the run) and, over
//!    HTTP from this process: `--pairs` random older points (`as_of`
//!    uniform in the project period, a seq P uniform in 1..=head, asked half
//!    as `at_seq=P` and half as `known_at=` the `recorded_at` of record P)
//!    and as many at the head with random `as_of`, for the indicators, the
//!    findings and the period report (of the period holding `as_of`), one
//!    request at a time on one keep-alive connection: p50/p99/max latency per
//!    endpoint; then `--appends` single-event POSTs (`workshop_held` with fresh
//!    ids) from `--clients` concurrent keep-alive clients, every one acknowledged
//!    durable (201): events/s and p50/p99/max latency; then the server's peak
//!    RSS (`VmHWM`); then stops it (SIGTERM, then kill).
//!
//! Queries run before the appends so that they see exactly the generated log.
//! Prints a table of figures against the targets per size, a growth
//! table across sizes, and writes every figure as JSON with `--json`
//! (`bench/plot.py` turns that into docs/perf-growth.png).

mod http;

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use grantledger_domain::{Date, Event};
use grantledger_projections::{Ledger, PreparedFact};
use grantledger_server::auth::{Role, TokenStore};
use grantledger_server::service::{envelope, fold, over_log};
use grantledger_store::{EventLog, SledLog};
use serde_json::{json, Value};

/// Issue 7's targets (2-core machine, 10^6 events).
const TARGET_IMPORT_EPS: f64 = 350_000.0;
const TARGET_APPEND_EPS: f64 = 10_000.0;
const TARGET_APPEND_P99_MS: f64 = 10.0;
const TARGET_REPLAY_EPS: f64 = 1_000_000.0;
const TARGET_HEAD_P99_MS: f64 = 1.0;
const TARGET_ANY_P99_MS: f64 = 10.0;
const TARGET_RSS_MIB: f64 = 512.0;
const TARGET_DISK_RATIO: f64 = 2.0;
/// Marks a per-size directory as made by `bench`, so a rerun may remove it.
const MARKER: &str = ".grantledger-bench";
const MIB: f64 = 1024.0 * 1024.0;

/// Arguments of `grantledger bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Project sizes in participants (≈ 28 events each for large projects,
    /// more for small ones), one run per size.
    #[arg(long, value_delimiter = ',', default_values_t = [360u32, 3_600, 36_000],
        value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub participants: Vec<u32>,
    /// Seed of the generator and of the random query points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Work directory (one `p{N}` subdirectory per size); default: a new
    /// temporary directory, removed at the end unless --keep.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the generated files and data directories.
    #[arg(long)]
    pub keep: bool,
    /// Events per durable import batch (1 to 100 000).
    #[arg(long, default_value_t = 5_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub batch: usize,
    /// Random (as_of, at_seq | known_at) points per endpoint (half each), and as many at the head.
    #[arg(long, default_value_t = 1_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub pairs: usize,
    /// Concurrent HTTP clients appending.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub clients: u32,
    /// Single-event POSTs in all, shared among the clients (leave the stage
    /// out with `--only` instead of asking for 0).
    #[arg(long, default_value_t = 20_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    pub appends: usize,
    /// Stop a set of queries after this many seconds (the figures then say
    /// how many were made).
    #[arg(long, default_value_t = 300)]
    pub max_query_secs: u64,
    /// Seconds to wait for the server to answer /healthz (it folds the whole
    /// log when it starts).
    #[arg(long, default_value_t = 900)]
    pub startup_timeout_secs: u64,
    /// RUST_LOG of the server child (its log goes to p{N}/server.log).
    #[arg(long, default_value = "warn")]
    pub server_log: String,
    /// Only these stages (import always runs): replay, query, append.
    #[arg(long, value_delimiter = ',', value_enum)]
    pub only: Vec<Stage>,
    /// Write every figure to this JSON file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// `serve --snapshot-every` for the served copy (records between
    /// snapshots; 0 = none); default: serve's own default.
    #[arg(long)]
    pub snapshot_every: Option<u64>,
}

/// What a run measures besides the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Full replay of every projection from seq 1, in-process.
    Replay,
    /// Point-in-time queries over HTTP.
    Query,
    /// Concurrent single-event appends over HTTP.
    Append,
}

impl BenchArgs {
    fn wants(&self, s: Stage) -> bool {
        self.only.is_empty() || self.only.contains(&s)
    }
}

/// Runs `grantledger bench`.
///
/// # Errors
/// Any step failing (generation, import, a refused append, a failed query,
/// the server not starting); the server child is stopped in every case.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.participants.is_empty() {
        bail!("--participants needs at least one size");
    }
    let (work, temporary) = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            (d.clone(), false)
        }
        None => {
            let nanos = jiff::Timestamp::now().as_nanosecond();
            let d = std::env::temp_dir()
                .join(format!("grantledger-bench-{}-{nanos}", std::process::id()));
            std::fs::create_dir(&d).with_context(|| format!("creating {}", d.display()))?;
            (d, true)
        }
    };
    let machine = machine(&work);
    eprintln!(
        "bench: work directory {} ({})",
        work.display(),
        machine["filesystem"].as_str().unwrap_or("unknown")
    );
    if machine["filesystem"] == "tmpfs" {
        eprintln!("bench: warning: {} is in memory (tmpfs): durability and disk figures mean little; use --dir on a real disk", work.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut runs = Vec::new();
    let mut outcome = Ok(());
    for &n in &args.participants {
        match run_size(&args, &runtime, &work, n) {
            Ok(r) => {
                print_size(&r);
                runs.push(r);
            }
            Err(e) => {
                outcome = Err(e.context(format!("bench with {n} participants")));
                break;
            }
        }
    }
    if runs.len() > 1 {
        print_growth(&runs);
    }
    let doc = json!({
        "generator": format!("grantledger {}", env!("CARGO_PKG_VERSION")),
        "measured_at": jiff::Timestamp::now().to_string(),
        "machine": machine,
        "settings": {
            "seed": args.seed, "batch": args.batch, "pairs": args.pairs,
            "clients": args.clients, "appends": args.appends,
            "max_query_secs": args.max_query_secs, "server_log": args.server_log,
        },
        "targets": {
            "import_events_per_s": TARGET_IMPORT_EPS, "append_events_per_s": TARGET_APPEND_EPS,
            "append_p99_ms": TARGET_APPEND_P99_MS, "replay_events_per_s": TARGET_REPLAY_EPS,
            "indicators_head_p99_ms": TARGET_HEAD_P99_MS, "indicators_any_p99_ms": TARGET_ANY_P99_MS,
            "server_peak_rss_mib": TARGET_RSS_MIB, "disk_per_encoded": TARGET_DISK_RATIO,
        },
        "runs": runs,
    });
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("bench: figures written to {}", path.display());
    }
    // A failed run keeps its files (the server's log among them).
    if temporary && !args.keep && outcome.is_ok() {
        if let Err(e) = std::fs::remove_dir_all(&work) {
            eprintln!("bench: could not remove {}: {e}", work.display());
        }
    } else {
        eprintln!("bench: files kept in {}", work.display());
    }
    outcome
}

/// One size: every stage, its figures as JSON.
fn run_size(
    args: &BenchArgs,
    runtime: &tokio::runtime::Runtime,
    work: &Path,
    participants: u32,
) -> anyhow::Result<Value> {
    let dir = work.join(format!("p{participants}"));
    if dir.exists() {
        if !dir.join(MARKER).is_file() {
            bail!(
                "{} exists and was not made by `grantledger bench`; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), b"made by grantledger bench\n")?;
    let file = dir.join("events.jsonl");
    let data = dir.join("data");

    // 1. generate
    eprintln!(
        "bench: generating {participants} participants into {}",
        file.display()
    );
    let t = Instant::now();
    {
        let f =
            std::fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        super::gen::generate(participants, args.seed, &mut w)?;
        w.flush()
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let gen_s = t.elapsed().as_secs_f64();
    let jsonl_bytes = std::fs::metadata(&file)?.len();

    // 2. import, durable batches, reading the file as `grantledger import` does
    let input = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(&file).with_context(|| format!("reading {}", file.display()))?,
    );
    reset_peak_rss();
    let t = Instant::now();
    let service = super::open_for_import(&data)?;
    let open_s = t.elapsed().as_secs_f64();
    eprintln!(
        "bench: importing {} (batches of {})",
        file.display(),
        args.batch
    );
    let t = Instant::now();
    let stored = super::import(&service, input, args.batch, &file.display().to_string())?.stored;
    let import_s = t.elapsed().as_secs_f64();
    let import_rss = self_peak_rss();
    let head = service.log().head().seq;
    drop(service);
    let import_eps = stored as f64 / import_s.max(1e-9);
    eprintln!("bench: imported {stored} events in {import_s:.2} s ({import_eps:.0} events/s)");
    let disk_after_import = disk_usage(&data)?;

    // 3 + 4. encoded size; replay
    let replay = replay_figures(&data, head, args.wants(Stage::Replay))?;
    let encoded = replay.encoded_bytes;
    let disk_ratio = disk_after_import.allocated as f64 / (encoded as f64).max(1.0);

    // 5. the server
    let server = if args.wants(Stage::Query) || args.wants(Stage::Append) {
        Some(serve_figures(
            args,
            runtime,
            &dir,
            &data,
            head,
            &replay.project,
        )?)
    } else {
        None
    };
    let disk_at_end = disk_usage(&data)?;

    Ok(json!({
        "participants": participants,
        "events": head,
        "generate": {"seconds": gen_s, "jsonl_bytes": jsonl_bytes,
            "jsonl_bytes_per_event": jsonl_bytes as f64 / (head.max(1)) as f64},
        "import": {"events": stored, "seconds": import_s, "events_per_s": import_eps,
            "open_seconds": open_s, "batch": args.batch,
            "peak_rss_bytes": import_rss, "peak_rss_mib": import_rss.map(|b| b as f64 / MIB)},
        "disk": {
            "encoded_bytes": encoded,
            "encoded_bytes_per_event": encoded as f64 / (head.max(1)) as f64,
            "allocated_bytes": disk_after_import.allocated,
            "apparent_bytes": disk_after_import.apparent,
            "allocated_bytes_per_event": disk_after_import.allocated as f64 / (head.max(1)) as f64,
            "disk_per_encoded": disk_ratio,
            "allocated_bytes_at_end": disk_at_end.allocated,
        },
        "replay": replay.json,
        "server": server,
    }))
}

/// What the read pass found, and the replay timings.
struct ReplayFigures {
    encoded_bytes: u64,
    project: Project,
    json: Value,
}

/// The project's calendar, for choosing query points.
#[derive(Clone, Debug)]
pub(crate) struct Project {
    pub start: Date,
    pub end: Date,
    /// (no, start, end) of every monitoring period.
    pub periods: Vec<(u32, Date, Date)>,
}

impl Project {
    /// The monitoring period holding `d`, else the last one.
    pub fn period_of(&self, d: Date) -> u32 {
        self.periods
            .iter()
            .find(|(_, s, e)| *s <= d && d <= *e)
            .or(self.periods.last())
            .map_or(1, |p| p.0)
    }
}

fn replay_figures(data: &Path, head: u64, timed: bool) -> anyhow::Result<ReplayFigures> {
    let log: Arc<dyn EventLog> =
        Arc::new(SledLog::open(data).with_context(|| format!("opening {}", data.display()))?);
    let mut json = json!({});
    if timed {
        eprintln!("bench: replaying {head} events from seq 1");
        // read + decode + fold straight from the sled log, as the server does
        let t = Instant::now();
        let ledger = fold(log.as_ref(), over_log(Ledger::default(), &log), head)?;
        let full_s = t.elapsed().as_secs_f64();
        if ledger.at_seq() != head {
            bail!("replay stopped at seq {} of {head}", ledger.at_seq());
        }
        drop(ledger);
        json["seconds"] = json!(full_s);
        json["events_per_s"] = json!(head as f64 / full_s.max(1e-9));
    }
    // read pass: the encoded size, and the envelopes for the fold alone
    let mut encoded = 0u64;
    let mut envelopes = Vec::with_capacity(usize::try_from(head).unwrap_or(0));
    let mut read_s = 0.0;
    let mut next = 1;
    while next <= head {
        let t = Instant::now();
        let records = log.read_range(next, 4096)?;
        read_s += t.elapsed().as_secs_f64();
        let Some(last) = records.last() else { break };
        next = last.seq + 1;
        for r in &records {
            encoded += grantledger_store::codec::encode_record(r)?.len() as u64;
        }
        let t = Instant::now();
        for r in &records {
            // with its fact from the stored payload, as the server's replay reads it
            let fact = PreparedFact::of_stored(&r.kind, r.schema_version, r.event_id, &r.payload);
            envelopes.push((envelope(r)?, fact));
        }
        read_s += t.elapsed().as_secs_f64();
    }
    let project = envelopes
        .iter()
        .find_map(|(e, _)| match &e.event {
            Event::ProjectDefined(p) => Some(Project {
                start: p.period.start,
                end: p.period.end,
                periods: p
                    .monitoring_periods
                    .iter()
                    .map(|m| (m.no, m.start, m.end))
                    .collect(),
            }),
            _ => None,
        })
        .context("the log has no project_defined")?;
    if timed {
        // the envelopes by value, as a replay from the store has them
        let n = envelopes.len();
        let t = Instant::now();
        let mut ledger = over_log(Ledger::default(), &log);
        for (e, fact) in envelopes {
            ledger.apply_prepared(e, fact);
        }
        let fold_s = t.elapsed().as_secs_f64();
        std::hint::black_box(&ledger);
        json["read_decode_seconds"] = json!(read_s);
        json["fold_seconds"] = json!(fold_s);
        json["fold_events_per_s"] = json!(n as f64 / fold_s.max(1e-9));
    }
    Ok(ReplayFigures {
        encoded_bytes: encoded,
        project,
        json,
    })
}

/// Starts the server child, runs the HTTP stages, stops it.
fn serve_figures(
    args: &BenchArgs,
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    data: &Path,
    head: u64,
    project: &Project,
) -> anyhow::Result<Value> {
    let token = TokenStore::new(data)
        .add(Role::Manager, "bench")
        .context("making the bench's manager token")?
        .secret;
    let exe = std::env::current_exe().context("finding this binary")?;
    eprintln!(
        "bench: starting `{} serve` on {}",
        exe.display(),
        data.display()
    );
    let mut server = http::Server::start(
        &exe,
        data,
        &dir.join("server.log"),
        &args.server_log,
        args.snapshot_every,
        Duration::from_secs(args.startup_timeout_secs),
        runtime,
    )?;
    let result = runtime.block_on(async {
        let mut out = json!({
            "startup_seconds": server.startup_s,
            "addr": server.base,
            "snapshot_every": args.snapshot_every,
        });
        if args.wants(Stage::Query) {
            let q = http::Queries {
                base: &server.base,
                token: &token,
                project,
                head,
                pairs: args.pairs,
                seed: args.seed,
                budget: Duration::from_secs(args.max_query_secs),
            };
            out["queries"] = q.run().await?;
        }
        if args.wants(Stage::Append) && args.appends > 0 {
            eprintln!(
                "bench: {} single-event appends from {} clients",
                args.appends, args.clients
            );
            out["appends"] = http::appends(
                &server.base,
                &token,
                args.clients as usize,
                args.appends,
                project,
            )
            .await?;
        }
        anyhow::Ok(out)
    });
    let rss = server.peak_rss();
    let stopped = server.stop();
    let mut out = result?;
    stopped?;
    out["peak_rss_bytes"] = json!(rss.map(|r| r.0));
    out["peak_rss_mib"] = json!(rss.map(|r| r.0 as f64 / MIB));
    out["rss_at_end_bytes"] = json!(rss.map(|r| r.1));
    Ok(out)
}

// ------------------------------------------------------------ measurements

/// Allocated (`du`) and apparent (`du --apparent-size`) bytes of a tree.
struct Disk {
    allocated: u64,
    apparent: u64,
}

fn disk_usage(dir: &Path) -> anyhow::Result<Disk> {
    use std::os::unix::fs::MetadataExt;
    let mut d = Disk {
        allocated: 0,
        apparent: 0,
    };
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        for entry in std::fs::read_dir(&p).with_context(|| format!("listing {}", p.display()))? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                d.allocated += meta.blocks() * 512;
                d.apparent += meta.len();
            }
        }
    }
    Ok(d)
}

/// A `/proc/PID/status` field in bytes (`VmHWM`, `VmRSS`).
pub(crate) fn proc_status_bytes(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resets this process's peak RSS (Linux `clear_refs` 5); ignored elsewhere.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn self_peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    proc_status_bytes(&s, "VmHWM:")
}

fn machine(work: &Path) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| proc_status_bytes(&s, "MemTotal:"));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    json!({
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "cpu": cpu,
        "memory_bytes": mem,
        "kernel": kernel,
        "filesystem": filesystem_of(work),
    })
}

/// The type of the filesystem holding `path` (the longest mount point that
/// is a prefix of it in /proc/mounts).
fn filesystem_of(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown".into();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, mount, kind) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(mount)
                .then(|| (mount.len(), kind.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".into(), |(_, kind)| kind)
}

// ------------------------------------------------------------------ output

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn fmt_num(v: Option<f64>, digits: usize) -> String {
    match v {
        None => "—".into(),
        Some(x) if x >= 10_000.0 && digits == 0 => group(x.round() as u64),
        Some(x) => format!("{x:.digits$}"),
    }
}

/// 1234567 → "1 234 567".
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The rows of the per-size table: figure, value, target, met.
fn rows(r: &Value) -> Vec<(String, String, String, String)> {
    let mut rows = Vec::new();
    let mut row = |name: &str, v: Option<f64>, digits: usize, target: Option<(&str, f64)>| {
        let (t, met) = match (target, v) {
            (Some((op, t)), Some(x)) => {
                let ok = if op == "≥" { x >= t } else { x <= t };
                (
                    format!("{op} {}", fmt_num(Some(t), 0)),
                    if ok { "yes" } else { "NO" }.to_string(),
                )
            }
            (Some((op, t)), None) => (format!("{op} {}", fmt_num(Some(t), 0)), "—".into()),
            (None, _) => (String::new(), String::new()),
        };
        rows.push((name.to_string(), fmt_num(v, digits), t, met));
    };
    row("events", num(&r["events"]), 0, None);
    row(
        "import, durable (events/s)",
        num(&r["import"]["events_per_s"]),
        0,
        Some(("≥", TARGET_IMPORT_EPS)),
    );
    row("import (s)", num(&r["import"]["seconds"]), 2, None);
    row(
        "import: peak RSS of the importer (MiB)",
        num(&r["import"]["peak_rss_mib"]),
        0,
        None,
    );
    row(
        "replay from seq 1: read+decode+fold (events/s)",
        num(&r["replay"]["events_per_s"]),
        0,
        Some(("≥", TARGET_REPLAY_EPS)),
    );
    row(
        "replay: fold alone (events/s)",
        num(&r["replay"]["fold_events_per_s"]),
        0,
        None,
    );
    let s = &r["server"];
    if let Some(k) = s["snapshot_every"].as_u64() {
        row(
            "server: --snapshot-every (records)",
            Some(k as f64),
            0,
            None,
        );
    }
    row(
        "server start: fold of the log (s)",
        num(&s["startup_seconds"]),
        2,
        None,
    );
    for (label, key) in [
        ("indicators", "indicators"),
        ("findings", "findings"),
        ("period report", "period_report"),
    ] {
        for (at, tgt) in [("head", TARGET_HEAD_P99_MS), ("any", TARGET_ANY_P99_MS)] {
            let q = &s["queries"][key][at];
            let target = (key == "indicators").then_some(("≤", tgt));
            row(
                &format!("{label} at {at}: p50 (ms)"),
                num(&q["p50_ms"]),
                2,
                None,
            );
            row(
                &format!("{label} at {at}: p99 (ms)"),
                num(&q["p99_ms"]),
                2,
                target,
            );
        }
    }
    let a = &s["appends"];
    row(
        "HTTP appends (events/s)",
        num(&a["events_per_s"]),
        0,
        Some(("≥", TARGET_APPEND_EPS)),
    );
    row("HTTP appends: p50 (ms)", num(&a["p50_ms"]), 2, None);
    row(
        "HTTP appends: p99 (ms)",
        num(&a["p99_ms"]),
        2,
        Some(("≤", TARGET_APPEND_P99_MS)),
    );
    row("HTTP appends: max (ms)", num(&a["max_ms"]), 2, None);
    row(
        "server peak RSS (MiB)",
        num(&s["peak_rss_mib"]),
        0,
        Some(("≤", TARGET_RSS_MIB)),
    );
    let d = &r["disk"];
    row(
        "encoded (bytes/event)",
        num(&d["encoded_bytes_per_event"]),
        0,
        None,
    );
    row(
        "on disk (bytes/event)",
        num(&d["allocated_bytes_per_event"]),
        0,
        None,
    );
    row(
        "on disk / encoded",
        num(&d["disk_per_encoded"]),
        2,
        Some(("≤", TARGET_DISK_RATIO)),
    );
    rows
}

fn print_size(r: &Value) {
    let rows = rows(r);
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let w2 = rows
        .iter()
        .map(|r| r.2.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== {} participants, {} events ==",
        r["participants"], r["events"]
    );
    let _ = writeln!(
        out,
        "{:<w0$}  {:>w1$}  {:<w2$}  met",
        "figure", "value", "target"
    );
    for (a, b, c, d) in rows {
        let _ = writeln!(out, "{a:<w0$}  {b:>w1$}  {c:<w2$}  {d}");
    }
    print!("{out}");
}

/// A growth-table column: heading, the figure of a run, decimals.
type Column<'a> = (&'a str, &'a dyn Fn(&Value) -> Option<f64>, usize);

fn print_growth(runs: &[Value]) {
    let cols: [Column; 13] = [
        ("events", &|r| num(&r["events"]), 0),
        ("import s", &|r| num(&r["import"]["seconds"]), 2),
        ("import ev/s", &|r| num(&r["import"]["events_per_s"]), 0),
        ("replay s", &|r| num(&r["replay"]["seconds"]), 3),
        ("replay ev/s", &|r| num(&r["replay"]["events_per_s"]), 0),
        (
            "append ev/s",
            &|r| num(&r["server"]["appends"]["events_per_s"]),
            0,
        ),
        ("append p99", &|r| num(&r["server"]["appends"]["p99_ms"]), 2),
        (
            "ind head p99",
            &|r| num(&r["server"]["queries"]["indicators"]["head"]["p99_ms"]),
            2,
        ),
        (
            "ind any p99",
            &|r| num(&r["server"]["queries"]["indicators"]["any"]["p99_ms"]),
            2,
        ),
        (
            "find any p99",
            &|r| num(&r["server"]["queries"]["findings"]["any"]["p99_ms"]),
            2,
        ),
        (
            "report any p99",
            &|r| num(&r["server"]["queries"]["period_report"]["any"]["p99_ms"]),
            2,
        ),
        ("RSS MiB", &|r| num(&r["server"]["peak_rss_mib"]), 0),
        (
            "disk B/ev",
            &|r| num(&r["disk"]["allocated_bytes_per_event"]),
            0,
        ),
    ];
    let cells: Vec<Vec<String>> = runs
        .iter()
        .map(|r| cols.iter().map(|(_, f, d)| fmt_num(f(r), *d)).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, (h, _, _))| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(h.chars().count())
        })
        .collect();
    let mut out = String::from("\n== growth (latencies in ms, over loopback) ==\n");
    for (i, (h, _, _)) in cols.iter().enumerate() {
        let _ = write!(out, "{h:>w$}  ", w = widths[i]);
    }
    out.push('\n');
    for row in cells {
        for (i, c) in row.iter().enumerate() {
            let _ = write!(out, "{c:>w$}  ", w = widths[i]);
        }
        out.push('\n');
    }
    print!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let s = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n";
        assert_eq!(proc_status_bytes(s, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(proc_status_bytes(s, "VmRSS:"), Some(1024 * 1024));
        assert_eq!(proc_status_bytes(s, "VmSwap:"), None);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(1_234_567), "1 234 567");
        assert_eq!(group(999), "999");
        assert_eq!(fmt_num(Some(350_000.0), 0), "350 000");
        assert_eq!(fmt_num(None, 2), "—");
    }
}
