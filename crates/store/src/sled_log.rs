//! [`SledLog`]: the [`EventLog`] on sled 0.34.7, with a durability barrier
//! (flush + fsync of sled's files and directories) shared by concurrent
//! appenders (group commit).
//!
//! Format 3 (docs/FORMAT.md): the records live in chunks of consecutive
//! records. A sealed chunk (at least [`SEAL_RECORDS`] records or
//! [`SEAL_BYTES`] bytes) is appended to a segment file beside sled
//! ([`crate::segment`]) and made durable before sled's tree `sealed`
//! records where it is; the small chunks at the end of the log (one per
//! HTTP append) are sled values (tree `chunks`) until they hold enough to be
//! merged into one sealed chunk and moved. The event-id and stream indexes,
//! and the list of chunks, are kept in memory and built at open.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{
    Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::time::{Duration, Instant, SystemTime};

use jiff::Timestamp;
use uuid::Uuid;

use crate::append::{plan, AppendView, Plan};
use crate::chain::{ChainCheck, StreamCheck};
use crate::codec::{self, decode_chunk, ChunkBuilder};
use crate::error::{AppendError, StoreError};
use crate::index::Index;
use crate::keys::{self, Found, Trees, FORMAT_VERSION, V1_BY_ID, V1_LOG, V1_STREAMS};
use crate::record::{Appended, Head, NewEvent, Record};
use crate::segment::{sync_dir, SegmentRef, Segments};
use crate::{seq_at_by_search, EventLog, KeyStore, PERSONAL_KEY_BYTES};

/// How many records at the end of the log [`SledLog::open`] re-verifies.
pub const OPEN_VERIFY_TAIL_RECORDS: u64 = 1_000;

/// The most records one chunk written by an append holds (a bigger batch is
/// split into several chunks, written in one atomic sled batch).
pub const CHUNK_MAX_RECORDS: usize = 8_192;

/// A chunk written by an append is closed once its records' bytes reach this
/// size (bytes), so a chunk stays below about this size plus one record.
///
/// Kept under sled 0.34's blob threshold (segment size / 4 = 128 KiB):
/// larger values go to one file each and leaves holding them are rewritten
/// whole, which measured 2.8× the encoded size on disk (1.4× below it).
pub const CHUNK_MAX_BYTES: usize = 120 << 10;

/// A chunk with at least this many records is sealed: it goes into a
/// segment file and is never merged again. The unsealed chunks at the end
/// of the log are merged into one (and so sealed) as soon as they hold this
/// many records (or [`SEAL_BYTES`]) in two chunks or more.
pub const SEAL_RECORDS: usize = 2_048;

/// A chunk value of at least this many bytes is sealed (see [`SEAL_RECORDS`]).
pub const SEAL_BYTES: usize = 64 << 10;

/// sled's page cache size for a log, in bytes (sled's default is 1 GiB).
/// Sealed chunks are not read through it (the kernel caches segment files).
pub const CACHE_CAPACITY_BYTES: u64 = 64 << 20;

/// The event log stored with sled in one directory.
///
/// One writer at a time assigns seqs and writes a batch (its sealed chunks
/// to a segment, then one sled operation); then the appender waits for a
/// durability barrier covering its records. Readers see only records
/// covered by a completed barrier.
///
/// Memory: the in-memory indexes take about 55 bytes per record (≈ 55 MB
/// for 10^6 records in 2 × 10^5 streams: 27 for the event ids, the rest for
/// the streams; see `index::Index`) plus sled's cache ([`CACHE_CAPACITY_BYTES`]); sealed
/// chunks are read with `pread` into a buffer per read.
///
/// Unix only (segment files are read with `pread`).
pub struct SledLog {
    dir: PathBuf,
    db: sled::Db,
    trees: Trees,
    segments: Segments,
    /// Serialises appends (seq assignment, the write, sealing) and holds
    /// the unsealed chunks at the end of the log.
    writer: Mutex<Writer>,
    /// Every chunk, by first seq, ascending. Held for writing while chunks
    /// are merged or moved into a segment, so that a reader's lookup of a
    /// chunk never falls between the old place and the new one.
    chunks: RwLock<Vec<ChunkInfo>>,
    /// Event id → seq and stream → seqs of everything written.
    index: RwLock<Index>,
    sync: Mutex<SyncState>,
    synced: Condvar,
    /// What the last barrier fsynced.
    sync_memo: Mutex<SyncMemo>,
}

/// A chunk: its first seq, size and place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ChunkInfo {
    first_seq: u64,
    records: usize,
    bytes: usize,
    /// Where in the segment files; `None`: a value of sled's `chunks`.
    at: Option<SegmentRef>,
}

/// A chunk's bytes, from sled or from a segment file.
enum ChunkBytes {
    Sled(sled::IVec),
    Segment(Vec<u8>),
}

impl std::ops::Deref for ChunkBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            ChunkBytes::Sled(v) => v,
            ChunkBytes::Segment(v) => v,
        }
    }
}

