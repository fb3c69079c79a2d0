//! The in-memory indexes of a [`SledLog`](crate::SledLog): event id → seq
//! and stream → seqs by version. Built at open by scanning the chunks,
//! extended by the writer after each append; never stored.
//!
//! Hashed with foldhash, seeded at random per process (as the ledger's
//! event-id map, ADR 0004): std's SipHash was 3 % of an import, and a
//! process's order of ids cannot be predicted from outside.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use foldhash::HashMap;

use uuid::Uuid;

use crate::error::StoreError;

/// Event id → seq, and per stream the seqs of its versions (`seqs[v - 1]`).
///
/// Memory: about 27 bytes per record for the event ids ([`IdSeqs`]) plus 8
/// per record and ≈ 90 bytes per stream for the streams ([`StreamSeqs`]):
/// ≈ 55 MB for 10^6 records in 2 × 10^5 streams.
#[derive(Debug, Default)]
pub(crate) struct Index {
    by_id: IdSeqs,
    streams: StreamSeqs,
}

/// Stream name → the seqs of its versions, in ≈ 40 bytes per stream plus its
/// name's bytes and 8 per version beyond the first. A map of `String` to
/// `Vec<u64>` took ≈ 150: a 48-byte slot at half load, a heap string and a
/// heap vector even for one version (most streams, an expense's or a
/// session's, have one). The names are one text; the table holds each
/// stream's number and finds it by the name's hash.
#[derive(Default)]
struct StreamSeqs {
    hasher: RandomState,
    table: hashbrown::HashTable<u32>,
    /// Every stream's name, one after another.
    names: String,
    streams: Vec<Stream>,
}

/// One stream: where its name is in `names`, and its seqs.
#[derive(Debug)]
struct Stream {
    name_at: usize,
    name_len: usize,
    seqs: smallvec::SmallVec<[u64; 1]>,
}

impl std::fmt::Debug for StreamSeqs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSeqs")
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

impl StreamSeqs {
    fn name<'a>(names: &'a str, s: &Stream) -> &'a str {
        &names[s.name_at..s.name_at + s.name_len]
    }

    fn find(&self, name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(name);
        self.table
            .find(hash, |&i| {
                Self::name(&self.names, &self.streams[i as usize]) == name
            })
            .map(|&i| i as usize)
    }

    /// The seqs of `name`'s versions, in order (empty when unknown).
    fn get(&self, name: &str) -> &[u64] {
        self.find(name).map_or(&[], |i| &self.streams[i].seqs)
    }

    /// Appends `seq` as `name`'s next version. Leaves the map unchanged
    /// (and says false) if it already holds `u32::MAX` streams.
    fn push(&mut self, name: &str, seq: u64) -> bool {
        if let Some(i) = self.find(name) {
            self.streams[i].seqs.push(seq);
            return true;
        }
        let Ok(number) = u32::try_from(self.streams.len()) else {
            return false;
        };
        self.streams.push(Stream {
            name_at: self.names.len(),
            name_len: name.len(),
            seqs: smallvec::smallvec![seq],
        });
        self.names.push_str(name);
        let hash = self.hasher.hash_one(name);
        let rehash = rehash(&self.hasher, &self.names, &self.streams);
        self.table.insert_unique(hash, number, rehash);
        true
    }

    /// Trims the spare room (after a bulk load).
    fn settle(&mut self) {
        for s in &mut self.streams {
            s.seqs.shrink_to_fit();
        }
        self.streams.shrink_to_fit();
        self.names.shrink_to_fit();
        let rehash = rehash(&self.hasher, &self.names, &self.streams);
        self.table.shrink_to_fit(rehash);
    }
}

/// The hash of stream number `i`'s name, as the table asks when it grows
/// or shrinks.
fn rehash<'a>(
    hasher: &'a RandomState,
    names: &'a str,
    streams: &'a [Stream],
) -> impl Fn(&u32) -> u64 + 'a {
    move |&i| hasher.hash_one(StreamSeqs::name(names, &streams[i as usize]))
}

