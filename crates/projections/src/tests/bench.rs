//! A timing harness over a generated log (`grantledger gen`), not a test:
//! `GL_BENCH_JSONL=/tmp/g.jsonl cargo test --release -p grantledger-projections
//! bench -- --ignored --nocapture`. Prints replay speed, clone time, the
//! ledger's memory (RSS growth) and the time of `indicators` / `findings` at
//! 20 pseudo-random dates, then at the head while the last events are applied.
//! `GL_BENCH_CLONES` sets how many clones are timed (100), `GL_BENCH_DATES`
//! how many dates (20); `GL_BENCH_REPLAY_ONLY` stops after replay and clones.

use std::time::{Duration, Instant};

use grantledger_domain::{Date, Envelope, Event};
use jiff::Timestamp;
use uuid::Uuid;

use crate::{Ledger, Projection};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn envelopes(path: &str) -> Vec<Envelope> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text)
}

/// Envelopes (seq from 1, no hash) of a JSONL export or `grantledger gen` output.
pub(crate) fn parse(text: &str) -> Vec<Envelope> {
    let mut out = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let kind = v["kind"].as_str().expect("kind");
        let event = Event::from_json(kind, &v["data"]).expect("event");
        let event_id: Uuid = v["event_id"].as_str().expect("id").parse().expect("uuid");
        let recorded_at: Timestamp = v["recorded_at"]
            .as_str()
            .expect("recorded_at")
            .parse()
            .expect("ts");
        out.push(Envelope {
            seq: i as u64 + 1,
            event_id,
            stream: String::new(),
            stream_version: 1,
            recorded_at,
            actor: String::new(),
            event,
            hash: [0; 32],
        });
    }
    out
}

fn stats(name: &str, mut t: Vec<Duration>) {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name}: n={} min {:.3} ms, median {:.3} ms, max {:.3} ms",
        t.len(),
        ms(t[0]),
        ms(t[t.len() / 2]),
        ms(t[t.len() - 1])
    );
}

/// `indicator_values` where there is one (else `indicators`).
trait Fast {
    fn indicators_fast(&self, as_of: Date) -> Vec<crate::IndicatorValue>;
}

impl Fast for Ledger {
    fn indicators_fast(&self, as_of: Date) -> Vec<crate::IndicatorValue> {
        self.indicator_values(as_of)
    }
}

#[test]
#[ignore = "timing harness; needs GL_BENCH_JSONL"]
fn bench() {
    let Ok(path) = std::env::var("GL_BENCH_JSONL") else {
        return;
    };
    let envs = envelopes(&path);
    println!("{} events", envs.len());
    let tail = 200.min(envs.len());
    let (body, rest) = envs.split_at(envs.len() - tail);

    let rss0 = rss_kib();
    let t = Instant::now();
    let mut ledger = Ledger::default();
    for e in body {
        ledger.apply(e);
    }
    let el = t.elapsed();
    println!(
        "replay: {:.3} s, {:.0} events/s ({:.2} M events/s); RSS {} MiB, growth {} MiB",
        el.as_secs_f64(),
        body.len() as f64 / el.as_secs_f64(),
        body.len() as f64 / el.as_secs_f64() / 1e6,
        rss_kib() / 1024,
        rss_kib().saturating_sub(rss0) / 1024
    );
    let t = Instant::now();
    let copy = ledger.clone();
    println!("clone: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    drop(copy);
    // `GL_BENCH_CLONES` clones (100 unless set), each dropped before the next.
    let n_clones: u32 = std::env::var("GL_BENCH_CLONES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let t = Instant::now();
    for _ in 0..n_clones {
        std::hint::black_box(ledger.clone());
    }
    println!(
        "{n_clones} clones: {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    // A scratch copy for one batch: clone, apply the last events to the copy.
    let t = Instant::now();
    let mut scratch = ledger.clone();
    for e in rest {
        scratch.apply(e);
    }
    println!(
        "clone + apply {} events to the copy: {:.3} ms",
        rest.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(scratch);
    if std::env::var_os("GL_BENCH_REPLAY_ONLY").is_some() {
        return;
    }

    let period = ledger.project().expect("project").period;
    let span = (period.end - period.start).get_days() as i64 + 60;
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let n_dates: usize = std::env::var("GL_BENCH_DATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dates: Vec<Date> = (0..n_dates)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            period
                .start
                .checked_add(jiff::Span::new().days((x % span as u64) as i64 - 30))
                .expect("date")
        })
        .collect();
    let t = Instant::now();
    let first = ledger.indicators(period.end);
    println!(
        "first indicators (builds any cache): {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let _ = ledger.all_findings();
    println!(
        "first all_findings: {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    for _ in 0..n_clones {
        std::hint::black_box(ledger.clone());
    }
    println!(
        "{n_clones} clones (cache built): {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for v in &first {
        println!("  {} {:?} evidence {}", v.code, v.value, v.evidence.len());
    }
    let mut tv = Vec::new();
    for &d in &dates {
        let t = Instant::now();
        std::hint::black_box(ledger.indicators_fast(d));
        tv.push(t.elapsed());
    }
    stats("indicator values (no evidence)", tv);
    let mut ti = Vec::new();
    let mut tf = Vec::new();
    let mut nf = 0;
    for &d in &dates {
        let t = Instant::now();
        let v = ledger.indicators(d);
        ti.push(t.elapsed());
        std::hint::black_box(v);
        let t = Instant::now();
        let f = ledger.findings(d);
        tf.push(t.elapsed());
        nf = nf.max(f.len());
    }
    stats("indicators(as_of)", ti);
    stats("findings(as_of)", tf);
    println!("  (at most {nf} findings)");

    let mut ti = Vec::new();
    let mut tf = Vec::new();
    for e in rest.iter().take(20) {
        ledger.apply(e);
        let t = Instant::now();
        std::hint::black_box(ledger.indicators_fast(period.end));
        ti.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(ledger.findings(period.end));
        tf.push(t.elapsed());
    }
    stats("head: apply one event, then indicator values", ti);
    stats("head: apply one event, then findings", tf);
}