/// The bytes of chunk `c` (`None` when sled has no value under its key).
fn fetch(
    trees: &Trees,
    segments: &Segments,
    c: &ChunkInfo,
) -> Result<Option<ChunkBytes>, StoreError> {
    match c.at {
        Some(at) => Ok(Some(ChunkBytes::Segment(segments.read(c.first_seq, at)?))),
        None => Ok(trees.chunk(c.first_seq)?.map(ChunkBytes::Sled)),
    }
}

impl ChunkInfo {
    /// Big enough to be sealed on its own ([`SEAL_RECORDS`], [`SEAL_BYTES`]);
    /// a chunk in a segment is sealed whatever its size (a merged tail).
    fn sealed(&self) -> bool {
        self.records >= SEAL_RECORDS || self.bytes >= SEAL_BYTES
    }
}

/// The writer's state.
#[derive(Debug, Default)]
struct Writer {
    /// The unsealed chunks at the end of the log, in seq order.
    tail: Vec<ChunkInfo>,
}

#[derive(Debug)]
struct SyncState {
    /// The last record written (maybe not yet durable).
    written: Head,
    /// The last record covered by a completed barrier: what readers see.
    durable: Head,
    /// A thread is running a barrier.
    flushing: bool,
    /// A barrier failed: appends are refused from then on.
    failed: Option<String>,
}

impl fmt::Debug for SledLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledLog")
            .field("dir", &self.dir)
            .field("sync", &*self.sync_state())
            .finish_non_exhaustive()
    }
}

impl SledLog {
    /// Opens the log in `dir`, creating the directory and an empty log if
    /// needed.
    ///
    /// Start-up checks: the on-disk `format_version`; the chain over the
    /// last [`OPEN_VERIFY_TAIL_RECORDS`] records (linked to the record before
    /// them); that `meta`'s head is not ahead of `log` and matches its last
    /// record. Indexes (`by_id`, `streams`) that do not cover the log are
    /// rebuilt from it (checking the whole chain), a lagging meta head is
    /// rewritten, and a durability barrier makes everything visible durable.
    /// A format-1 or format-2 directory is upgraded in place first (format 2:
    /// its sealed chunks move into segment files; docs/FORMAT.md).
    /// Use [`EventLog::verify`] for a full check.
    ///
    /// # Errors
    ///
    /// - [`StoreError::UnknownFormat`] when the directory holds another format;
    /// - [`StoreError::Corrupt`] naming the first bad seq (0 = metadata);
    /// - [`StoreError::Locked`] when another open log holds the directory
    ///   (after waiting up to [`OPEN_LOCK_WAIT`] for it to go away: a log
    ///   dropped in this process releases its lock asynchronously);
    /// - [`StoreError::Sled`] / [`StoreError::Io`] when opening or syncing fails.
    pub fn open(dir: &Path) -> Result<SledLog, StoreError> {
        std::fs::create_dir_all(dir)?;
        let db = open_db(dir)?;
        let trees = Trees::open(&db)?;
        let found = trees.check_format(&db)?;
        match found {
            Found::V1 => crate::v1::upgrade(&db, &trees)?,
            Found::Current | Found::V2 => {
                for name in [V1_LOG, V1_BY_ID, V1_STREAMS] {
                    if keys::has_tree(&db, name) {
                        tracing::info!(tree = name, "dropping a tree left by the format 1 upgrade");
                        db.drop_tree(name)?;
                    }
                }
            }
        }
        let segments = Segments::open(dir)?;
        let scanned = scan(&trees, &segments)?;
        let mut log = SledLog {
            dir: dir.to_path_buf(),
            db,
            trees,
            segments,
            writer: Mutex::new(Writer::default()),
            chunks: RwLock::new(scanned.chunks.clone()),
            index: RwLock::new(scanned.index),
            sync: Mutex::new(SyncState {
                written: Head::EMPTY,
                durable: Head::EMPTY,
                flushing: false,
                failed: None,
            }),
            synced: Condvar::new(),
            sync_memo: Mutex::new(SyncMemo::default()),
        };
        let head = log.recover(scanned.last)?;
        {
            let s = log.sync.get_mut().unwrap_or_else(PoisonError::into_inner);
            s.written = head;
            s.durable = head;
        }
        // The unsealed tail: the last chunks stored in sled, short of the
        // seal size (a chunk in a segment is sealed whatever its size).
        let tail_len = scanned
            .chunks
            .iter()
            .rev()
            .take_while(|c| c.at.is_none() && !c.sealed())
            .count();
        let mut writer = Writer {
            tail: scanned.chunks[scanned.chunks.len() - tail_len..].to_vec(),
        };
        log.seal_stored(scanned.chunks.len() - tail_len)?;
        log.settle_tail(&mut writer)?;
        if found == Found::V2 {
            log.trees.set_format(FORMAT_VERSION)?;
            tracing::info!("upgraded the log from on-disk format 2 to {FORMAT_VERSION}");
        }
        *log.writer.get_mut().unwrap_or_else(PoisonError::into_inner) = writer;
        log.barrier()?;
        Ok(log)
    }

