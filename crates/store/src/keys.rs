//! The on-disk layout: the only file naming sled trees and their keys.
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `log` | seq, big-endian u64 | the record ([`codec`] encoding) — the single source of truth |
//! | `by_id` | event_id, 16 bytes | seq, big-endian u64 |
//! | `streams` | stream length (big-endian u64) ‖ stream UTF-8 bytes ‖ stream_version (big-endian u64) | seq, big-endian u64 |
//! | `meta` | `format_version` | `FORMAT_VERSION` (this build's format), big-endian u32 |
//! | `meta` | `head` | head seq (big-endian u64) ‖ head hash (32 bytes) |
//! | `personal_keys` | participant id, 16 bytes | the participant's personal-data key, 32 bytes — not part of the log, never exported |
//!
//! `by_id`, `streams` and `meta`'s head are derivable from `log`. Big-endian
//! keys make sled's byte order the numeric order. The stream name is
//! length-prefixed so that no stream's keys are a prefix range of another's.
//!
//! The tree names and the key layout are public for tools and tests that
//! inspect or (in tests) damage a log directory opened with sled directly;
//! `Trees` itself stays private to the crate.

use uuid::Uuid;

use crate::chain::{ChainCheck, Hash, StreamCheck};
use crate::codec;
use crate::error::StoreError;
use crate::record::{Head, Record};

/// The on-disk format this build reads and writes (bump on any layout or
/// codec change).
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The tree of records, keyed by [`seq_key`].
pub const LOG: &str = "log";
/// The tree mapping event ids (16 bytes) to seqs.
pub const BY_ID: &str = "by_id";
/// The tree mapping stream entries to seqs.
pub const STREAMS: &str = "streams";
/// The tree of metadata ([`META_FORMAT`], [`META_HEAD`]).
pub const META: &str = "meta";

/// The tree of per-participant personal-data keys (participant id, 16
/// bytes → 32-byte key). Beside the log, not derived from it and not part of
/// it: a copy of the log without this tree reads every sealed name as erased.
pub const PERSONAL_KEYS: &str = "personal_keys";

/// The `meta` key of the on-disk format version.
pub const META_FORMAT: &[u8] = b"format_version";
/// The `meta` key of the head, stored as [`encode_head`] writes it.
pub const META_HEAD: &[u8] = b"head";

/// The `log` key of `seq` (big-endian, so that sled's order is seq order).
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Decodes a big-endian u64 (a `log` key or an index value).
fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

fn stream_prefix(stream: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + stream.len() + 8);
    key.extend_from_slice(&(stream.len() as u64).to_be_bytes());
    key.extend_from_slice(stream.as_bytes());
    key
}

