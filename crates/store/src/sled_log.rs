//! [`SledLog`]: the [`EventLog`] on sled 0.34.7, with a durability barrier
//! (flush + fsync of sled's files and directories) shared by concurrent
//! appenders (group commit).

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use uuid::Uuid;

use crate::append::{plan, AppendView, Plan};
use crate::chain::{ChainCheck, StreamCheck};
use crate::error::{AppendError, StoreError};
use crate::keys::Trees;
use crate::record::{Appended, Head, NewEvent, Record};
use crate::{seq_at_by_search, EventLog, KeyStore, PERSONAL_KEY_BYTES};

/// How many records at the end of the log [`SledLog::open`] re-verifies.
pub const OPEN_VERIFY_TAIL_RECORDS: u64 = 1_000;

/// The event log stored with sled in one directory.
///
/// One writer at a time assigns seqs and writes a batch in one multi-tree
/// transaction; then the appender waits for a durability barrier covering
/// its records. Readers see only records covered by a completed barrier.
pub struct SledLog {
    dir: PathBuf,
    db: sled::Db,
    trees: Trees,
    /// Serialises appends (seq assignment and the write).
    writer: Mutex<()>,
    sync: Mutex<SyncState>,
    synced: Condvar,
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
        trees.check_format()?;
        let head = recover(&trees)?;
        let log = SledLog {
            dir: dir.to_path_buf(),
            db,
            trees,
            writer: Mutex::new(()),
            sync: Mutex::new(SyncState {
                written: head,
                durable: head,
                flushing: false,
                failed: None,
            }),
            synced: Condvar::new(),
        };
        log.barrier()?;
        Ok(log)
    }

    /// The directory holding the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw database, for tests that damage it on purpose.
    #[cfg(test)]
    pub(crate) fn raw_db(&self) -> &sled::Db {
        &self.db
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
        sync_dir_tree(&self.dir)?;
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
        self.trees
            .record(seq)?
            .ok_or_else(|| StoreError::corrupt(seq, "record missing"))
    }
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
        match sled::Config::new().path(dir).open() {
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

/// Start-up recovery; returns the head. See [`SledLog::open`].
fn recover(trees: &Trees) -> Result<Head, StoreError> {
    let last = trees.last_seq()?;
    let meta_head = trees.meta_head()?;
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
        Head::of(
            &trees
                .record(from - 1)?
                .ok_or_else(|| StoreError::corrupt(from - 1, "record missing"))?,
        )
    } else {
        Head::EMPTY
    };
    let mut chain = ChainCheck::after(start);
    let mut indexed = true;
    trees.for_each(from, last, |seq, r| {
        chain.next(seq, &r)?;
        indexed = indexed && trees.indexed(&r)?;
        Ok(true)
    })?;
    if indexed && from > 1 {
        if let Some(first) = trees.record(1)? {
            indexed = trees.indexed(&first)?;
        }
    }
    let head = chain.head();

    if !indexed {
        tracing::warn!(last, "indexes do not cover the log; rebuilding them");
        let rebuilt = trees.rebuild_indexes(last)?;
        if rebuilt != head {
            return Err(StoreError::corrupt(
                last,
                "the chain changed while rebuilding",
            ));
        }
    }
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
            trees.set_meta_head(&head)?;
        }
    }
    Ok(head)
}

/// fsyncs every file and directory under `dir` (and `dir` itself). Files
/// that vanish meanwhile (sled removes old snapshots) are skipped.
fn sync_dir_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if file_type.is_dir() {
            match sync_dir_tree(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => other?,
            }
        } else if file_type.is_file() {
            match File::open(&path) {
                Ok(f) => f.sync_all()?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The writer's view: everything written, durable or not.
struct WriterView<'a> {
    trees: &'a Trees,
    written: Head,
}

impl AppendView for WriterView<'_> {
    fn written_head(&self) -> Head {
        self.written
    }

    fn find_by_id(&self, event_id: &Uuid) -> Result<Option<Record>, StoreError> {
        match self.trees.seq_of(event_id)? {
            None => Ok(None),
            Some(seq) => {
                let r = self.trees.record(seq)?.ok_or_else(|| {
                    StoreError::corrupt(seq, format!("by_id points {event_id} to a missing record"))
                })?;
                if r.event_id != *event_id {
                    return Err(StoreError::corrupt(
                        seq,
                        format!("by_id points {event_id} to a record of another event"),
                    ));
                }
                Ok(Some(r))
            }
        }
    }

    fn current_version(&self, stream: &str) -> Result<u64, StoreError> {
        Ok(self
            .trees
            .last_stream_entry(stream, u64::MAX)?
            .map_or(0, |(version, _)| version))
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
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
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
        let view = WriterView {
            trees: &self.trees,
            written,
        };
        match plan(&view, batch, Timestamp::now())? {
            Plan::Repeated(originals) => Ok(Appended::Repeated(originals)),
            Plan::New(records) => {
                self.trees.write(&records)?;
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
        let mut out = Vec::new();
        self.trees.for_each(from, to, |_, r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }

    fn get(&self, seq: u64) -> Result<Option<Record>, StoreError> {
        if seq == 0 || seq > self.durable().seq {
            return Ok(None);
        }
        self.durable_record(seq).map(Some)
    }

    fn seq_of(&self, event_id: &Uuid) -> Result<Option<u64>, StoreError> {
        let durable = self.durable().seq;
        Ok(self.trees.seq_of(event_id)?.filter(|seq| *seq <= durable))
    }

    fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<Record>, StoreError> {
        let durable = self.durable().seq;
        let mut out = Vec::new();
        for (version, seq) in self.trees.stream_seqs(stream, from_version)? {
            if seq > durable {
                break;
            }
            let r = self.durable_record(seq)?;
            if r.stream != stream || r.stream_version != version {
                return Err(StoreError::corrupt(
                    seq,
                    format!("streams index points {stream:?} v{version} to another record"),
                ));
            }
            out.push(r);
        }
        Ok(out)
    }

    fn stream_version(&self, stream: &str) -> Result<u64, StoreError> {
        let durable = self.durable().seq;
        Ok(self
            .trees
            .last_stream_entry(stream, durable)?
            .map_or(0, |(version, _)| version))
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
        self.trees.for_each(1, head.seq, |seq, r| {
            chain.next(seq, &r)?;
            streams.next(&r)?;
            if !self.trees.indexed(&r)? {
                return Err(StoreError::corrupt(
                    seq,
                    "the by_id or streams index does not point to this record (reopen to rebuild)",
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
            trees: &log.trees,
            written: Head::EMPTY,
        };
        let Plan::New(records) = plan(&view, vec![ev(1, "a", b"p")], Timestamp::now()).unwrap()
        else {
            panic!("expected new records");
        };
        log.trees.write(&records).unwrap();
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
