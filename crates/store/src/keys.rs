//! The on-disk layout: the only file naming sled trees and their keys.
//!
//! Format 3:
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `sealed` | the seq of the chunk's first record, big-endian u64 | where the sealed chunk is in the segment files ([`crate::segment`]): segment BE u32 ‖ offset BE u64 ‖ length BE u32 |
//! | `chunks` | the seq of the chunk's first record, big-endian u64 | an unsealed chunk at the end of the log ([`crate::codec`] encoding) |
//! | `meta` | `format_version` | `FORMAT_VERSION` (this build's format), big-endian u32 |
//! | `meta` | `head` | head seq (big-endian u64) ‖ head hash (32 bytes) |
//! | `personal_keys` | participant id, 16 bytes | the participant's personal-data key, 32 bytes — not part of the log, never exported |
//!
//! The chunks of both trees together tile the seqs `1..=head` without gap or
//! overlap; the records themselves are the single source of truth.
//! `meta`'s head is derivable from the last chunk; the event-id and stream
//! indexes are kept in memory only (built at open). Big-endian keys make
//! sled's byte order the numeric order.
//!
//! Format 2 had no `sealed` tree: every chunk was a value of `chunks`. It is
//! a valid format-3 layout, so it is upgraded in place by moving its sealed
//! chunks into segments ([`crate::SledLog::open`]). Format 1 (read only to
//! upgrade it, see `v1`) had the trees `log` (one record per seq key),
//! `by_id` and `streams`.
//!
//! The tree names are public for tools that inspect a log directory with
//! sled directly; [`crate::raw`] reads and damages records without knowing
//! the layout. `Trees` itself stays private to the crate.

use uuid::Uuid;

use crate::chain::Hash;
use crate::error::StoreError;
use crate::record::Head;
use crate::segment::SegmentRef;

/// The on-disk format this build reads and writes (bump on any layout or
/// codec change).
pub(crate) const FORMAT_VERSION: u32 = 3;

/// The tree of the unsealed chunks, keyed by [`seq_key`] of each chunk's
/// first record.
pub const CHUNKS: &str = "chunks";
/// The tree of the sealed chunks' places in the segment files, keyed by
/// [`seq_key`] of each chunk's first record.
pub const SEALED: &str = "sealed";
/// The tree of metadata ([`META_FORMAT`], [`META_HEAD`]).
pub const META: &str = "meta";

/// Format 1's tree of records (one per seq), dropped by the upgrade.
pub(crate) const V1_LOG: &str = "log";
/// Format 1's tree mapping event ids to seqs, dropped by the upgrade.
pub(crate) const V1_BY_ID: &str = "by_id";
/// Format 1's tree mapping stream entries to seqs, dropped by the upgrade.
pub(crate) const V1_STREAMS: &str = "streams";

/// The tree of per-participant personal-data keys (participant id, 16
/// bytes → 32-byte key). Beside the log, not derived from it and not part of
/// it: a copy of the log without this tree reads every sealed name as erased.
pub const PERSONAL_KEYS: &str = "personal_keys";

/// The `meta` key of the on-disk format version.
pub const META_FORMAT: &[u8] = b"format_version";
/// The `meta` key of the head, stored as [`encode_head`] writes it.
pub const META_HEAD: &[u8] = b"head";

/// The `chunks` key of the chunk starting at `seq` (big-endian, so that
/// sled's order is seq order).
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Decodes a big-endian u64 (a `chunks` key).
pub(crate) fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// The format found by [`Trees::check_format`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// This build's format (or a new, empty log, now marked so).
    Current,
    /// Format 2: readable as it is; its sealed chunks are to be moved into
    /// segments.
    V2,
    /// Format 1: to upgrade.
    V1,
}

/// The trees of one log, and the personal-data keys beside it.
pub(crate) struct Trees {
    pub(crate) chunks: sled::Tree,
    pub(crate) sealed: sled::Tree,
    meta: sled::Tree,
    personal_keys: sled::Tree,
}

/// Whether `db` has a tree called `name` (without creating it).
pub(crate) fn has_tree(db: &sled::Db, name: &str) -> bool {
    db.tree_names()
        .iter()
        .any(|n| n.as_ref() == name.as_bytes())
}