fn stream_key(stream: &str, version: u64) -> Vec<u8> {
    let mut key = stream_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The version at the end of a `streams` key of a known prefix.
fn version_of(prefix_len: usize, key: &[u8]) -> Option<u64> {
    if key.len() != prefix_len + 8 {
        return None;
    }
    decode_u64(&key[prefix_len..])
}

/// The trees of one log, and the personal-data keys beside it.
pub(crate) struct Trees {
    log: sled::Tree,
    by_id: sled::Tree,
    streams: sled::Tree,
    meta: sled::Tree,
    personal_keys: sled::Tree,
}

impl Trees {
    /// Opens (creating if needed) the trees in `db`.
    pub(crate) fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            log: db.open_tree(LOG)?,
            by_id: db.open_tree(BY_ID)?,
            streams: db.open_tree(STREAMS)?,
            meta: db.open_tree(META)?,
            personal_keys: db.open_tree(PERSONAL_KEYS)?,
        })
    }

    /// The personal-data key of `participant`, if stored.
    pub(crate) fn personal_key(
        &self,
        participant: &Uuid,
    ) -> Result<Option<[u8; crate::PERSONAL_KEY_BYTES]>, StoreError> {
        match self.personal_keys.get(participant.as_bytes())? {
            None => Ok(None),
            Some(v) => v.as_ref().try_into().map(Some).map_err(|_| {
                StoreError::corrupt(
                    0,
                    format!("the personal-data key of {participant} is not 32 bytes"),
                )
            }),
        }
    }

    /// Stores a new personal-data key; refuses to replace one.
    pub(crate) fn put_personal_key(
        &self,
        participant: &Uuid,
        key: &[u8; crate::PERSONAL_KEY_BYTES],
    ) -> Result<(), StoreError> {
        let swapped = self.personal_keys.compare_and_swap(
            participant.as_bytes(),
            None as Option<&[u8]>,
            Some(&key[..]),
        )?;
        swapped.map_err(|_| StoreError::KeyExists {
            participant: *participant,
        })
    }

    /// Removes a personal-data key (overwriting it with zeros first, which
    /// only helps where sled rewrites in place; see docs/FORMAT.md). Returns
    /// whether there was one.
    pub(crate) fn remove_personal_key(&self, participant: &Uuid) -> Result<bool, StoreError> {
        if self.personal_keys.get(participant.as_bytes())?.is_none() {
            return Ok(false);
        }
        self.personal_keys.insert(
            participant.as_bytes(),
            &[0u8; crate::PERSONAL_KEY_BYTES][..],
        )?;
        Ok(self.personal_keys.remove(participant.as_bytes())?.is_some())
    }

    /// Checks `format_version`; writes it when the log is new.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnknownFormat`] for another version,
    /// [`StoreError::Corrupt`] (seq 0) when it is malformed or missing from a
    /// non-empty log.
    pub(crate) fn check_format(&self) -> Result<(), StoreError> {
        match self.meta.get(META_FORMAT)? {
            Some(v) => {
                let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| {
                    StoreError::corrupt(0, "meta format_version is not a 4-byte u32")
                })?;
                let found = u32::from_be_bytes(bytes);
                if found != FORMAT_VERSION {
                    return Err(StoreError::UnknownFormat {
                        found,
                        supported: FORMAT_VERSION,
                    });
                }
                Ok(())
            }
            None if self.log.is_empty() => {
                self.meta
                    .insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes())?;
                Ok(())
            }
            None => Err(StoreError::corrupt(
                0,
                "the log holds records but meta has no format_version",
            )),
        }
    }

    /// The head stored in `meta` (seq, hash), if any.
    pub(crate) fn meta_head(&self) -> Result<Option<(u64, Hash)>, StoreError> {
        let Some(v) = self.meta.get(META_HEAD)? else {
            return Ok(None);
        };
        let malformed = || StoreError::corrupt(0, "meta head is not 40 bytes");
        if v.len() != 40 {
            return Err(malformed());
        }
        let seq = decode_u64(&v[..8]).ok_or_else(malformed)?;
        let hash: Hash = v[8..].try_into().map_err(|_| malformed())?;
        Ok(Some((seq, hash)))
    }

    /// Overwrites the head stored in `meta`.
    pub(crate) fn set_meta_head(&self, head: &Head) -> Result<(), StoreError> {
        self.meta.insert(META_HEAD, &encode_head(head)[..])?;
        Ok(())
    }

    /// The last seq in `log` (0 when empty).
    pub(crate) fn last_seq(&self) -> Result<u64, StoreError> {
        match self.log.last()? {
            None => Ok(0),
            Some((k, _)) => decode_u64(&k)
                .ok_or_else(|| StoreError::corrupt(0, "a log key is not an 8-byte seq")),
        }
    }

    /// The record stored at `seq`, checked to say that seq.
    pub(crate) fn record(&self, seq: u64) -> Result<Option<Record>, StoreError> {
        let Some(v) = self.log.get(seq_key(seq))? else {
            return Ok(None);
        };
        let r = codec::decode_record(seq, &v)?;
        if r.seq != seq {
            return Err(StoreError::corrupt(
                seq,
                format!("record says seq {} but is stored under {seq}", r.seq),
            ));
        }
        Ok(Some(r))
    }

    /// Calls `f(seq, record)` for each record with seq in `from..=to`, in
    /// order. Checks that seqs are consecutive from `from` (a missing record
    /// is [`StoreError::Corrupt`] naming it); stops early if `f` returns false.
    pub(crate) fn for_each(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(u64, Record) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        if from > to {
            return Ok(());
        }
        let mut expected = from;
        for item in self.log.range(seq_key(from)..=seq_key(to)) {
            let (k, v) = item?;
            let seq = decode_u64(&k)
                .ok_or_else(|| StoreError::corrupt(expected, "log key is not an 8-byte seq"))?;
            if seq != expected {
                return Err(StoreError::corrupt(
                    expected,
                    format!("record missing (next stored seq is {seq})"),
                ));
            }
            let r = codec::decode_record(seq, &v)?;
            if !f(seq, r)? {
                return Ok(());
            }
            expected += 1;
        }
        if expected <= to {
            return Err(StoreError::corrupt(expected, "record missing"));
        }
        Ok(())
    }

    /// The seq stored in `by_id` for `event_id`.
    pub(crate) fn seq_of(&self, event_id: &Uuid) -> Result<Option<u64>, StoreError> {
        match self.by_id.get(event_id.as_bytes())? {
            None => Ok(None),
            Some(v) => decode_u64(&v).map(Some).ok_or_else(|| {
                StoreError::corrupt(0, format!("by_id entry of {event_id} is not an 8-byte seq"))
            }),
        }
    }

    /// `(stream_version, seq)` of `stream`'s records with version >=
    /// `from_version`, in version order.
    pub(crate) fn stream_seqs(
        &self,
        stream: &str,
        from_version: u64,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let prefix = stream_prefix(stream);
        let end = stream_prefix_end(&prefix);
        let start = stream_key(stream, from_version);
        let range = match &end {
            Some(end) => self.streams.range(start..end.clone()),
            None => self.streams.range(start..),
        };
        let mut out = Vec::new();
        for item in range {
            let (k, v) = item?;
            out.push(decode_stream_entry(stream, prefix.len(), &k, &v)?);
        }
        Ok(out)
    }

    /// The last `(stream_version, seq)` of `stream` with seq <= `max_seq`.
    pub(crate) fn last_stream_entry(
        &self,
        stream: &str,
        max_seq: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let prefix = stream_prefix(stream);
        for item in self.streams.scan_prefix(&prefix).rev() {
            let (k, v) = item?;
            let entry = decode_stream_entry(stream, prefix.len(), &k, &v)?;
            if entry.1 <= max_seq {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// Whether both indexes point to `r`.
    pub(crate) fn indexed(&self, r: &Record) -> Result<bool, StoreError> {
        let key = seq_key(r.seq);
        let by_id = self.by_id.get(r.event_id.as_bytes())?;
        let stream = self.streams.get(stream_key(&r.stream, r.stream_version))?;
        Ok(by_id.as_deref() == Some(&key[..]) && stream.as_deref() == Some(&key[..]))
    }

    /// Stores `records` (consecutive, following the current head) in one
    /// multi-tree transaction: all of them with their index entries and the
    /// new meta head, or nothing.
    pub(crate) fn write(&self, records: &[Record]) -> Result<(), StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

        let Some(last) = records.last() else {
            return Ok(());
        };
        let mut entries = Vec::with_capacity(records.len());
        for r in records {
            entries.push((
                seq_key(r.seq),
                codec::encode_record(r)?,
                stream_key(&r.stream, r.stream_version),
                *r.event_id.as_bytes(),
            ));
        }
        let head = encode_head(&Head::of(last));
        (&self.log, &self.by_id, &self.streams, &self.meta)
            .transaction(|(log, by_id, streams, meta)| {
                for (seq, value, stream, id) in &entries {
                    log.insert(&seq[..], value.as_slice())?;
                    by_id.insert(&id[..], &seq[..])?;
                    streams.insert(stream.as_slice(), &seq[..])?;
                }
                meta.insert(META_HEAD, &head[..])?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e: TransactionError<()>| match e {
                TransactionError::Storage(e) => StoreError::Sled(e),
                TransactionError::Abort(()) => StoreError::Codec("transaction aborted".into()),
            })
    }

    /// Clears `by_id` and `streams` and rebuilds them from `log` records
    /// `1..=last`, checking the whole chain on the way (so a duplicate event
    /// id or stream version is reported as [`StoreError::Corrupt`]).
    pub(crate) fn rebuild_indexes(&self, last: u64) -> Result<Head, StoreError> {
        self.by_id.clear()?;
        self.streams.clear()?;
        let mut chain = ChainCheck::after(Head::EMPTY);
        let mut streams = StreamCheck::default();
        self.for_each(1, last, |seq, r| {
            chain.next(seq, &r)?;
            streams.next(&r)?;
            let key = seq_key(seq);
            if let Some(old) = self.by_id.insert(r.event_id.as_bytes(), &key[..])? {
                return Err(StoreError::corrupt(
                    seq,
                    format!(
                        "event id {} is also stored at seq {}",
                        r.event_id,
                        decode_u64(&old).unwrap_or(0)
                    ),
                ));
            }
            self.streams
                .insert(stream_key(&r.stream, r.stream_version), &key[..])?;
            Ok(true)
        })?;
        Ok(chain.head())
    }
}

/// The `meta` value of [`META_HEAD`]: head seq (big-endian u64) ‖ head hash.
pub fn encode_head(head: &Head) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&head.seq.to_be_bytes());
    v[8..].copy_from_slice(&head.hash);
    v
}