    /// The directory holding the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw database, for tests that damage it on purpose.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> crate::raw::RawLog {
        crate::raw::RawLog::of(self.db.clone(), &self.dir).expect("segments open")
    }

    /// The trees, for tests.
    #[cfg(test)]
    pub(crate) fn trees_for_test(&self) -> &Trees {
        &self.trees
    }

    fn sync_state(&self) -> MutexGuard<'_, SyncState> {
        self.sync.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn durable(&self) -> Head {
        self.sync_state().durable
    }

    /// Makes every write done before the call durable: sled's flush, then
    /// fsync of every file and directory under the log's directory (sled
    /// 0.34.7's flush uses `sync_file_range`, which persists neither
    /// metadata nor the device cache).
    fn barrier(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.sync_memo
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sync(&self.dir)?;
        Ok(())
    }

    /// Waits until a barrier covers `seq`, running one if none is in
    /// progress (group commit: one barrier covers all records written
    /// before it started).
    fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        let mut s = self.sync_state();
        loop {
            if s.durable.seq >= seq {
                return Ok(());
            }
            if let Some(reason) = &s.failed {
                return Err(StoreError::Unavailable {
                    reason: reason.clone(),
                });
            }
            if s.flushing {
                s = self.synced.wait(s).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            s.flushing = true;
            let covered = s.written;
            drop(s);
            let result = self.barrier();
            s = self.sync_state();
            s.flushing = false;
            match &result {
                Ok(()) if covered.seq > s.durable.seq => s.durable = covered,
                Ok(()) => {}
                Err(e) => {
                    tracing::error!(error = %e, "durability barrier failed; refusing appends");
                    s.failed = Some(e.to_string());
                }
            }
            self.synced.notify_all();
            result?;
        }
    }

    /// The durable record at `seq` (which must be in `1..=durable`).
    fn durable_record(&self, seq: u64) -> Result<Record, StoreError> {
        self.record_at(seq)
    }

    fn chunk_list(&self) -> RwLockReadGuard<'_, Vec<ChunkInfo>> {
        self.chunks.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn chunk_list_mut(&self) -> RwLockWriteGuard<'_, Vec<ChunkInfo>> {
        self.chunks.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The chunk that should hold `seq`: `(first seq, value)`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming `seq` when no chunk starts at or
    /// before it or the chunk is gone.
    fn chunk_holding(&self, seq: u64) -> Result<(u64, ChunkBytes), StoreError> {
        let chunks = self.chunk_list();
        let i = chunks.partition_point(|c| c.first_seq <= seq);
        if i == 0 {
            return Err(missing(seq, chunks.first().map(|c| c.first_seq)));
        }
        let c = &chunks[i - 1];
        match fetch(&self.trees, &self.segments, c)? {
            Some(value) => Ok((c.first_seq, value)),
            None => Err(missing(seq, chunks.get(i).map(|c| c.first_seq))),
        }
    }

    /// The record at `seq` (written, maybe not durable).
    fn record_at(&self, seq: u64) -> Result<Record, StoreError> {
        let (first, value) = self.chunk_holding(seq)?;
        let chunk = decode_chunk(first, &value)?;
        if !chunk.contains(seq) {
            return Err(missing(seq, self.next_start(seq)));
        }
        chunk.record(seq)
    }

    /// The first chunk start after `seq`, if any.
    fn next_start(&self, seq: u64) -> Option<u64> {
        let chunks = self.chunk_list();
        chunks
            .get(chunks.partition_point(|c| c.first_seq <= seq))
            .map(|c| c.first_seq)
    }

    /// Calls `f(seq, record)` for each record with seq in `from..=to`, in
    /// order (a missing record is [`StoreError::Corrupt`] naming it); stops
    /// early if `f` returns false. Looks up one chunk at a time, so a
    /// compaction may run between two chunks without harm.
    fn for_each(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(u64, Record) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(from, to, |v| f(v.seq, v.to_record()))
    }

    /// [`SledLog::for_each`] lending each record from its chunk's bytes.
    fn walk(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(crate::RecordView<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut seq = from;
        while seq <= to {
            let (first, value) = self.chunk_holding(seq)?;
            let chunk = decode_chunk(first, &value)?;
            if !chunk.contains(seq) {
                return Err(missing(seq, self.next_start(seq)));
            }
            let last = chunk.last_seq().min(to);
            for s in seq..=last {
                if !f(chunk.record_view(s)?)? {
                    return Ok(());
                }
            }
            match last.checked_add(1) {
                Some(next) => seq = next,
                None => break,
            }
        }
        Ok(())
    }

    /// The records at `seqs` (ascending), reading each chunk once.
    fn records_at(&self, seqs: &[(u64, u64)], stream: &str) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::with_capacity(seqs.len());
        let mut i = 0;
        while let Some(&(_, seq)) = seqs.get(i) {
            let (first, value) = self.chunk_holding(seq)?;
            let chunk = decode_chunk(first, &value)?;
            if !chunk.contains(seq) {
                return Err(missing(seq, self.next_start(seq)));
            }
            while let Some(&(version, seq)) = seqs.get(i).filter(|(_, s)| chunk.contains(*s)) {
                let r = chunk.record(seq)?;
                if r.stream != stream || r.stream_version != version {
                    return Err(StoreError::corrupt(
                        seq,
                        format!("the stream index points {stream:?} v{version} to another record"),
                    ));
                }
                out.push(r);
                i += 1;
            }
        }
        Ok(out)
    }

    /// Start-up checks after the scan; returns the head. See [`SledLog::open`].
    fn recover(&self, last: u64) -> Result<Head, StoreError> {
        let meta_head = self.trees.meta_head()?;
        if let Some((meta_seq, _)) = meta_head {
            if meta_seq > last {
                return Err(StoreError::corrupt(
                    last + 1,
                    format!("meta says the head is seq {meta_seq} but the log ends at seq {last}"),
                ));
            }
        }
        let from = last.saturating_sub(OPEN_VERIFY_TAIL_RECORDS - 1).max(1);
        let start = if from > 1 {
            Head::of(&self.record_at(from - 1)?)
        } else {
            Head::EMPTY
        };
        let mut chain = ChainCheck::after(start);
        self.for_each(from, last, |seq, r| {
            chain.next(seq, &r)?;
            Ok(true)
        })?;
        let head = chain.head();
        match meta_head {
            Some((seq, hash)) if seq == last => {
                if hash != head.hash {
                    return Err(StoreError::corrupt(
                        last,
                        "meta's head hash differs from the last record's hash",
                    ));
                }
            }
            _ => {
                if last > 0 {
                    tracing::warn!(last, "meta head behind the log; rewriting it");
                }
                self.trees.set_meta_head(&head)?;
            }
        }
        Ok(head)
    }

    /// Stores `records` (consecutive, following the written head): its
    /// sealed chunks into a segment (after the unsealed tail, merged into
    /// one chunk), the rest as sled values; then the meta head, the chunk
    /// list and indexes; then merges and seals the unsealed tail if it is
    /// due. A storage error here leaves the outcome unknown: the caller
    /// refuses further appends.
    fn write(&self, writer: &mut Writer, records: &[Record]) -> Result<(), StoreError> {
        let Some(last) = records.last() else {
            return Ok(());
        };
        let mut chunks = Vec::new();
        let mut builder: Option<ChunkBuilder> = None;
        for r in records {
            let b = builder.get_or_insert_with(|| ChunkBuilder::new(r.seq));
            b.push(r)?;
            if b.len() >= CHUNK_MAX_RECORDS || b.body_bytes() >= CHUNK_MAX_BYTES {
                let b = builder.take().expect("a chunk is being built");
                chunks.push(finish_chunk(b)?);
            }
        }
        if let Some(b) = builder {
            chunks.push(finish_chunk(b)?);
        }
        // Every chunk up to the last sealed one goes into a segment.
        let sealed = chunks
            .iter()
            .rposition(|(c, _)| c.sealed())
            .map_or(0, |i| i + 1);
        let open = chunks.split_off(sealed);
        if !chunks.is_empty() {
            let tail = std::mem::take(&mut writer.tail);
            self.seal(&tail, chunks)?;
        }
        if !open.is_empty() {
            let infos: Vec<ChunkInfo> = open.iter().map(|(c, _)| *c).collect();
            self.trees
                .put_chunks(open.into_iter().map(|(c, v)| (c.first_seq, v)).collect())?;
            self.chunk_list_mut().extend(infos.iter().copied());
            writer.tail.extend(infos);
        }
        self.trees.set_meta_head(&Head::of(last))?;
        {
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            for r in records {
                index.add(r.seq, r.event_id, &r.stream, r.stream_version)?;
            }
        }
        self.settle_tail(writer)
    }

    /// Seals the unsealed tail if it holds two chunks or more and
    /// [`SEAL_RECORDS`] records or [`SEAL_BYTES`] bytes (see [`SledLog::seal`]).
    fn settle_tail(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let records: usize = writer.tail.iter().map(|c| c.records).sum();
        let bytes: usize = writer.tail.iter().map(|c| c.bytes).sum();
        if writer.tail.len() >= 2 && (records >= SEAL_RECORDS || bytes >= SEAL_BYTES) {
            let tail = std::mem::take(&mut writer.tail);
            self.seal(&tail, Vec::new())?;
        }
        Ok(())
    }

    /// Moves the chunks `tail` (the unsealed chunks at the end of the chunk
    /// list, stored in sled; merged into one chunk when there are several)
    /// and then the new chunks `new` (which follow them) into a segment:
    /// the bytes are appended and made durable first, then one sled
    /// operation removes `tail` from `chunks` and records every new place in
    /// `sealed` (a transaction when `tail` is not empty), then the chunk
    /// list is updated. Record bytes are copied, never re-encoded.
    fn seal(&self, tail: &[ChunkInfo], new: Vec<(ChunkInfo, Vec<u8>)>) -> Result<(), StoreError> {
        let mut pieces = Vec::with_capacity(new.len() + 1);
        if let Some(head) = tail.first() {
            let value = self.merge(tail)?;
            let info = ChunkInfo {
                first_seq: head.first_seq,
                records: tail.iter().map(|c| c.records).sum(),
                bytes: value.len(),
                at: None,
            };
            pieces.push((info, value));
        }
        pieces.extend(new);
        let refs = self
            .segments
            .append(pieces.iter().map(|(_, v)| v.as_slice()))?;
        let placed: Vec<(u64, SegmentRef)> = pieces
            .iter()
            .zip(&refs)
            .map(|((c, _), at)| (c.first_seq, *at))
            .collect();
        let mut chunks = self.chunk_list_mut();
        if tail.is_empty() {
            self.trees.put_sealed(&placed)?;
        } else {
            let removed: Vec<u64> = tail.iter().map(|c| c.first_seq).collect();
            self.trees.move_to_sealed(&removed, &placed)?;
        }
        if let Some(head) = tail.first() {
            let keep = chunks.partition_point(|c| c.first_seq < head.first_seq);
            chunks.truncate(keep);
        }
        chunks.extend(
            pieces
                .iter()
                .zip(refs)
                .map(|((c, _), at)| ChunkInfo { at: Some(at), ..*c }),
        );
        if tail.len() >= 2 {
            tracing::debug!(
                first_seq = placed[0].0,
                chunks = tail.len(),
                "merged and sealed the unsealed chunks"
            );
        }
        Ok(())
    }

    /// The chunks `run` (consecutive, stored in sled) as one chunk's bytes.
    fn merge(&self, run: &[ChunkInfo]) -> Result<Vec<u8>, StoreError> {
        let value = |c: &ChunkInfo| {
            self.trees
                .chunk(c.first_seq)?
                .ok_or_else(|| missing(c.first_seq, None))
        };
        let [single] = run else {
            let Some(head) = run.first() else {
                return Err(StoreError::Codec("no chunk to merge".into()));
            };
            let mut merged = ChunkBuilder::new(head.first_seq);
            for c in run {
                let value = value(c)?;
                let chunk = decode_chunk(c.first_seq, &value)?;
                if chunk.first_seq() != merged.next_seq() {
                    return Err(missing(merged.next_seq(), Some(chunk.first_seq())));
                }
                for seq in chunk.first_seq()..=chunk.last_seq() {
                    let bytes = chunk.record_bytes(seq).expect("the chunk holds its seqs");
                    merged.push_encoded(bytes)?;
                }
            }
            return merged.finish();
        };
        Ok(value(single)?.to_vec())
    }

    /// Moves every chunk stored in sled among the first `before` chunks of
    /// the list into segments, a group of up to [`SEAL_GROUP_BYTES`] at a
    /// time, each as [`SledLog::seal`] does (bytes durable first, then one
    /// sled transaction). These are format 2's sealed chunks, the chunks a
    /// format-1 upgrade wrote, and chunks rewritten with [`crate::raw`].
    /// Returns how many chunks moved.
    fn seal_stored(&self, before: usize) -> Result<usize, StoreError> {
        let stored: Vec<ChunkInfo> = self.chunk_list()[..before]
            .iter()
            .filter(|c| c.at.is_none())
            .copied()
            .collect();
        let mut i = 0;
        while i < stored.len() {
            let mut bytes = 0;
            let mut values = Vec::new();
            while let Some(c) = stored.get(i).filter(|_| bytes < SEAL_GROUP_BYTES) {
                let value = self
                    .trees
                    .chunk(c.first_seq)?
                    .ok_or_else(|| missing(c.first_seq, None))?;
                bytes += value.len();
                values.push((c.first_seq, value));
                i += 1;
            }
            let refs = self.segments.append(values.iter().map(|(_, v)| &v[..]))?;
            let placed: Vec<(u64, SegmentRef)> = values.iter().map(|(s, _)| *s).zip(refs).collect();
            let removed: Vec<u64> = placed.iter().map(|(s, _)| *s).collect();
            let mut chunks = self.chunk_list_mut();
            self.trees.move_to_sealed(&removed, &placed)?;
            for (seq, at) in placed {
                if let Ok(k) = chunks.binary_search_by_key(&seq, |c| c.first_seq) {
                    chunks[k].at = Some(at);
                }
            }
        }
        if !stored.is_empty() {
            tracing::info!(
                chunks = stored.len(),
                "moved chunks stored in sled into segments"
            );
        }
        Ok(stored.len())
    }
}

