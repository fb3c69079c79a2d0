//! A micro benchmark of the sled log, run by hand:
//!
//! ```text
//! cargo run --release -p grantledger-store --example store_bench [records] [batch]
//! ```
//!
//! Appends `records` (default 1 000 000) synthetic records with a ~250-byte
//! payload in batches of `batch` (default 5 000), each acknowledged durable
//! (one barrier per batch), then reopens the log and reads everything back
//! with `read_range`. Prints records/s for both, the open time, and the bytes
//! on disk against the sum of the records' encoded sizes. A third argument
//! `deferred` appends without a barrier per batch (one at the end), to
//! measure the store's own cost without fsync.

use std::path::Path;
use std::time::Instant;

use grantledger_store::{codec, EventLog, NewEvent, SledLog, Uuid};

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let entry = entry.expect("dir entry");
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() {
            dir_bytes(&entry.path())
        } else {
            // allocated blocks, as du counts them
            std::os::unix::fs::MetadataExt::blocks(&meta) * 512
        };
    }
    total
}

fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let records: u64 = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("records"));
    let batch: u64 = args.next().map_or(5_000, |a| a.parse().expect("batch"));
    // "deferred": no barrier per batch, one at the end (the store's own cost).
    let deferred = args.next().as_deref() == Some("deferred");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("log");
    let log = SledLog::open(&dir).expect("open");

    let payload = |i: u64| -> Vec<u8> {
        (0..250u64)
            .map(|j| (i.wrapping_mul(31).wrapping_add(j * 7) % 251) as u8)
            .collect()
    };
    let started = Instant::now();
    let mut encoded = 0u64;
    let mut seq = 0u64;
    while seq < records {
        let n = batch.min(records - seq);
        let events: Vec<NewEvent> = (seq..seq + n)
            .map(|i| {
                NewEvent::new(
                    Uuid::from_u128(u128::from(i) + 1),
                    format!("participant-{}", i % 5_000),
                    "AttendanceRecorded",
                    2,
                    payload(i),
                    "importer",
                )
            })
            .collect();
        let appended = if deferred {
            log.append_deferred(events).expect("append")
        } else {
            log.append(events).expect("append")
        };
        for r in appended.records() {
            encoded += codec::encode_record(r).expect("encodes").len() as u64;
        }
        seq += n;
    }
    log.wait_durable(seq).expect("barrier");
    let write = started.elapsed();
    drop(log);

    let started = Instant::now();
    let log = SledLog::open(&dir).expect("reopen");
    let open = started.elapsed();

    let started = Instant::now();
    let mut read = 0u64;
    let mut from = 1;
    loop {
        let page = log.read_range(from, 10_000).expect("read");
        if page.is_empty() {
            break;
        }
        read += page.len() as u64;
        from += page.len() as u64;
    }
    let read_time = started.elapsed();
    assert_eq!(read, records);

    let started = Instant::now();
    log.verify().expect("verify");
    let verify = started.elapsed();
    drop(log);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let disk = dir_bytes(&dir);
    println!("records            {records} in batches of {batch}");
    println!(
        "durable append     {:.0} records/s ({:.2} s)",
        records as f64 / write.as_secs_f64(),
        write.as_secs_f64()
    );
    println!("reopen             {:.2} s", open.as_secs_f64());
    println!(
        "read_range         {:.0} records/s ({:.2} s)",
        records as f64 / read_time.as_secs_f64(),
        read_time.as_secs_f64()
    );
    println!(
        "verify             {:.0} records/s ({:.2} s)",
        records as f64 / verify.as_secs_f64(),
        verify.as_secs_f64()
    );
    println!(
        "on disk            {disk} bytes = {:.2} x the {encoded} encoded bytes ({:.0} bytes/record)",
        disk as f64 / encoded as f64,
        disk as f64 / records as f64
    );
    println!("peak RSS           {} MiB", rss_mib());
}
