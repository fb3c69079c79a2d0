//! For tools and tests that inspect or damage a **stopped** data directory
//! ([`RawLog::open`], with no [`SledLog`](crate::SledLog) open): read and
//! rewrite single records without knowing the chunk layout.
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
//! let damaged = raw::RawLog::open(dir.path())?;
//! let mut r = raw::read_record(&damaged, 1)?;
//! r.payload = vec![2];
//! raw::rewrite_records(&damaged, &[r])?;
//! damaged.flush()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::codec::{self, decode_chunk, ChunkBuilder};
use crate::error::StoreError;
use crate::keys::{self, seq_key, Trees, META, META_HEAD};
use crate::record::{Head, Record};
use crate::segment::{SegmentRef, Segments};

/// A stopped log directory opened for inspection or damage: its sled
/// database and its segment files (format 3, docs/FORMAT.md).
///
/// Reads find a chunk wherever it is stored; writes store every chunk they
/// change as a sled value (a later [`SledLog::open`](crate::SledLog::open)
/// moves it back into a segment) and never touch a segment file.
pub struct RawLog {
    db: sled::Db,
    trees: Trees,
    segments: Segments,
}

impl RawLog {
    /// Opens the log directory `dir` (waiting for its lock as
    /// [`SledLog::open`](crate::SledLog::open) does).
    ///
    /// # Errors
    /// [`StoreError::Locked`], [`StoreError::Sled`] or [`StoreError::Io`]
    /// when the directory cannot be opened.
    pub fn open(dir: &Path) -> Result<RawLog, StoreError> {
        RawLog::of(crate::sled_log::open_db(dir)?, dir)
    }

    /// The raw view of the database `db` of the log directory `dir`.
    pub(crate) fn of(db: sled::Db, dir: &Path) -> Result<RawLog, StoreError> {
        Ok(RawLog {
            trees: Trees::open(&db)?,
            db,
            segments: Segments::open(dir)?,
        })
    }

    /// The sled database itself.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Flushes sled's writes to disk (call before dropping).
    ///
    /// # Errors
    /// [`StoreError::Sled`] when flushing fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// The chunk starting at or before `seq`, whichever tree holds it:
    /// `(first seq, bytes)`.
    fn chunk_holding(&self, seq: u64) -> Result<(u64, Vec<u8>), StoreError> {
        let last_at_or_before =
            |tree: &sled::Tree| -> Result<Option<(u64, sled::IVec)>, StoreError> {
                let Some((k, v)) = tree.range(..=seq_key(seq)).next_back().transpose()? else {
                    return Ok(None);
                };
                let first = keys::decode_u64(&k)
                    .ok_or_else(|| StoreError::corrupt(seq, "a chunk key is not an 8-byte seq"))?;
                Ok(Some((first, v)))
            };
        let inline = last_at_or_before(&self.trees.chunks)?;
        let sealed = last_at_or_before(&self.trees.sealed)?;
        let (first, bytes) = match (inline, sealed) {
            (Some((i, v)), s) if s.as_ref().is_none_or(|(f, _)| i >= *f) => (i, v.to_vec()),
            (_, Some((first, v))) => {
                let at = SegmentRef::decode(first, &v)?;
                (first, self.segments.read(first, at)?)
            }
            (_, None) => return Err(StoreError::corrupt(seq, "record missing")),
        };
        if !decode_chunk(first, &bytes)?.contains(seq) {
            return Err(StoreError::corrupt(seq, "record missing"));
        }
        Ok((first, bytes))
    }

    /// Stores `value` as the sled value of the chunk starting at `first`
    /// (removing its place in a segment, if any).
    fn put_inline(&self, first: u64, value: Vec<u8>) -> Result<(), StoreError> {
        self.trees.chunks.insert(seq_key(first), value)?;
        self.trees.sealed.remove(seq_key(first))?;
        Ok(())
    }

    /// Removes the chunk starting at `first` from both trees.
    fn remove_chunk(&self, first: u64) -> Result<(), StoreError> {
        self.trees.chunks.remove(seq_key(first))?;
        self.trees.sealed.remove(seq_key(first))?;
        Ok(())
    }
}

/// The stored bytes of the chunk starting at `first`, wherever it is
/// (`None` when no chunk starts there).
///
/// # Errors
/// [`StoreError::Corrupt`] for a malformed or dangling segment reference;
/// [`StoreError::Sled`] / [`StoreError::Io`] when reading fails.
pub fn chunk_value(raw: &RawLog, first: u64) -> Result<Option<Vec<u8>>, StoreError> {
    if let Some(v) = raw.trees.chunk(first)? {
        return Ok(Some(v.to_vec()));
    }
    match raw.trees.sealed_ref(first)? {
        Some(at) => Ok(Some(raw.segments.read(first, at)?)),
        None => Ok(None),
    }
}