impl Trees {
    /// Opens (creating if needed) the trees in `db`.
    pub(crate) fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            chunks: db.open_tree(CHUNKS)?,
            sealed: db.open_tree(SEALED)?,
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
    /// [`StoreError::UnknownFormat`] for another version than 1, 2 or 3,
    /// [`StoreError::Corrupt`] (seq 0) when it is malformed or missing from a
    /// non-empty log.
    pub(crate) fn check_format(&self, db: &sled::Db) -> Result<Found, StoreError> {
        match self.meta.get(META_FORMAT)? {
            Some(v) => {
                let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| {
                    StoreError::corrupt(0, "meta format_version is not a 4-byte u32")
                })?;
                match u32::from_be_bytes(bytes) {
                    FORMAT_VERSION => Ok(Found::Current),
                    2 => Ok(Found::V2),
                    1 => Ok(Found::V1),
                    found => Err(StoreError::UnknownFormat {
                        found,
                        supported: FORMAT_VERSION,
                    }),
                }
            }
            None if self.chunks.is_empty()
                && self.sealed.is_empty()
                && (!has_tree(db, V1_LOG) || db.open_tree(V1_LOG)?.is_empty()) =>
            {
                self.set_format(FORMAT_VERSION)?;
                Ok(Found::Current)
            }
            None => Err(StoreError::corrupt(
                0,
                "the log holds records but meta has no format_version",
            )),
        }
    }

    /// Overwrites `format_version`.
    pub(crate) fn set_format(&self, version: u32) -> Result<(), StoreError> {
        self.meta.insert(META_FORMAT, &version.to_be_bytes())?;
        Ok(())
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

    /// The chunk stored under `first_seq`, if any.
    pub(crate) fn chunk(&self, first_seq: u64) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.chunks.get(seq_key(first_seq))?)
    }

    /// Stores chunk values `(first_seq, value)` atomically (one insert or
    /// one batch).
    pub(crate) fn put_chunks(&self, chunks: Vec<(u64, Vec<u8>)>) -> Result<(), StoreError> {
        if chunks.len() == 1 {
            let (seq, value) = chunks.into_iter().next().expect("one chunk");
            self.chunks.insert(seq_key(seq), value)?;
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for (seq, value) in chunks {
            batch.insert(&seq_key(seq), value);
        }
        self.chunks.apply_batch(batch)?;
        Ok(())
    }

    /// Stores the places of sealed chunks `(first_seq, where)` atomically.
    pub(crate) fn put_sealed(&self, refs: &[(u64, SegmentRef)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (seq, at) in refs {
            batch.insert(&seq_key(*seq), &at.encode()[..]);
        }
        self.sealed.apply_batch(batch)?;
        Ok(())
    }

    /// Removes the unsealed chunks starting at `removed` from `chunks` and
    /// stores the places of sealed chunks `refs`, in one sled transaction
    /// (a chunk moved into a segment is never both or neither).
    pub(crate) fn move_to_sealed(
        &self,
        removed: &[u64],
        refs: &[(u64, SegmentRef)],
    ) -> Result<(), StoreError> {
        use sled::transaction::{TransactionError, Transactional};
        (&self.chunks, &self.sealed)
            .transaction(|(chunks, sealed)| {
                for seq in removed {
                    chunks.remove(&seq_key(*seq))?;
                }
                for (seq, at) in refs {
                    sealed.insert(&seq_key(*seq), &at.encode()[..])?;
                }
                Ok(())
            })
            .map_err(|e: TransactionError<()>| match e {
                TransactionError::Storage(e) => StoreError::Sled(e),
                TransactionError::Abort(()) => {
                    StoreError::Codec("a sled transaction aborted".into())
                }
            })
    }

    /// The first seqs of the chunks stored in `chunks` (the unsealed ones),
    /// ascending.
    pub(crate) fn chunk_starts(&self) -> Result<Vec<u64>, StoreError> {
        self.chunks
            .iter()
            .keys()
            .map(|k| {
                decode_u64(&k?)
                    .ok_or_else(|| StoreError::corrupt(0, "a chunks key is not an 8-byte seq"))
            })
            .collect()
    }

    /// Where the sealed chunk starting at `first_seq` is, if it is one.
    pub(crate) fn sealed_ref(&self, first_seq: u64) -> Result<Option<SegmentRef>, StoreError> {
        self.sealed
            .get(seq_key(first_seq))?
            .map(|v| SegmentRef::decode(first_seq, &v))
            .transpose()
    }

    /// The places of every sealed chunk, by first seq, ascending.
    pub(crate) fn sealed_refs(&self) -> Result<Vec<(u64, SegmentRef)>, StoreError> {
        self.sealed
            .iter()
            .map(|item| {
                let (k, v) = item?;
                let seq = decode_u64(&k)
                    .ok_or_else(|| StoreError::corrupt(0, "a sealed key is not an 8-byte seq"))?;
                Ok((seq, SegmentRef::decode(seq, &v)?))
            })
            .collect()
    }
}

/// The `meta` value of [`META_HEAD`]: head seq (big-endian u64) ‖ head hash.
pub fn encode_head(head: &Head) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&head.seq.to_be_bytes());
    v[8..].copy_from_slice(&head.hash);
    v
}
