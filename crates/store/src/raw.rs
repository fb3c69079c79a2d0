//! For tools and tests that inspect or damage a **stopped** data directory
//! (a `sled::Db` opened on it directly, with no [`SledLog`](crate::SledLog)
//! open): read and rewrite single records without knowing the chunk layout.
//!
//! These functions bypass every check of the log: rewriting a record does
//! not fix the chain, removing one leaves a gap. Opening the directory
//! afterwards (or [`EventLog::verify`](crate::EventLog::verify)) reports the
//! damage as [`StoreError::Corrupt`] naming the seq.
//!
//! ```
//! use grantledger_store::{raw, EventLog, NewEvent, SledLog};
//! let dir = tempfile::tempdir()?;
//! let log = SledLog::open(dir.path())?;
//! log.append(vec![NewEvent::new(uuid::Uuid::now_v7(), "s", "K", 1, vec![1], "a")])?;
//! drop(log);
//! # std::thread::sleep(std::time::Duration::from_millis(100));
//! let db = sled::open(dir.path())?;
//! let mut r = raw::read_record(&db, 1)?;
//! r.payload = vec![2];
//! raw::rewrite_records(&db, &[r])?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use crate::codec::{self, decode_chunk, ChunkBuilder};
use crate::error::StoreError;
use crate::keys::{self, seq_key, CHUNKS, META, META_HEAD};
use crate::record::{Head, Record};

fn chunks(db: &sled::Db) -> Result<sled::Tree, StoreError> {
    Ok(db.open_tree(CHUNKS)?)
}

/// The chunk starting at or before `seq`: `(first seq, value)`.
fn chunk_holding(tree: &sled::Tree, seq: u64) -> Result<(u64, sled::IVec), StoreError> {
    let (k, v) = tree
        .range(..=seq_key(seq))
        .next_back()
        .transpose()?
        .ok_or_else(|| StoreError::corrupt(seq, "record missing"))?;
    let first = keys::decode_u64(&k)
        .ok_or_else(|| StoreError::corrupt(seq, "a chunks key is not an 8-byte seq"))?;
    let chunk = decode_chunk(first, &v)?;
    if !chunk.contains(seq) {
        return Err(StoreError::corrupt(seq, "record missing"));
    }
    Ok((first, v))
}

/// The stored bytes of record `seq` (as [`codec::encode_record`] writes them).
///
/// # Errors
/// [`StoreError::Corrupt`] naming `seq` when it is missing or its chunk is
/// malformed; [`StoreError::Sled`] when reading fails.
pub fn read_record_bytes(db: &sled::Db, seq: u64) -> Result<Vec<u8>, StoreError> {
    let (first, value) = chunk_holding(&chunks(db)?, seq)?;
    let chunk = decode_chunk(first, &value)?;
    Ok(chunk
        .record_bytes(seq)
        .expect("chunk_holding checked the seq")
        .to_vec())
}

/// The record `seq`, decoded (its hash is not checked).
///
/// # Errors
/// As [`read_record_bytes`], and [`StoreError::Corrupt`] when its bytes do
/// not decode.
pub fn read_record(db: &sled::Db, seq: u64) -> Result<Record, StoreError> {
    codec::decode_record(seq, &read_record_bytes(db, seq)?)
}

/// Replaces the stored bytes of record `seq` by `bytes` (taken as they are:
/// they may say another seq or not decode at all), re-encoding its chunk.
///
/// # Errors
/// As [`read_record_bytes`].
pub fn write_record_bytes(db: &sled::Db, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
    replace(db, BTreeMap::from([(seq, bytes.to_vec())]))
}

/// Stores each record in place of the record with its seq (hashes as given:
/// nothing is recomputed), re-encoding each chunk concerned once.
///
/// # Errors
/// As [`read_record_bytes`]; [`StoreError::Codec`] if a record does not encode.
pub fn rewrite_records(db: &sled::Db, records: &[Record]) -> Result<(), StoreError> {
    let mut by_seq = BTreeMap::new();
    for r in records {
        by_seq.insert(r.seq, codec::encode_record(r)?);
    }
    replace(db, by_seq)
}