/// How many bytes of chunks [`SledLog::seal_stored`] moves per segment
/// append and sled transaction.
const SEAL_GROUP_BYTES: usize = 16 << 20;

/// Closes a chunk being built by an append: its info and bytes.
fn finish_chunk(b: ChunkBuilder) -> Result<(ChunkInfo, Vec<u8>), StoreError> {
    let first_seq = b.next_seq() - b.len() as u64;
    let records = b.len();
    let value = b.finish()?;
    let info = ChunkInfo {
        first_seq,
        records,
        bytes: value.len(),
        at: None,
    };
    Ok((info, value))
}

/// "record missing" naming `seq`, with the next stored seq if known.
fn missing(seq: u64, next: Option<u64>) -> StoreError {
    match next {
        Some(next) if next > seq => {
            StoreError::corrupt(seq, format!("record missing (next stored seq is {next})"))
        }
        _ => StoreError::corrupt(seq, "record missing"),
    }
}

/// What [`scan`] found.
struct Scanned {
    chunks: Vec<ChunkInfo>,
    index: Index,
    /// The last seq (0 when empty).
    last: u64,
}

/// One part of the scan: the chunks of a key range, checked to be
/// consecutive, and their records' index fields.
#[derive(Default)]
struct ScanPart {
    chunks: Vec<ChunkInfo>,
    entries: Vec<(u64, Uuid, String, u64)>,
    /// The seq after the last record seen.
    next: Option<u64>,
}

