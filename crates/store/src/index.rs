//! The in-memory indexes of a [`SledLog`](crate::SledLog): event id → seq
//! and stream → seqs by version. Built at open by scanning the chunks,
//! extended by the writer after each append; never stored.
//!
//! Hashed with foldhash, seeded at random per process (as the ledger's
//! event-id map, ADR 0004): std's SipHash was 3 % of an import.

use foldhash::HashMap;

use uuid::Uuid;

use crate::error::StoreError;

/// Event id → seq, and per stream the seqs of its versions (`seqs[v - 1]`).
///
/// Memory: about 40 bytes per record for `by_id` plus 8 per record and one
/// string per stream for `streams` (≈ 50 MB for 10^6 records).
#[derive(Debug, Default)]
pub(crate) struct Index {
    by_id: HashMap<Uuid, u64>,
    streams: HashMap<String, Vec<u64>>,
}

impl Index {
    /// Adds the record at `seq` (seqs must come in increasing order).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming `seq` when the event id is already
    /// indexed or `version` does not follow the stream's last version; the
    /// index is then unchanged.
    pub(crate) fn add(
        &mut self,
        seq: u64,
        event_id: Uuid,
        stream: &str,
        version: u64,
    ) -> Result<(), StoreError> {
        let current = self.streams.get(stream).map_or(0, |s| s.len() as u64);
        if Some(version) != current.checked_add(1) {
            return Err(StoreError::corrupt(
                seq,
                format!("stream {stream:?} version {version} follows version {current}"),
            ));
        }
        if let Some(old) = self.by_id.insert(event_id, seq) {
            self.by_id.insert(event_id, old);
            return Err(StoreError::corrupt(
                seq,
                format!("event id {event_id} is also stored at seq {old}"),
            ));
        }
        match self.streams.get_mut(stream) {
            Some(seqs) => seqs.push(seq),
            None => {
                self.streams.insert(stream.to_owned(), vec![seq]);
            }
        }
        Ok(())
    }

    /// Makes room for `more` event ids.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.by_id.reserve(more);
    }

    /// The seq of `event_id`, if indexed.
    pub(crate) fn seq_of(&self, event_id: &Uuid) -> Option<u64> {
        self.by_id.get(event_id).copied()
    }

    /// The seqs of `stream`'s versions `from_version..` (version 0 counts as 1)
    /// that are `<= max_seq`, as `(version, seq)`.
    pub(crate) fn stream_seqs(
        &self,
        stream: &str,
        from_version: u64,
        max_seq: u64,
    ) -> Vec<(u64, u64)> {
        let Some(seqs) = self.streams.get(stream) else {
            return Vec::new();
        };
        let end = seqs.partition_point(|s| *s <= max_seq);
        let start = usize::try_from(from_version.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(end);
        (start..end).map(|i| (i as u64 + 1, seqs[i])).collect()
    }

    /// The version of `stream` counting only records `<= max_seq` (0 when unknown).
    pub(crate) fn version(&self, stream: &str, max_seq: u64) -> u64 {
        self.streams
            .get(stream)
            .map_or(0, |seqs| seqs.partition_point(|s| *s <= max_seq) as u64)
    }

    /// The seq of `stream`'s version `version`, if indexed.
    pub(crate) fn seq_of_version(&self, stream: &str, version: u64) -> Option<u64> {
        let i = usize::try_from(version.checked_sub(1)?).ok()?;
        self.streams.get(stream)?.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_event_id_or_a_skipped_version_is_refused_and_leaves_the_index_unchanged() {
        let mut index = Index::default();
        index.add(1, Uuid::from_u128(1), "s", 1).unwrap();
        let err = index.add(2, Uuid::from_u128(1), "t", 1).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 2, .. }), "{err}");
        let err = index.add(2, Uuid::from_u128(2), "s", 3).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 2, .. }), "{err}");
        assert_eq!(index.seq_of(&Uuid::from_u128(1)), Some(1));
        assert_eq!(index.version("t", u64::MAX), 0);
        assert_eq!(index.version("s", u64::MAX), 1);
    }

    #[test]
    fn stream_seqs_start_at_a_version_and_stop_at_a_seq() {
        let mut index = Index::default();
        for (seq, v) in [(1, 1), (3, 2), (4, 3), (9, 4)] {
            index
                .add(seq, Uuid::from_u128(seq as u128), "s", v)
                .unwrap();
        }
        assert_eq!(index.stream_seqs("s", 0, 4), vec![(1, 1), (2, 3), (3, 4)]);
        assert_eq!(index.stream_seqs("s", 3, u64::MAX), vec![(3, 4), (4, 9)]);
        assert_eq!(index.stream_seqs("s", 9, u64::MAX), vec![]);
        assert_eq!(index.version("s", 8), 3);
        assert_eq!(index.seq_of_version("s", 4), Some(9));
        assert_eq!(index.seq_of_version("s", 0), None);
    }
}