fn replace(db: &sled::Db, mut by_seq: BTreeMap<u64, Vec<u8>>) -> Result<(), StoreError> {
    let tree = chunks(db)?;
    while let Some((&seq, _)) = by_seq.first_key_value() {
        let (first, value) = chunk_holding(&tree, seq)?;
        let chunk = decode_chunk(first, &value)?;
        let mut b = ChunkBuilder::new(first);
        for s in first..=chunk.last_seq() {
            match by_seq.remove(&s) {
                Some(bytes) => b.push_encoded(&bytes)?,
                None => b.push_encoded(chunk.record_bytes(s).expect("in the chunk"))?,
            }
        }
        tree.insert(seq_key(first), b.finish()?)?;
    }
    Ok(())
}

/// Builds a chunk of the records `from..=to` of `chunk`.
fn part(chunk: &codec::Chunk<'_>, from: u64, to: u64) -> Result<Vec<u8>, StoreError> {
    let mut b = ChunkBuilder::new(from);
    for s in from..=to {
        b.push_encoded(chunk.record_bytes(s).expect("in the chunk"))?;
    }
    b.finish()
}

/// Removes record `seq`, leaving a gap (its chunk is split around it).
///
/// # Errors
/// As [`read_record_bytes`].
pub fn remove_record(db: &sled::Db, seq: u64) -> Result<(), StoreError> {
    let tree = chunks(db)?;
    let (first, value) = chunk_holding(&tree, seq)?;
    let chunk = decode_chunk(first, &value)?;
    let mut batch = sled::Batch::default();
    if seq > first {
        batch.insert(&seq_key(first), part(&chunk, first, seq - 1)?);
    } else {
        batch.remove(&seq_key(first));
    }
    if seq < chunk.last_seq() {
        batch.insert(&seq_key(seq + 1), part(&chunk, seq + 1, chunk.last_seq())?);
    }
    tree.apply_batch(batch)?;
    Ok(())
}

/// Removes every record after `seq` (the meta head is left as it was: see
/// [`set_meta_head`]).
///
/// # Errors
/// As [`read_record_bytes`] (for `seq` > 0).
pub fn remove_records_after(db: &sled::Db, seq: u64) -> Result<(), StoreError> {
    let tree = chunks(db)?;
    let mut batch = sled::Batch::default();
    if seq > 0 {
        let (first, value) = chunk_holding(&tree, seq)?;
        let chunk = decode_chunk(first, &value)?;
        if chunk.last_seq() > seq {
            batch.insert(&seq_key(first), part(&chunk, first, seq)?);
        }
    }
    for item in tree.range(seq_key(seq + 1)..) {
        batch.remove(item?.0);
    }
    tree.apply_batch(batch)?;
    Ok(())
}

/// Overwrites the head stored in `meta` (opening checks it against the
/// last record).
///
/// # Errors
/// [`StoreError::Sled`] when writing fails.
pub fn set_meta_head(db: &sled::Db, head: &Head) -> Result<(), StoreError> {
    db.open_tree(META)?
        .insert(META_HEAD, &keys::encode_head(head)[..])?;
    Ok(())
}

/// The first seq of every chunk, ascending (to see how records are grouped).
///
/// # Errors
/// [`StoreError::Sled`] when reading fails; [`StoreError::Corrupt`] for a
/// malformed key.
pub fn chunk_starts(db: &sled::Db) -> Result<Vec<u64>, StoreError> {
    chunks(db)?
        .iter()
        .keys()
        .map(|k| {
            keys::decode_u64(&k?)
                .ok_or_else(|| StoreError::corrupt(0, "a chunks key is not an 8-byte seq"))
        })
        .collect()
}

/// Replaces the raw value of the chunk starting at `first`.
#[cfg(test)]
pub(crate) fn put_chunk_value(db: &sled::Db, first: u64, value: &[u8]) {
    chunks(db).unwrap().insert(seq_key(first), value).unwrap();
}

/// Removes the head from `meta`.
#[cfg(test)]
pub(crate) fn remove_meta_head(db: &sled::Db) {
    db.open_tree(META).unwrap().remove(META_HEAD).unwrap();
}

/// Overwrites `format_version` in `meta`.
#[cfg(test)]
pub(crate) fn set_format_version(db: &sled::Db, version: u32) {
    db.open_tree(META)
        .unwrap()
        .insert(keys::META_FORMAT, &version.to_be_bytes())
        .unwrap();
}
