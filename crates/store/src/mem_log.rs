//! [`MemLog`]: the in-memory [`EventLog`], for tests and tools. It follows
//! exactly the same rules as [`SledLog`](crate::SledLog) (shared
//! [`append`](crate::append) logic) but keeps nothing after it is dropped.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use jiff::Timestamp;
use uuid::Uuid;

use crate::append::{plan, AppendView, Plan};
use crate::chain::{ChainCheck, StreamCheck};
use crate::error::{AppendError, StoreError};
use crate::record::{Appended, Head, NewEvent, Record};
use crate::{seq_at_by_search, EventLog, KeyStore, PERSONAL_KEY_BYTES};

/// An in-memory event log. Appends are "durable" as soon as they return.
///
/// ```
/// use grantledger_store::{EventLog, MemLog};
/// let log = MemLog::new();
/// assert_eq!(log.head().seq, 0);
/// ```
#[derive(Debug, Default)]
pub struct MemLog {
    inner: RwLock<Inner>,
    keys: RwLock<HashMap<Uuid, [u8; PERSONAL_KEY_BYTES]>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// `records[i]` has seq `i + 1`.
    records: Vec<Record>,
    by_id: HashMap<Uuid, u64>,
    /// Per stream, the seqs of its versions 1, 2, ... (`seqs[v - 1]`).
    streams: HashMap<String, Vec<u64>>,
}

impl Inner {
    fn record(&self, seq: u64) -> Option<&Record> {
        let i = usize::try_from(seq.checked_sub(1)?).ok()?;
        self.records.get(i)
    }

    fn head(&self) -> Head {
        self.records.last().map(Head::of).unwrap_or(Head::EMPTY)
    }
}

impl AppendView for Inner {
    fn written_head(&self) -> Head {
        self.head()
    }

    fn find_by_id(&self, event_id: &Uuid) -> Result<Option<Record>, StoreError> {
        Ok(self
            .by_id
            .get(event_id)
            .and_then(|seq| self.record(*seq))
            .cloned())
    }

    fn current_version(&self, stream: &str) -> Result<u64, StoreError> {
        Ok(self.streams.get(stream).map_or(0, |s| s.len() as u64))
    }
}

impl MemLog {
    /// An empty log.
    pub fn new() -> Self {
        MemLog::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl EventLog for MemLog {
    fn append(&self, batch: Vec<NewEvent>) -> Result<Appended, AppendError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        match plan(&*inner, batch, Timestamp::now())? {
            Plan::Repeated(originals) => Ok(Appended::Repeated(originals)),
            Plan::New(records) => {
                inner.records.reserve(records.len());
                for r in &records {
                    inner.by_id.insert(r.event_id, r.seq);
                    inner
                        .streams
                        .entry(r.stream.clone())
                        .or_default()
                        .push(r.seq);
                    inner.records.push(r.clone());
                }
                Ok(Appended::New(records))
            }
        }
    }

    fn head(&self) -> Head {
        self.read().head()
    }

    fn read_range(&self, from_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        let inner = self.read();
        let from = from_seq.max(1);
        let end = from_seq.saturating_add(limit as u64);
        Ok((from..end)
            .map_while(|seq| inner.record(seq).cloned())
            .collect())
    }

    fn get(&self, seq: u64) -> Result<Option<Record>, StoreError> {
        Ok(self.read().record(seq).cloned())
    }

    fn seq_of(&self, event_id: &Uuid) -> Result<Option<u64>, StoreError> {
        Ok(self.read().by_id.get(event_id).copied())
    }

    fn read_stream(&self, stream: &str, from_version: u64) -> Result<Vec<Record>, StoreError> {
        let inner = self.read();
        let Some(seqs) = inner.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let skip = usize::try_from(from_version.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(seqs
            .iter()
            .skip(skip)
            .filter_map(|seq| inner.record(*seq).cloned())
            .collect())
    }

    fn stream_version(&self, stream: &str) -> Result<u64, StoreError> {
        self.read().current_version(stream)
    }

    fn seq_at(&self, at: Timestamp) -> Result<u64, StoreError> {
        let inner = self.read();
        seq_at_by_search(inner.records.len() as u64, at, |seq| {
            inner
                .record(seq)
                .map(|r| r.recorded_at)
                .ok_or_else(|| StoreError::corrupt(seq, "record missing"))
        })
    }

    fn verify(&self) -> Result<Head, StoreError> {
        let inner = self.read();
        let mut chain = ChainCheck::after(Head::EMPTY);
        let mut streams = StreamCheck::default();
        for (i, r) in inner.records.iter().enumerate() {
            chain.next(i as u64 + 1, r)?;
            streams.next(r)?;
        }
        Ok(chain.head())
    }

    fn keys(&self) -> Option<&dyn KeyStore> {
        Some(self)
    }
}

impl KeyStore for MemLog {
    fn get_key(&self, participant: &Uuid) -> Result<Option<[u8; PERSONAL_KEY_BYTES]>, StoreError> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.get(participant).copied())
    }

    fn put_key(
        &self,
        participant: &Uuid,
        key: &[u8; PERSONAL_KEY_BYTES],
    ) -> Result<(), StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.contains_key(participant) {
            return Err(StoreError::KeyExists {
                participant: *participant,
            });
        }
        keys.insert(*participant, *key);
        Ok(())
    }

    fn destroy_key(&self, participant: &Uuid) -> Result<bool, StoreError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.remove(participant).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_log_keys_are_put_once_and_destroyed() {
        let log = MemLog::new();
        let who = Uuid::from_u128(1);
        let keys = log.keys().unwrap();
        keys.put_key(&who, &[1; 32]).unwrap();
        assert!(keys.put_key(&who, &[2; 32]).is_err());
        assert_eq!(keys.get_key(&who).unwrap(), Some([1; 32]));
        assert!(keys.destroy_key(&who).unwrap());
        assert_eq!(keys.get_key(&who).unwrap(), None);
    }
}