/// Logs shorter than this (last chunk start) are scanned on one thread.
const PARALLEL_SCAN_MIN_SEQ: u64 = 50_000;

/// Reads every chunk (decoding only the index fields of each record) on two
/// threads, checking that the chunks of `sealed` and `chunks` together tile
/// `1..=last` and that event ids and stream versions are consistent; builds
/// the in-memory indexes.
fn scan(trees: &Trees, segments: &Segments) -> Result<Scanned, StoreError> {
    let mut places: Vec<(u64, Option<SegmentRef>)> = trees
        .sealed_refs()?
        .into_iter()
        .map(|(seq, at)| (seq, Some(at)))
        .collect();
    places.extend(trees.chunk_starts()?.into_iter().map(|seq| (seq, None)));
    places.sort_by_key(|(seq, _)| *seq);
    if let Some(w) = places.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(StoreError::corrupt(
            w[0].0,
            format!("chunk {} is stored both in a segment and in sled", w[0].0),
        ));
    }
    let last_start = places.last().map_or(0, |(seq, _)| *seq);
    let (a, b) = if last_start >= PARALLEL_SCAN_MIN_SEQ {
        let (first, second) = places.split_at(places.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| scan_part(trees, segments, second, None));
            let first = scan_part(trees, segments, first, Some(1));
            let second = second
                .join()
                .unwrap_or_else(|_| Err(StoreError::Codec("the scan thread panicked".into())));
            (first, second)
        })
    } else {
        let all = scan_part(trees, segments, &places, Some(1));
        (all, Ok(ScanPart::default()))
    };
    let mut a = a?;
    let next = a.next.unwrap_or(1);
    match (&b, b.as_ref().ok().and_then(|b| b.chunks.first())) {
        (Ok(_), Some(first)) if first.first_seq != next => {
            return Err(missing(next, Some(first.first_seq)));
        }
        _ => {}
    }
    let b = b?;
    let mut index = Index::default();
    for (seq, id, stream, version) in a.entries.drain(..).chain(b.entries) {
        index.add(seq, id, &stream, version)?;
    }
    index.settle();
    a.chunks.extend(b.chunks);
    let last = b.next.or(a.next).map_or(0, |n| n - 1);
    Ok(Scanned {
        chunks: a.chunks,
        index,
        last,
    })
}