/// The smallest key greater than every key starting with `prefix`, if any.
fn stream_prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn decode_stream_entry(
    stream: &str,
    prefix_len: usize,
    key: &[u8],
    value: &[u8],
) -> Result<(u64, u64), StoreError> {
    let version = version_of(prefix_len, key).ok_or_else(|| {
        StoreError::corrupt(0, format!("malformed streams key for stream {stream:?}"))
    })?;
    let seq = decode_u64(value).ok_or_else(|| {
        StoreError::corrupt(
            0,
            format!("streams entry {stream:?} v{version} is not an 8-byte seq"),
        )
    })?;
    Ok((version, seq))
}

/// Test-only access to the raw trees, to damage a log on purpose.
#[cfg(test)]
pub(crate) mod raw {
    use super::*;

    /// Replaces the stored value of `seq` in `log`.
    pub(crate) fn put_log_value(db: &sled::Db, seq: u64, value: &[u8]) {
        db.open_tree(LOG)
            .unwrap()
            .insert(seq_key(seq), value)
            .unwrap();
    }

    /// Removes the record `seq` from `log`.
    pub(crate) fn remove_log_value(db: &sled::Db, seq: u64) {
        db.open_tree(LOG).unwrap().remove(seq_key(seq)).unwrap();
    }

    /// Empties the `by_id` and `streams` trees.
    pub(crate) fn clear_indexes(db: &sled::Db) {
        db.open_tree(BY_ID).unwrap().clear().unwrap();
        db.open_tree(STREAMS).unwrap().clear().unwrap();
    }

    /// Removes the head from `meta`.
    pub(crate) fn remove_meta_head(db: &sled::Db) {
        db.open_tree(META).unwrap().remove(META_HEAD).unwrap();
    }

    /// Overwrites `format_version` in `meta`.
    pub(crate) fn set_format_version(db: &sled::Db, version: u32) {
        db.open_tree(META)
            .unwrap()
            .insert(META_FORMAT, &version.to_be_bytes())
            .unwrap();
    }

    /// Makes the by_id entry of `event_id` point to `seq`.
    pub(crate) fn point_by_id(db: &sled::Db, event_id: &Uuid, seq: u64) {
        db.open_tree(BY_ID)
            .unwrap()
            .insert(event_id.as_bytes(), &seq_key(seq)[..])
            .unwrap();
    }
}
