//! `grantledger report …` and `grantledger replay`, offline on a data directory.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use grantledger_projections::{replay as replay_all, Ledger, Projection};
use grantledger_reports::{
    render_corrections, render_period, CorrectionsReport, Format, PeriodReport,
};
use grantledger_server::query::{GENERATOR, RULE_SET};
use grantledger_server::service::envelope;
use grantledger_store::{EventLog, SledLog};

use crate::args::{ReportArgs, ReportCommand};

/// Opens the log read-only in spirit (nothing is appended) and resolves the prefix.
fn open(args: &ReportArgs) -> anyhow::Result<(Arc<dyn EventLog>, u64)> {
    super::require_data_dir(&args.data_dir)?;
    let log: Arc<dyn EventLog> = Arc::new(
        SledLog::open(&args.data_dir)
            .with_context(|| format!("opening {}", args.data_dir.display()))?,
    );
    let head = log.head().seq;
    let at = match (args.known_at, args.at_seq) {
        (Some(t), _) => log.seq_at(t)?,
        (None, Some(n)) if n > head => bail!("--at-seq {n} is beyond the log head {head}"),
        (None, Some(n)) => n,
        (None, None) => head,
    };
    Ok((log, at))
}

fn fold_to(log: &dyn EventLog, at: u64) -> anyhow::Result<Ledger> {
    Ok(grantledger_server::service::fold(
        log,
        Ledger::default(),
        at,
    )?)
}

fn write_out(args: &ReportArgs, bytes: &[u8]) -> anyhow::Result<()> {
    match &args.out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => Ok(std::io::stdout().write_all(bytes)?),
    }
}

/// Builds and renders a report.
pub fn run(cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Period { no, common } => {
            let format = Format::parse(&common.format)?;
            let (log, at) = open(&common)?;
            let ledger = fold_to(log.as_ref(), at)?;
            let report = PeriodReport::build(
                &ledger,
                no,
                common.as_of,
                common.known_at,
                RULE_SET,
                GENERATOR,
            )?;
            write_out(&common, &render_period(&report, format)?)?;
            eprintln!(
                "period {no} report at seq ≤ {at}, as of {}, body sha256 {}",
                report.manifest.as_of, report.manifest.body_sha256
            );
            Ok(())
        }
        ReportCommand::Corrections { no, common } => {
            let format = Format::parse(&common.format)?;
            let (log, at) = open(&common)?;
            let now = fold_to(log.as_ref(), at)?;
            let Some((_, marker)) = now.report_marker(no) else {
                bail!("period {no} has no report_submitted at seq ≤ {at}");
            };
            let then = fold_to(log.as_ref(), marker.at_seq)?;
            let describe = |seq: u64| match log.get(seq) {
                Ok(Some(r)) => (Some(r.recorded_at), Some(r.actor)),
                _ => (None, None),
            };
            let report = CorrectionsReport::build(
                &then,
                &now,
                no,
                common.as_of,
                RULE_SET,
                GENERATOR,
                describe,
            )?;
            write_out(&common, &render_corrections(&report, format)?)?;
            eprintln!(
                "corrections report of period {no}: {} changed figures, {} corrections",
                report.changes.len(),
                report.corrections.len()
            );
            Ok(())
        }
    }
}

/// Replays the log from seq 1 and checks it against a fold done one record at
/// a time with queries in between (what a running server does).
pub fn replay(data_dir: &std::path::Path) -> anyhow::Result<()> {
    super::require_data_dir(data_dir)?;
    let log = SledLog::open(data_dir).with_context(|| format!("opening {}", data_dir.display()))?;
    let head = log.head().seq;
    let started = Instant::now();
    let mut envelopes = Vec::with_capacity(head as usize);
    let mut next = 1;
    while next <= head {
        let records = log.read_range(next, 4096)?;
        let Some(last) = records.last() else { break };
        next = last.seq + 1;
        for r in &records {
            envelopes.push(envelope(r)?);
        }
    }
    let read = started.elapsed();
    let t = Instant::now();
    let replayed = replay_all(envelopes.iter());
    let replay_time = t.elapsed();
    // incremental: one record at a time, querying after each report marker,
    // keeping the history of derived dates as the server's head does
    let t = Instant::now();
    let mut incremental = Ledger::with_history();
    let mut checked = Vec::new();
    for e in &envelopes {
        incremental.apply(e);
        if let grantledger_domain::Event::ReportSubmitted(r) = &e.event {
            let then = incremental.indicator_values(r.submitted_on);
            let _ = incremental.findings(r.submitted_on);
            checked.push((e.seq, r.submitted_on, then));
        }
    }
    let incremental_time = t.elapsed();
    for (seq, on, then) in &checked {
        if incremental.indicator_values_at(*on, *seq).as_ref() != Some(then) {
            bail!(
                "the history's indicators at seq {seq} as of {on} differ from those computed then"
            );
        }
    }
    if incremental != replayed {
        bail!("the replayed state differs from the incremental one");
    }
    let periods: Vec<u32> = replayed
        .project()
        .map(|p| p.monitoring_periods.iter().map(|m| m.no).collect())
        .unwrap_or_default();
    for no in &periods {
        let a = render_period(
            &PeriodReport::build(&replayed, *no, None, None, RULE_SET, GENERATOR)?,
            Format::Json,
        )?;
        let b = render_period(
            &PeriodReport::build(&incremental, *no, None, None, RULE_SET, GENERATOR)?,
            Format::Json,
        )?;
        if a != b {
            bail!("the period {no} report differs between replay and incremental state");
        }
    }
    let rate = head as f64 / replay_time.as_secs_f64().max(1e-9);
    let history_rate = head as f64 / incremental_time.as_secs_f64().max(1e-9);
    println!(
        "ok: {head} events read and decoded in {:.3} s, then folded in {:.3} s ({rate:.0} events/s); \
         folded one at a time keeping the history of derived dates (as the server does) in {:.3} s ({history_rate:.0} events/s); \
         both states equal ({} report markers queried on the way; at each, the history's indicators at the marker's seq \
         equal those computed then) and {} period reports identical",
        read.as_secs_f64(),
        replay_time.as_secs_f64(),
        incremental_time.as_secs_f64(),
        checked.len(),
        periods.len()
    );
    Ok(())
}