fn scan_part(
    trees: &Trees,
    segments: &Segments,
    places: &[(u64, Option<SegmentRef>)],
    mut expected: Option<u64>,
) -> Result<ScanPart, StoreError> {
    let mut part = ScanPart::default();
    for &(first, at) in places {
        if let Some(e) = expected {
            if first > e {
                return Err(missing(e, Some(first)));
            }
            if first < e {
                return Err(StoreError::corrupt(
                    first,
                    format!("a chunk starting at seq {first} overlaps the chunk before it"),
                ));
            }
        }
        let mut info = ChunkInfo {
            first_seq: first,
            records: 0,
            bytes: 0,
            at,
        };
        let value = fetch(trees, segments, &info)?.ok_or_else(|| missing(first, None))?;
        let chunk = decode_chunk(first, &value)?;
        for seq in chunk.first_seq()..=chunk.last_seq() {
            let bytes = chunk.record_bytes(seq).expect("the chunk holds its seqs");
            let f = codec::decode_index_fields(seq, bytes)?;
            part.entries
                .push((seq, f.event_id, f.stream.to_owned(), f.stream_version));
        }
        info.records = chunk.len();
        info.bytes = value.len();
        part.chunks.push(info);
        let next = chunk.last_seq() + 1;
        expected = Some(next);
        part.next = Some(next);
    }
    Ok(part)
}

/// How long [`SledLog::open`] waits for a locked directory to be released.
pub const OPEN_LOCK_WAIT: Duration = Duration::from_secs(3);

