//! Format 1, read only to upgrade a directory in place to this build's
//! format (and,
//! in tests, written to have a format-1 directory to upgrade).
//!
//! Format 1 stored each record as one value of the tree `log` (key: seq,
//! big-endian u64; value: the record's stored bytes, the same bytes a chunk
//! holds), with the indexes `by_id` and `streams` beside it.

use crate::chain::{ChainCheck, StreamCheck};
use crate::codec::{self, ChunkBuilder};
use crate::error::StoreError;
use crate::keys::{self, Trees, FORMAT_VERSION, V1_BY_ID, V1_LOG, V1_STREAMS};
use crate::record::Head;
use crate::sled_log::{CHUNK_MAX_BYTES, CHUNK_MAX_RECORDS};

/// Upgrades a format-1 log in `db` to this build's format: clears `chunks`
/// and `sealed`, copies the records of `log` in seq order into full chunks
/// in `chunks` (checking the whole chain and the stream versions on the
/// way), sets `format_version` to [`FORMAT_VERSION`], then drops `log`,
/// `by_id` and `streams`. [`crate::SledLog::open`] then moves the full
/// chunks into segments.
///
/// Crash-safe: until the format flips, the directory is still format 1 and
/// the next open starts over; after it, the next open drops whatever old
/// tree is left.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the first bad seq of the old log (nothing
/// is upgraded then); [`StoreError::Sled`] when storage fails.
pub(crate) fn upgrade(db: &sled::Db, trees: &Trees) -> Result<(), StoreError> {
    let log = db.open_tree(V1_LOG)?;
    let records = log.len();
    tracing::info!(records, "upgrading the log from on-disk format 1");
    trees.chunks.clear()?;
    trees.sealed.clear()?;
    let mut chain = ChainCheck::after(Head::EMPTY);
    let mut streams = StreamCheck::default();
    let mut builder: Option<ChunkBuilder> = None;
    let mut chunks = 0u64;
    let mut flush = |b: ChunkBuilder| -> Result<(), StoreError> {
        let first = b.next_seq() - b.len() as u64;
        trees.put_chunks(vec![(first, b.finish()?)])?;
        chunks += 1;
        Ok(())
    };
    for item in log.iter() {
        let (k, v) = item?;
        let expected = chain.head().seq + 1;
        let seq = keys::decode_u64(&k)
            .ok_or_else(|| StoreError::corrupt(expected, "a log key is not an 8-byte seq"))?;
        let r = codec::decode_record(seq, &v)?;
        chain.next(seq, &r)?;
        streams.next(&r)?;
        let b = builder.get_or_insert_with(|| ChunkBuilder::new(seq));
        b.push_encoded(&v)?;
        if b.len() >= CHUNK_MAX_RECORDS || b.body_bytes() >= CHUNK_MAX_BYTES {
            flush(builder.take().expect("a chunk is being built"))?;
        }
    }
    if let Some(b) = builder {
        flush(b)?;
    }
    drop(log);
    trees.set_format(FORMAT_VERSION)?;
    for name in [V1_LOG, V1_BY_ID, V1_STREAMS] {
        if keys::has_tree(db, name) {
            db.drop_tree(name)?;
        }
    }
    tracing::info!(
        records,
        chunks,
        head = chain.head().seq,
        "upgraded the log from on-disk format 1; its sealed chunks move to segments next"
    );
    Ok(())
}

/// Writes `records` (a valid chain from seq 1) as format 1 did, with its
/// indexes, meta head and `format_version` 1.
#[cfg(test)]
pub(crate) fn write_for_test(db: &sled::Db, records: &[crate::Record]) {
    let log = db.open_tree(V1_LOG).unwrap();
    let by_id = db.open_tree(V1_BY_ID).unwrap();
    let streams = db.open_tree(V1_STREAMS).unwrap();
    for r in records {
        let seq = keys::seq_key(r.seq);
        log.insert(seq, codec::encode_record(r).unwrap()).unwrap();
        by_id.insert(r.event_id.as_bytes(), &seq[..]).unwrap();
        let mut key = (r.stream.len() as u64).to_be_bytes().to_vec();
        key.extend_from_slice(r.stream.as_bytes());
        key.extend_from_slice(&r.stream_version.to_be_bytes());
        streams.insert(key, &seq[..]).unwrap();
    }
    let meta = db.open_tree(keys::META).unwrap();
    meta.insert(keys::META_FORMAT, &1u32.to_be_bytes()).unwrap();
    if let Some(last) = records.last() {
        meta.insert(keys::META_HEAD, &keys::encode_head(&Head::of(last))[..])
            .unwrap();
    }
}