/// Ids added since the last merge before they are merged into the sorted
/// array: at least this many, or an eighth of the array.
const MERGE_MIN: usize = 4096;

/// Event id → seq in ≈ 27 bytes per id, where a hash map needs ≈ 50 at
/// 10^6 ids (it doubles to 2^21 slots of 24 bytes). The ids as of the last
/// merge are one array of `(id, seq)` sorted by (hash, id), found through a
/// directory of hash prefixes (about 4 ids per prefix) and 16 more bits of
/// each id's hash (so that an absent id, the common question of an import,
/// reads two small arrays and not the large one); the ids added since are a
/// hash map, merged into the array when it holds [`MERGE_MIN`] ids or an
/// eighth of the array's.
#[derive(Debug)]
struct IdSeqs {
    hasher: RandomState,
    /// Sorted by (hash, id); at most `u32::MAX` ids (further ids stay in
    /// `recent`).
    sealed: Vec<(Uuid, u64)>,
    /// `fingerprint(hash)` of each id of `sealed`, in the same order.
    fingerprints: Vec<u16>,
    /// `sealed[dir[k]..dir[k + 1]]` are the ids whose hash starts with the
    /// `bits` bits of `k`.
    dir: Vec<u32>,
    bits: u32,
    recent: HashMap<Uuid, u64>,
    /// Ids kept in `recent` before a merge, at least.
    merge_min: usize,
}

impl Default for IdSeqs {
    fn default() -> Self {
        IdSeqs::with_merge_min(MERGE_MIN)
    }
}

impl IdSeqs {
    fn with_merge_min(merge_min: usize) -> Self {
        IdSeqs {
            hasher: RandomState::default(),
            sealed: Vec::new(),
            fingerprints: Vec::new(),
            dir: vec![0, 0],
            bits: 0,
            recent: HashMap::default(),
            merge_min,
        }
    }

    fn len(&self) -> usize {
        self.sealed.len() + self.recent.len()
    }

    fn bucket(&self, hash: u64) -> usize {
        bucket(hash, self.bits)
    }

    fn get(&self, id: &Uuid) -> Option<u64> {
        if let Some(seq) = self.recent.get(id) {
            return Some(*seq);
        }
        let hash = self.hasher.hash_one(id);
        let k = self.bucket(hash);
        let from = self.dir[k] as usize;
        let to = self.dir[k + 1] as usize;
        let want = fingerprint(hash);
        self.fingerprints[from..to]
            .iter()
            .zip(&self.sealed[from..to])
            .find(|(fp, (x, _))| **fp == want && x == id)
            .map(|(_, (_, seq))| *seq)
    }

    /// Adds `id` (not present: the caller checks) and merges when due.
    fn insert(&mut self, id: Uuid, seq: u64) {
        self.recent.insert(id, seq);
        if self.recent.len() >= self.merge_min.max(self.sealed.len() / 8) {
            self.merge();
        }
    }

    /// Merges the recent ids into the sorted array and rebuilds the
    /// directory (O(n + k log k)); leaves them in the map if the array would
    /// pass `u32::MAX` ids.
    fn merge(&mut self) {
        let total = self.len();
        if self.recent.is_empty() || u32::try_from(total).is_err() {
            return;
        }
        let hasher = &self.hasher;
        let mut added: Vec<(u64, Uuid, u64)> = self
            .recent
            .drain()
            .map(|(id, seq)| (hasher.hash_one(id), id, seq))
            .collect();
        added.sort_unstable_by_key(|(h, id, _)| (*h, *id));
        let bits = bits_for(total);
        let mut dir = vec![0u32; (1usize << bits) + 1];
        let mut merged = Vec::with_capacity(total);
        let mut fingerprints = Vec::with_capacity(total);
        self.fingerprints = Vec::new();
        let mut old = std::mem::take(&mut self.sealed)
            .into_iter()
            .map(|(id, seq)| (hasher.hash_one(id), id, seq))
            .peekable();
        let mut new = added.into_iter().peekable();
        loop {
            let next = match (old.peek(), new.peek()) {
                (Some(a), Some(b)) if (a.0, a.1) <= (b.0, b.1) => old.next(),
                (Some(_), Some(_)) | (None, Some(_)) => new.next(),
                (Some(_), None) => old.next(),
                (None, None) => None,
            };
            let Some((h, id, seq)) = next else { break };
            dir[bucket(h, bits) + 1] += 1;
            merged.push((id, seq));
            fingerprints.push(fingerprint(h));
        }
        for k in 1..dir.len() {
            dir[k] += dir[k - 1];
        }
        self.sealed = merged;
        self.fingerprints = fingerprints;
        self.dir = dir;
        self.bits = bits;
    }

