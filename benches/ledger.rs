//! In-process criterion benchmarks of the ledger (performance issue):
//!
//! - `replay/fold/*`: every projection folded from seq 1 over decoded
//!   envelopes; `replay/read_decode_fold/*`: the same from the log
//!   (`grantledger_server::service::fold`: read, decode, fold);
//! - `replay/fold_with_history/*`: the same fold keeping the history of
//!   derived dates, as the server's head does;
//! - `query/*`: `Ledger::indicators` and `Ledger::findings` at the head
//!   (as of the project's end), `Ledger::indicator_values_at` at 16 older
//!   prefixes in turn (from the history, no fold);
//! - `append/sled_5000`: one durable 5 000-event batch into a fresh `SledLog`.
//!
//! Data: the SINEC fixture (fixtures/sinec, 1 291 events) and a generated
//! 3 600-participant project (≈ 10^5 events, `grantledger gen --seed 1`),
//! both admitted through `Service::append` into a `MemLog`.
//!
//! `cargo bench --bench ledger` (a few minutes; `-- replay` for one group).
//! Whole runs over HTTP on 10^4–10^6 events are `grantledger bench`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use grantledger_domain::Envelope;
use grantledger_projections::{replay, Ledger, Projection};
use grantledger_server::request::{parse_item, Source};
use grantledger_server::service::{envelope, fold};
use grantledger_server::Service;
use grantledger_store::{EventLog, MemLog, NewEvent, SledLog};

// The generator of `grantledger gen`, compiled in so the data is made in-process.
#[allow(dead_code)]
#[path = "../crates/cli/commands/gen.rs"]
mod gen;

const SINEC: &str = include_str!("../fixtures/sinec/events.jsonl");
/// Participants of the generated project (≈ 28 events each).
const GENERATED_PARTICIPANTS: u32 = 3_600;
/// Events per appended batch.
const APPEND_BATCH: usize = 5_000;

/// A project admitted into a `MemLog`, and its records decoded.
struct Data {
    name: &'static str,
    service: Service,
    envelopes: Vec<Envelope>,
    head: Ledger,
}

/// Admits JSON Lines through the service in batches of 5 000 (as `import`).
fn load(name: &'static str, text: &str) -> Data {
    let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
    let service = Service::open(log, None).expect("an empty MemLog opens");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for (i, chunk) in lines.chunks(5_000).enumerate() {
        let batch: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(j, line)| {
                let value: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{name}:{}: {e}", i * 5_000 + j + 1));
                parse_item(&value, Source::Import)
                    .unwrap_or_else(|e| panic!("{name}:{}: {e}", i * 5_000 + j + 1))
            })
            .collect();
        // As `import`: a refused batch is appended one event at a time.
        if service.append(batch.clone(), "bench").is_err() {
            for (j, req) in batch.into_iter().enumerate() {
                if let Err(e) = service.append(vec![req], "bench") {
                    panic!(
                        "{name}:{}: refused: {} ({:?})",
                        i * 5_000 + j + 1,
                        e.detail,
                        e.field
                    );
                }
            }
        }
    }
    let head_seq = service.log().head().seq;
    let envelopes: Vec<Envelope> = service
        .log()
        .read_range(1, usize::try_from(head_seq).expect("fits"))
        .expect("MemLog reads")
        .iter()
        .map(|r| envelope(r).expect("stored records decode"))
        .collect();
    // the head as the server keeps it: with the history of derived dates
    let mut head = Ledger::with_history();
    for e in &envelopes {
        head.apply(e);
    }
    Data {
        name,
        service,
        envelopes,
        head,
    }
}

fn datasets() -> Vec<Data> {
    let mut generated = Vec::new();
    gen::generate(GENERATED_PARTICIPANTS, 1, &mut generated).expect("the generator writes");
    let generated = String::from_utf8(generated).expect("the generator writes UTF-8");
    vec![load("sinec", SINEC), load("gen3600", &generated)]
}

fn end_of(l: &Ledger) -> grantledger_domain::Date {
    l.project().expect("a project is defined").period.end
}

fn benches(c: &mut Criterion) {
    let data = datasets();

    let mut g = c.benchmark_group("replay");
    for d in &data {
        g.throughput(Throughput::Elements(d.envelopes.len() as u64));
        g.bench_function(BenchmarkId::new("fold", d.name), |b| {
            b.iter(|| black_box(replay(d.envelopes.iter())))
        });
        let head = d.service.log().head().seq;
        g.bench_function(BenchmarkId::new("fold_with_history", d.name), |b| {
            b.iter(|| {
                let mut l = Ledger::with_history();
                for e in &d.envelopes {
                    l.apply(e);
                }
                black_box(l)
            })
        });
        g.bench_function(BenchmarkId::new("read_decode_fold", d.name), |b| {
            b.iter(|| {
                black_box(
                    fold(d.service.log().as_ref(), Ledger::default(), head).expect("MemLog folds"),
                )
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("query");
    for d in &data {
        let as_of = end_of(&d.head);
        g.bench_function(BenchmarkId::new("indicators_at_head", d.name), |b| {
            b.iter(|| black_box(d.head.indicators(black_box(as_of))))
        });
        g.bench_function(BenchmarkId::new("findings_at_head", d.name), |b| {
            b.iter(|| black_box(d.head.findings(black_box(as_of))))
        });
        // 16 older prefixes spread over the log, in turn
        let seqs: Vec<u64> = (1..=16).map(|i| d.head.at_seq() * i / 17).collect();
        let mut i = 0;
        g.bench_function(
            BenchmarkId::new("indicator_values_at_older_prefix", d.name),
            |b| {
                b.iter(|| {
                    i = (i + 1) % seqs.len();
                    black_box(d.head.indicator_values_at(as_of, seqs[i]))
                })
            },
        );
    }
    g.finish();

    // The first 5 000 records of the generated project, as new events.
    let generated = data.last().expect("two datasets");
    let batch: Vec<NewEvent> = generated
        .service
        .log()
        .read_range(1, APPEND_BATCH)
        .expect("MemLog reads")
        .into_iter()
        .map(|r| {
            NewEvent::new(
                r.event_id,
                r.stream,
                r.kind,
                r.schema_version,
                r.payload,
                r.actor,
            )
        })
        .collect();
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function(format!("sled_{APPEND_BATCH}"), |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let log = SledLog::open(dir.path()).expect("a new SledLog opens");
                (dir, log, batch.clone())
            },
            |(dir, log, batch)| {
                let appended = log.append(batch).expect("the batch is stored");
                black_box(appended);
                (log, dir)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group! {
    name = ledger;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(ledger);