/// The stored bytes of record `seq` (as [`codec::encode_record`] writes them).
///
/// # Errors
/// [`StoreError::Corrupt`] naming `seq` when it is missing or its chunk is
/// malformed; [`StoreError::Sled`] when reading fails.
pub fn read_record_bytes(raw: &RawLog, seq: u64) -> Result<Vec<u8>, StoreError> {
    let (first, value) = raw.chunk_holding(seq)?;
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
pub fn read_record(raw: &RawLog, seq: u64) -> Result<Record, StoreError> {
    codec::decode_record(seq, &read_record_bytes(raw, seq)?)
}

/// Replaces the stored bytes of record `seq` by `bytes` (taken as they are:
/// they may say another seq or not decode at all), re-encoding its chunk.
///
/// # Errors
/// As [`read_record_bytes`].
pub fn write_record_bytes(raw: &RawLog, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
    replace(raw, BTreeMap::from([(seq, bytes.to_vec())]))
}

/// Stores each record in place of the record with its seq (hashes as given:
/// nothing is recomputed), re-encoding each chunk concerned once.
///
/// # Errors
/// As [`read_record_bytes`]; [`StoreError::Codec`] if a record does not encode.
pub fn rewrite_records(raw: &RawLog, records: &[Record]) -> Result<(), StoreError> {
    let mut by_seq = BTreeMap::new();
    for r in records {
        by_seq.insert(r.seq, codec::encode_record(r)?);
    }
    replace(raw, by_seq)
}

fn replace(raw: &RawLog, mut by_seq: BTreeMap<u64, Vec<u8>>) -> Result<(), StoreError> {
    while let Some((&seq, _)) = by_seq.first_key_value() {
        let (first, value) = raw.chunk_holding(seq)?;
        let chunk = decode_chunk(first, &value)?;
        let mut b = ChunkBuilder::new(first);
        for s in first..=chunk.last_seq() {
            match by_seq.remove(&s) {
                Some(bytes) => b.push_encoded(&bytes)?,
                None => b.push_encoded(chunk.record_bytes(s).expect("in the chunk"))?,
            }
        }
        raw.put_inline(first, b.finish()?)?;
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
pub fn remove_record(raw: &RawLog, seq: u64) -> Result<(), StoreError> {
    let (first, value) = raw.chunk_holding(seq)?;
    let chunk = decode_chunk(first, &value)?;
    raw.remove_chunk(first)?;
    if seq > first {
        raw.put_inline(first, part(&chunk, first, seq - 1)?)?;
    }
    if seq < chunk.last_seq() {
        raw.put_inline(seq + 1, part(&chunk, seq + 1, chunk.last_seq())?)?;
    }
    Ok(())
}

/// Removes every record after `seq` (the meta head is left as it was: see
/// [`set_meta_head`]).
///
/// # Errors
/// As [`read_record_bytes`] (for `seq` > 0).
pub fn remove_records_after(raw: &RawLog, seq: u64) -> Result<(), StoreError> {
    if seq > 0 {
        let (first, value) = raw.chunk_holding(seq)?;
        let chunk = decode_chunk(first, &value)?;
        if chunk.last_seq() > seq {
            raw.put_inline(first, part(&chunk, first, seq)?)?;
        }
    }
    for first in chunk_starts(raw)? {
        if first > seq {
            raw.remove_chunk(first)?;
        }
    }
    Ok(())
}

/// Overwrites the head stored in `meta` (opening checks it against the
/// last record).
///
/// # Errors
/// [`StoreError::Sled`] when writing fails.
pub fn set_meta_head(raw: &RawLog, head: &Head) -> Result<(), StoreError> {
    raw.db
        .open_tree(META)?
        .insert(META_HEAD, &keys::encode_head(head)[..])?;
    Ok(())
}

/// The first seq of every chunk, ascending, whether in a segment or in
/// sled (to see how records are grouped).
///
/// # Errors
/// [`StoreError::Sled`] when reading fails; [`StoreError::Corrupt`] for a
/// malformed key.
pub fn chunk_starts(raw: &RawLog) -> Result<Vec<u64>, StoreError> {
    let mut starts = unsealed_chunk_starts(raw)?;
    starts.extend(raw.trees.sealed_refs()?.into_iter().map(|(seq, _)| seq));
    starts.sort_unstable();
    Ok(starts)
}

/// The first seq of every chunk stored in sled rather than in a segment.
///
/// # Errors
/// As [`chunk_starts`].
pub fn unsealed_chunk_starts(raw: &RawLog) -> Result<Vec<u64>, StoreError> {
    raw.trees.chunk_starts()
}

/// Replaces the raw value of the chunk starting at `first` (as a sled value).
#[cfg(test)]
pub(crate) fn put_chunk_value(raw: &RawLog, first: u64, value: &[u8]) {
    raw.put_inline(first, value.to_vec()).unwrap();
}

/// Removes the head from `meta`.
#[cfg(test)]
pub(crate) fn remove_meta_head(raw: &RawLog) {
    raw.db.open_tree(META).unwrap().remove(META_HEAD).unwrap();
}

/// Overwrites `format_version` in `meta`.
#[cfg(test)]
pub(crate) fn set_format_version(raw: &RawLog, version: u32) {
    raw.db
        .open_tree(META)
        .unwrap()
        .insert(keys::META_FORMAT, &version.to_be_bytes())
        .unwrap();
}