    /// Merges now and frees the map's room (after a bulk load).
    fn settle(&mut self) {
        self.merge();
        self.recent.shrink_to_fit();
    }
}

/// The directory slot of `hash`: its top `bits` bits.
fn bucket(hash: u64, bits: u32) -> usize {
    match bits {
        0 => 0,
        b => (hash >> (64 - b)) as usize,
    }
}

/// The bits of `hash` kept beside each id: its lowest 16 (the directory
/// uses the highest).
fn fingerprint(hash: u64) -> u16 {
    hash as u16
}

/// Directory bits for `n` ids: about 4 ids per slot (at most 2^28 slots).
fn bits_for(n: usize) -> u32 {
    match n / 4 {
        0 => 0,
        q => q.ilog2().min(28),
    }
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
        let current = self.streams.get(stream).len() as u64;
        if Some(version) != current.checked_add(1) {
            return Err(StoreError::corrupt(
                seq,
                format!("stream {stream:?} version {version} follows version {current}"),
            ));
        }
        if let Some(old) = self.by_id.get(&event_id) {
            return Err(StoreError::corrupt(
                seq,
                format!("event id {event_id} is also stored at seq {old}"),
            ));
        }
        if !self.streams.push(stream, seq) {
            return Err(StoreError::corrupt(
                seq,
                format!("stream {stream:?} would be the 2^32nd stream of the log"),
            ));
        }
        self.by_id.insert(event_id, seq);
        Ok(())
    }

    /// After a bulk load (the scan at open): merges every id into the
    /// sorted array and trims the spare room of the maps and stream vectors.
    pub(crate) fn settle(&mut self) {
        self.by_id.settle();
        self.streams.settle();
    }

    /// The seq of `event_id`, if indexed.
    pub(crate) fn seq_of(&self, event_id: &Uuid) -> Option<u64> {
        self.by_id.get(event_id)
    }

    /// The seqs of `stream`'s versions `from_version..` (version 0 counts as 1)
    /// that are `<= max_seq`, as `(version, seq)`.
    pub(crate) fn stream_seqs(
        &self,
        stream: &str,
        from_version: u64,
        max_seq: u64,
    ) -> Vec<(u64, u64)> {
        let seqs = self.streams.get(stream);
        let end = seqs.partition_point(|s| *s <= max_seq);
        let start = usize::try_from(from_version.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(end);
        (start..end).map(|i| (i as u64 + 1, seqs[i])).collect()
    }

    /// The version of `stream` counting only records `<= max_seq` (0 when unknown).
    pub(crate) fn version(&self, stream: &str, max_seq: u64) -> u64 {
        self.streams.get(stream).partition_point(|s| *s <= max_seq) as u64
    }

    /// The seq of `stream`'s version `version`, if indexed.
    pub(crate) fn seq_of_version(&self, stream: &str, version: u64) -> Option<u64> {
        let i = usize::try_from(version.checked_sub(1)?).ok()?;
        self.streams.get(stream).get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    proptest! {
        /// The sorted array, its directory and the recent map answer as a
        /// plain map of every id added, before and after merges and a
        /// settle, for ids drawn from a small space (so that some repeat,
        /// and are refused by the caller's check as `Index::add` does).
        #[test]
        fn id_seqs_answer_as_a_plain_map(
            ids in proptest::collection::vec(0u128..400, 0..600),
            merge_min in 1usize..40,
            settle_at in 0usize..600,
        ) {
            let mut index = IdSeqs::with_merge_min(merge_min);
            let mut model = std::collections::HashMap::new();
            for (i, id) in ids.iter().enumerate() {
                let id = Uuid::from_u128(*id);
                prop_assert_eq!(index.get(&id), model.get(&id).copied());
                if let std::collections::hash_map::Entry::Vacant(e) = model.entry(id) {
                    index.insert(id, i as u64 + 1);
                    e.insert(i as u64 + 1);
                }
                if i == settle_at {
                    index.settle();
                    prop_assert!(index.recent.is_empty());
                }
                prop_assert_eq!(index.len(), model.len());
            }
            for id in 0u128..400 {
                let id = Uuid::from_u128(id);
                prop_assert_eq!(index.get(&id), model.get(&id).copied());
            }
            let hashes: Vec<(u64, Uuid)> = index
                .sealed
                .iter()
                .map(|(id, _)| (index.hasher.hash_one(id), *id))
                .collect();
            prop_assert!(hashes.windows(2).all(|w| w[0] < w[1]), "sorted by (hash, id)");
            prop_assert_eq!(index.fingerprints.len(), hashes.len());
            for (i, (h, _)) in hashes.iter().enumerate() {
                prop_assert_eq!(index.fingerprints[i], fingerprint(*h));
                let k = bucket(*h, index.bits);
                prop_assert!((index.dir[k] as usize..index.dir[k + 1] as usize).contains(&i));
            }
        }
    }

    proptest! {
        /// The streams' table answers as a map of `String` to `Vec<u64>`,
        /// before and after a settle, for names of every length (empty,
        /// non-ASCII) that share prefixes.
        #[test]
        fn stream_seqs_answer_as_a_map_of_strings(
            pushes in proptest::collection::vec(0usize..30, 0..300),
            settle_at in 0usize..300,
        ) {
            let names: Vec<String> = (0..30)
                .map(|i| match i % 3 {
                    0 => "participant-".repeat(i / 3),
                    1 => format!("session-K{i}-Ž"),
                    _ => format!("s{i}"),
                })
                .collect();
            let mut streams = StreamSeqs::default();
            let mut model: std::collections::HashMap<&str, Vec<u64>> = Default::default();
            for (seq, name) in pushes.iter().enumerate() {
                let name = names[*name].as_str();
                prop_assert!(streams.push(name, seq as u64 + 1));
                model.entry(name).or_default().push(seq as u64 + 1);
                if seq == settle_at {
                    streams.settle();
                }
                for n in &names {
                    let want = model.get(n.as_str()).map_or(&[][..], Vec::as_slice);
                    prop_assert_eq!(streams.get(n), want);
                }
            }
            prop_assert_eq!(streams.streams.len(), model.len());
        }
    }

    #[test]
    fn a_merge_keeps_an_eighth_of_the_array_at_most_in_the_map() {
        let mut index = IdSeqs::with_merge_min(16);
        for i in 0..10_000u128 {
            index.insert(Uuid::from_u128(i * 7919), i as u64 + 1);
            assert!(index.recent.len() < 16usize.max(index.sealed.len() / 8));
        }
        assert_eq!(index.bits, bits_for(index.sealed.len()));
        assert_eq!(*index.dir.last().unwrap() as usize, index.sealed.len());
        index.settle();
        assert_eq!(index.sealed.len(), 10_000);
        assert_eq!(index.get(&Uuid::from_u128(9_999 * 7919)), Some(10_000));
        assert_eq!(index.get(&Uuid::from_u128(1)), None);
    }

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