/// Opens the sled database in `dir`, waiting up to [`OPEN_LOCK_WAIT`] while
/// its lock is held (sled 0.34.7's background threads release the lock of a
/// dropped database asynchronously).
pub(crate) fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = Instant::now() + OPEN_LOCK_WAIT;
    let mut pause = Duration::from_millis(5);
    loop {
        match sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_CAPACITY_BYTES)
            .open()
        {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if Instant::now() >= deadline {
                    return Err(StoreError::Locked {
                        dir: dir.to_path_buf(),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What the previous barrier saw of sled's files, so that a barrier fsyncs
/// only what changed since: sled's `db` file always; `conf` and `snap.*`
/// when new or when their length or modification time changed; the files
/// under `blobs/` (written once under a new name) when new; a directory when
/// the set of sled's names in it changed.
/// Other files in the data directory (tokens, checkpoints) belong to their
/// own writers, which make them durable themselves.
#[derive(Debug, Default)]
struct SyncMemo {
    files: HashMap<PathBuf, (u64, Option<SystemTime>)>,
    dirs: HashMap<PathBuf, Vec<OsString>>,
}

/// Whether `name` in the log's directory is one of sled 0.34.7's files.
fn is_sled_name(name: &str) -> bool {
    name == "db" || name == "conf" || name == "blobs" || name.starts_with("snap.")
}

impl SyncMemo {
    /// fsyncs sled's files and directories under `dir` that changed since
    /// the previous call (see [`SyncMemo`]). Files that vanish meanwhile
    /// (sled removes old snapshots) are skipped.
    fn sync(&mut self, dir: &Path) -> io::Result<()> {
        self.sync_dir(dir, true)
    }

    fn sync_dir(&mut self, dir: &Path, root: bool) -> io::Result<()> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if root && !name.to_str().is_some_and(is_sled_name) {
                continue;
            }
            names.push(name.clone());
            let path = entry.path();
            if !root && self.files.contains_key(&path) {
                // sled writes a blob once, under a new name: already synced.
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.is_dir() {
                match self.sync_dir(&path, false) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    other => other?,
                }
            } else if meta.is_file() {
                let stamp = (meta.len(), meta.modified().ok());
                let always = root && name == "db";
                if always || self.files.get(&path) != Some(&stamp) {
                    match File::open(&path) {
                        Ok(f) => f.sync_all()?,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    }
                    self.files.insert(path, stamp);
                }
            }
        }
        names.sort();
        if self.dirs.get(dir) != Some(&names) {
            sync_dir(dir)?;
            self.files.retain(|p, _| {
                p.parent() != Some(dir)
                    || p.file_name()
                        .is_some_and(|n| names.binary_search_by(|x| x.as_os_str().cmp(n)).is_ok())
            });
            self.dirs.insert(dir.to_path_buf(), names);
        }
        Ok(())
    }
}

/// The writer's view: everything written, durable or not.
struct WriterView<'a> {
    log: &'a SledLog,
    written: Head,
}

impl AppendView for WriterView<'_> {
    fn written_head(&self) -> Head {
        self.written
    }

    fn find_by_id(&self, event_id: &Uuid) -> Result<Option<Record>, StoreError> {
        let Some(seq) = self.log.index().seq_of(event_id) else {
            return Ok(None);
        };
        let r = self.log.record_at(seq)?;
        if r.event_id != *event_id {
            return Err(StoreError::corrupt(
                seq,
                format!("the event-id index points {event_id} to a record of another event"),
            ));
        }
        Ok(Some(r))
    }

    fn current_version(&self, stream: &str) -> Result<u64, StoreError> {
        Ok(self.log.index().version(stream, u64::MAX))
    }
}

impl EventLog for SledLog {
    fn append(&self, batch: Vec<NewEvent>) -> Result<Appended, AppendError> {
        let appended = self.append_deferred(batch)?;
        let seq = appended.records().iter().map(|r| r.seq).max().unwrap_or(0);
        SledLog::wait_durable(self, seq)?;
        Ok(appended)
    }

    fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        SledLog::wait_durable(self, seq)
    }

    fn append_deferred(&self, batch: Vec<NewEvent>) -> Result<Appended, AppendError> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let written = {
            let s = self.sync_state();
            if let Some(reason) = &s.failed {
                return Err(StoreError::Unavailable {
                    reason: reason.clone(),
                }
                .into());
            }
            s.written
        };
        let view = WriterView { log: self, written };
        match plan(&view, batch, Timestamp::now())? {
            Plan::Repeated(originals) => Ok(Appended::Repeated(originals)),
            Plan::New(records) => {
                if let Err(e) = self.write(&mut writer, &records) {
                    tracing::error!(error = %e, "writing a batch failed; refusing appends");
                    self.sync_state().failed = Some(e.to_string());
                    return Err(e.into());
                }
                self.sync_state().written = records.last().map_or(written, Head::of);
                Ok(Appended::New(records))
            }
        }
    }

    fn head(&self) -> Head {
        self.durable()
    }

    fn read_range(&self, from_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let durable = self.durable().seq;
        let from = from_seq.max(1);
        let end = from_seq.saturating_add(limit as u64); // exclusive
        let to = end.saturating_sub(1).min(durable);
        let mut out =
            Vec::with_capacity(to.saturating_sub(from).saturating_add(1).min(1 << 16) as usize);
        self.for_each(from, to, |_, r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }

    fn read_range_views(
        &self,
        from_seq: u64,
        limit: usize,
        f: &mut dyn FnMut(crate::RecordView<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let durable = self.durable().seq;
        let from = from_seq.max(1);
        let to = from_seq
            .saturating_add(limit as u64)
            .saturating_sub(1)
            .min(durable);
        self.walk(from, to, |v| f(v).map(|()| true))
    }

    fn get(&self, seq: u64) -> Result<Option<Record>, StoreError> {
        if seq == 0 || seq > self.durable().seq {
            return Ok(None);
        }
        self.durable_record(seq).map(Some)
    }

    fn seq_of(&self, event_id: &Uuid) -> Result<Option<u64>, StoreError> {
        let durable = self.durable().seq;
        Ok(self.index().seq_of(event_id).filter(|seq| *seq <= durable))
    }

    fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<Record>, StoreError> {
        let durable = self.durable().seq;
        let seqs = self.index().stream_seqs(stream, from_version, durable);
        self.records_at(&seqs, stream)
    }

    fn stream_version(&self, stream: &str) -> Result<u64, StoreError> {
        let durable = self.durable().seq;
        Ok(self.index().version(stream, durable))
    }

    fn seq_at(&self, at: Timestamp) -> Result<u64, StoreError> {
        seq_at_by_search(self.durable().seq, at, |seq| {
            self.durable_record(seq).map(|r| r.recorded_at)
        })
    }

    fn verify(&self) -> Result<Head, StoreError> {
        let head = self.durable();
        let mut chain = ChainCheck::after(Head::EMPTY);
        let mut streams = StreamCheck::default();
        self.for_each(1, head.seq, |seq, r| {
            chain.next(seq, &r)?;
            streams.next(&r)?;
            let index = self.index();
            if index.seq_of(&r.event_id) != Some(seq)
                || index.seq_of_version(&r.stream, r.stream_version) != Some(seq)
            {
                return Err(StoreError::corrupt(
                    seq,
                    "the in-memory index does not point to this record (reopen to rebuild it)",
                ));
            }
            Ok(true)
        })?;
        let verified = chain.head();
        if verified != head {
            return Err(StoreError::corrupt(
                head.seq,
                "the last record differs from the head the log was serving",
            ));
        }
        Ok(verified)
    }

    fn keys(&self) -> Option<&dyn KeyStore> {
        Some(self)
    }
}

/// Keys in the `personal_keys` tree of the same sled database: a key put
/// before an append is covered by that append's durability barrier.
impl KeyStore for SledLog {
    fn get_key(&self, participant: &Uuid) -> Result<Option<[u8; PERSONAL_KEY_BYTES]>, StoreError> {
        self.trees.personal_key(participant)
    }

    fn put_key(
        &self,
        participant: &Uuid,
        key: &[u8; PERSONAL_KEY_BYTES],
    ) -> Result<(), StoreError> {
        self.trees.put_personal_key(participant, key)
    }

    fn destroy_key(&self, participant: &Uuid) -> Result<bool, StoreError> {
        let had = self.trees.remove_personal_key(participant)?;
        self.barrier()?;
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::ev;

    #[test]
    fn written_records_stay_invisible_until_a_barrier_covers_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = SledLog::open(dir.path()).unwrap();
        // Write as append does, but stop before the barrier.
        let view = WriterView {
            log: &log,
            written: Head::EMPTY,
        };
        let Plan::New(records) = plan(&view, vec![ev(1, "a", b"p")], Timestamp::now()).unwrap()
        else {
            panic!("expected new records");
        };
        log.write(&mut log.writer.lock().unwrap(), &records)
            .unwrap();
        log.sync_state().written = Head::of(&records[0]);

        assert_eq!(log.head(), Head::EMPTY);
        assert_eq!(log.get(1).unwrap(), None);
        assert_eq!(log.seq_of(&records[0].event_id).unwrap(), None);
        assert!(log.read_range(1, 10).unwrap().is_empty());
        assert!(log.read_stream("a", 0).unwrap().is_empty());
        assert_eq!(log.stream_version("a").unwrap(), 0);
        assert_eq!(log.seq_at(Timestamp::MAX).unwrap(), 0);
        assert_eq!(log.verify().unwrap(), Head::EMPTY);
        // The writer sees it: a retry waits for the barrier and is a repeat.
        let again = log.append(vec![ev(1, "a", b"p")]).unwrap();
        assert_eq!(again, Appended::Repeated(records.clone()));
        assert_eq!(log.head(), Head::of(&records[0]));
        assert_eq!(log.get(1).unwrap(), Some(records[0].clone()));
    }

    #[test]
    fn a_personal_key_survives_a_reopen_and_is_gone_after_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let who = Uuid::from_u128(42);
        {
            let log = SledLog::open(dir.path()).unwrap();
            assert_eq!(log.get_key(&who).unwrap(), None);
            log.put_key(&who, &[7; 32]).unwrap();
            // Keys are never replaced.
            assert!(matches!(
                log.put_key(&who, &[8; 32]),
                Err(StoreError::KeyExists { .. })
            ));
            // The append's barrier makes the key durable with the record.
            log.append(vec![ev(1, "a", b"p")]).unwrap();
        }
        let log = SledLog::open(dir.path()).unwrap();
        assert_eq!(log.get_key(&who).unwrap(), Some([7; 32]));
        assert!(log.destroy_key(&who).unwrap());
        assert!(!log.destroy_key(&who).unwrap());
        drop(log);
        let log = SledLog::open(dir.path()).unwrap();
        assert_eq!(log.keys().unwrap().get_key(&who).unwrap(), None);
        // The log itself is untouched by keys.
        assert_eq!(log.verify().unwrap().seq, 1);
    }

    #[test]
    fn failed_barrier_refuses_later_appends() {
        let dir = tempfile::tempdir().unwrap();
        let log = SledLog::open(dir.path()).unwrap();
        log.sync_state().failed = Some("simulated fsync failure".into());
        let err = log.append(vec![ev(1, "a", b"")]).unwrap_err();
        assert!(
            matches!(err, AppendError::Store(StoreError::Unavailable { .. })),
            "{err:?}"
        );
        assert_eq!(log.head(), Head::EMPTY);
    }
}
