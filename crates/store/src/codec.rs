//! Byte encodings: records (the stored bytes and the canonical bytes that
//! the chain hash covers) and chunks (the values of the `chunks` tree, each
//! holding consecutive records). The only file naming postcard.
//!
//! # Canonical bytes (hashed)
//!
//! The postcard encoding of these fields, in this order:
//!
//! | field | type | postcard |
//! | --- | --- | --- |
//! | `seq` | u64 | varint |
//! | `event_id` | `[u8; 16]` (RFC 9562 byte order) | 16 raw bytes |
//! | `stream` | UTF-8 string | varint length + bytes |
//! | `stream_version` | u64 | varint |
//! | `recorded_at` | i128 nanoseconds since 1970-01-01T00:00:00Z | zigzag varint |
//! | `actor` | UTF-8 string | varint length + bytes |
//! | `kind` | UTF-8 string | varint length + bytes |
//! | `schema_version` | u16 | varint |
//! | `payload` | bytes | varint length + bytes |
//!
//! # Stored value
//!
//! The same fields followed by `prev_hash` and `hash` (32 raw bytes each).
//! Decoding refuses trailing bytes. (Format 1 stored exactly these bytes as
//! one sled value per record.)
//!
//! # Chunk (format 2)
//!
//! The postcard encoding of, in order:
//!
//! | field | type | postcard |
//! | --- | --- | --- |
//! | `first_seq` | u64, the seq of the first record | varint |
//! | `offsets` | `Vec<u32>`, one per record: where its stored bytes start in `body` | varint count, then one varint each |
//! | `body` | the stored bytes of each record, back to back, in seq order | varint length + bytes |
//!
//! Record `i` (seq `first_seq + i`) is `body[offsets[i]..offsets[i + 1]]`
//! (the last one runs to the end of `body`), so one record decodes without
//! the others. Offsets start at 0 and strictly increase (no empty record).
//!
//! [`encode_record`] and [`decode_record`] are public for tools and tests
//! that read or (in tests) rewrite records; [`crate::raw`] does that for a
//! whole data directory. The store itself is the only writer of a log.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::Hash;
use crate::error::StoreError;
use crate::record::Record;

/// The hashed fields of a record, borrowed.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    event_id: [u8; 16],
    stream: &'a str,
    stream_version: u64,
    recorded_at_ns: i128,
    actor: &'a str,
    kind: &'a str,
    schema_version: u16,
    // serde_bytes: the same postcard bytes as a sequence of u8 (varint
    // length + raw bytes), written and read in one piece.
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
}

/// The stored value, borrowed for encoding.
#[derive(Serialize)]
struct StoredRef<'a> {
    canonical: Canonical<'a>,
    prev_hash: &'a Hash,
    hash: &'a Hash,
}

/// The stored value, borrowed from the stored bytes for decoding (same
/// layout as [`StoredRef`]).
#[derive(Deserialize)]
struct StoredView<'a> {
    seq: u64,
    event_id: [u8; 16],
    #[serde(borrow)]
    stream: &'a str,
    stream_version: u64,
    recorded_at_ns: i128,
    #[serde(borrow)]
    actor: &'a str,
    #[serde(borrow)]
    kind: &'a str,
    schema_version: u16,
    #[serde(borrow)]
    payload: &'a [u8],
    prev_hash: Hash,
    hash: Hash,
}

/// A stored record borrowed from its chunk's bytes: a [`Record`] without
/// copying its strings and payload, for a reader that needs only some of them
/// (a replay decodes the payload and copies the stream and actor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// See [`Record::seq`].
    pub seq: u64,
    /// See [`Record::event_id`].
    pub event_id: Uuid,
    /// See [`Record::stream`].
    pub stream: &'a str,
    /// See [`Record::stream_version`].
    pub stream_version: u64,
    /// See [`Record::recorded_at`].
    pub recorded_at: Timestamp,
    /// See [`Record::actor`].
    pub actor: &'a str,
    /// See [`Record::kind`].
    pub kind: &'a str,
    /// See [`Record::schema_version`].
    pub schema_version: u16,
    /// See [`Record::payload`].
    pub payload: &'a [u8],
    /// See [`Record::prev_hash`].
    pub prev_hash: Hash,
    /// See [`Record::hash`].
    pub hash: Hash,
}

impl<'a> RecordView<'a> {
    /// A view of an owned record.
    pub fn of(r: &'a Record) -> RecordView<'a> {
        RecordView {
            seq: r.seq,
            event_id: r.event_id,
            stream: &r.stream,
            stream_version: r.stream_version,
            recorded_at: r.recorded_at,
            actor: &r.actor,
            kind: &r.kind,
            schema_version: r.schema_version,
            payload: &r.payload,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }

    /// The owned record.
    pub fn to_record(&self) -> Record {
        Record {
            seq: self.seq,
            event_id: self.event_id,
            stream: self.stream.to_owned(),
            stream_version: self.stream_version,
            recorded_at: self.recorded_at,
            actor: self.actor.to_owned(),
            kind: self.kind.to_owned(),
            schema_version: self.schema_version,
            payload: self.payload.to_vec(),
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

fn canonical(r: &Record) -> Canonical<'_> {
    Canonical {
        seq: r.seq,
        event_id: *r.event_id.as_bytes(),
        stream: &r.stream,
        stream_version: r.stream_version,
        recorded_at_ns: r.recorded_at.as_nanosecond(),
        actor: &r.actor,
        kind: &r.kind,
        schema_version: r.schema_version,
        payload: &r.payload,
    }
}

/// The canonical bytes of `r` (every field but `prev_hash` and `hash`); the
/// hash chain feeds them to SHA-256 with [`hash_canonical`].
#[cfg(test)]
pub(crate) fn canonical_bytes(r: &Record) -> Vec<u8> {
    // Serialising integers, strings and byte slices into a growable Vec
    // cannot fail with postcard (no buffer limit, no unknown-length sequence,
    // no custom serialize impl), so this never panics.
    postcard::to_allocvec(&canonical(r))
        .expect("postcard encoding of plain fields into a Vec is infallible")
}

/// Feeds the canonical bytes of `r` (every field but `prev_hash` and `hash`)
/// to `hasher`, without collecting them first.
pub(crate) fn hash_canonical(r: &Record, hasher: &mut sha2::Sha256) {
    /// postcard's output written straight into the hash.
    struct Hashing<'h>(&'h mut sha2::Sha256);
    impl postcard::ser_flavors::Flavor for Hashing<'_> {
        type Output = ();
        fn try_push(&mut self, data: u8) -> postcard::Result<()> {
            sha2::Digest::update(self.0, [data]);
            Ok(())
        }
        fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
            sha2::Digest::update(self.0, data);
            Ok(())
        }
        fn finalize(self) -> postcard::Result<()> {
            Ok(())
        }
    }
    // As in canonical_bytes: plain fields never fail to serialise.
    postcard::serialize_with_flavor(&canonical(r), Hashing(hasher))
        .expect("postcard encoding of plain fields into a hash is infallible");
}

/// The value stored in the `log` tree for `r`.
///
/// # Errors
///
/// [`StoreError::Codec`] if postcard refuses the record (not expected for
/// plain fields).
pub fn encode_record(r: &Record) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(&StoredRef {
        canonical: canonical(r),
        prev_hash: &r.prev_hash,
        hash: &r.hash,
    })
    .map_err(|e| StoreError::Codec(e.to_string()))
}

/// Decodes a value of the `log` tree stored under `seq` (used to name the
/// record in errors).
///
/// # Errors
///
/// Malformed bytes are [`StoreError::Corrupt`] naming `seq`.
pub fn decode_record(seq: u64, bytes: &[u8]) -> Result<Record, StoreError> {
    decode_record_view(seq, bytes).map(|v| v.to_record())
}

/// [`decode_record`] borrowing the strings and payload from `bytes`.
///
/// # Errors
///
/// Malformed bytes are [`StoreError::Corrupt`] naming `seq`.
pub fn decode_record_view(seq: u64, bytes: &[u8]) -> Result<RecordView<'_>, StoreError> {
    let (s, rest): (StoredView<'_>, &[u8]) = postcard::take_from_bytes(bytes)
        .map_err(|e| StoreError::corrupt(seq, format!("undecodable record: {e}")))?;
    if !rest.is_empty() {
        return Err(StoreError::corrupt(
            seq,
            format!("{} trailing bytes after the record", rest.len()),
        ));
    }
    let recorded_at = Timestamp::from_nanosecond(s.recorded_at_ns)
        .map_err(|e| StoreError::corrupt(seq, format!("recorded_at out of range: {e}")))?;
    Ok(RecordView {
        seq: s.seq,
        event_id: Uuid::from_bytes(s.event_id),
        stream: s.stream,
        stream_version: s.stream_version,
        recorded_at,
        actor: s.actor,
        kind: s.kind,
        schema_version: s.schema_version,
        payload: s.payload,
        prev_hash: s.prev_hash,
        hash: s.hash,
    })
}

/// The values of the index fields at the start of a record's bytes.
#[derive(Deserialize)]
struct IndexFieldsWire<'a> {
    seq: u64,
    event_id: [u8; 16],
    #[serde(borrow)]
    stream: &'a str,
    stream_version: u64,
}

/// The fields an in-memory index needs, borrowed from a record's stored bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IndexFields<'a> {
    pub(crate) seq: u64,
    pub(crate) event_id: Uuid,
    pub(crate) stream: &'a str,
    pub(crate) stream_version: u64,
}

/// Decodes only the leading fields of the record stored at `seq` (cheap: no
/// allocation, no hash), checking that it says `seq`.
///
/// # Errors
/// Malformed bytes or another seq are [`StoreError::Corrupt`] naming `seq`.
pub(crate) fn decode_index_fields(seq: u64, bytes: &[u8]) -> Result<IndexFields<'_>, StoreError> {
    let (w, _rest): (IndexFieldsWire<'_>, &[u8]) = postcard::take_from_bytes(bytes)
        .map_err(|e| StoreError::corrupt(seq, format!("undecodable record: {e}")))?;
    if w.seq != seq {
        return Err(stored_under(w.seq, seq));
    }
    Ok(IndexFields {
        seq: w.seq,
        event_id: Uuid::from_bytes(w.event_id),
        stream: w.stream,
        stream_version: w.stream_version,
    })
}

fn stored_under(says: u64, seq: u64) -> StoreError {
    StoreError::corrupt(
        seq,
        format!("record says seq {says} but is stored under {seq}"),
    )
}

/// A chunk's wire shape (see the module docs), borrowed from the stored bytes.
#[derive(Serialize, Deserialize)]
struct ChunkWire<'a> {
    first_seq: u64,
    offsets: Vec<u32>,
    #[serde(borrow, with = "serde_bytes")]
    body: &'a [u8],
}

/// A decoded chunk: consecutive records `first_seq..=last_seq`, each still
/// encoded (decoded one at a time by [`Chunk::record`]).
#[derive(Debug)]
pub struct Chunk<'a> {
    first_seq: u64,
    offsets: Vec<u32>,
    body: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// The seq of the first record (the chunk's key).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The seq of the last record.
    pub fn last_seq(&self) -> u64 {
        // decode_chunk checked that this does not overflow and that len >= 1
        self.first_seq + (self.offsets.len() as u64 - 1)
    }

    /// The number of records (at least 1).
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Always false: a decoded chunk holds at least one record.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Whether `seq` is one of this chunk's records.
    pub fn contains(&self, seq: u64) -> bool {
        (self.first_seq..=self.last_seq()).contains(&seq)
    }

    /// The stored bytes (as [`encode_record`] writes them) of record `seq`,
    /// or `None` if the chunk does not hold it.
    pub fn record_bytes(&self, seq: u64) -> Option<&'a [u8]> {
        if !self.contains(seq) {
            return None;
        }
        let i = (seq - self.first_seq) as usize;
        let start = self.offsets[i] as usize;
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.body.len(), |e| *e as usize);
        Some(&self.body[start..end])
    }

    /// Decodes record `seq`, checking that it says `seq`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming `seq` when the chunk does not hold it
    /// or its bytes are malformed or name another seq.
    pub fn record(&self, seq: u64) -> Result<Record, StoreError> {
        self.record_view(seq).map(|v| v.to_record())
    }

    /// [`Chunk::record`] borrowing the strings and payload from the chunk.
    ///
    /// # Errors
    /// As [`Chunk::record`].
    pub fn record_view(&self, seq: u64) -> Result<RecordView<'a>, StoreError> {
        let bytes = self
            .record_bytes(seq)
            .ok_or_else(|| StoreError::corrupt(seq, "record missing"))?;
        let r = decode_record_view(seq, bytes)?;
        if r.seq != seq {
            return Err(stored_under(r.seq, seq));
        }
        Ok(r)
    }
}

/// Decodes the value of the `chunks` tree stored under key `key_seq`,
/// checking its header (the records themselves are decoded on demand).
///
/// # Errors
/// [`StoreError::Corrupt`] naming `key_seq` (or the record whose offset is
/// wrong) for malformed bytes, trailing bytes, another first seq, no record,
/// or offsets that do not start at 0, strictly increase and stay inside the body.
pub fn decode_chunk(key_seq: u64, bytes: &[u8]) -> Result<Chunk<'_>, StoreError> {
    let (w, rest): (ChunkWire<'_>, &[u8]) = postcard::take_from_bytes(bytes)
        .map_err(|e| StoreError::corrupt(key_seq, format!("undecodable chunk: {e}")))?;
    if !rest.is_empty() {
        return Err(StoreError::corrupt(
            key_seq,
            format!("{} trailing bytes after the chunk", rest.len()),
        ));
    }
    if w.first_seq != key_seq {
        return Err(StoreError::corrupt(
            key_seq,
            format!(
                "chunk says it starts at seq {} but is stored under {key_seq}",
                w.first_seq
            ),
        ));
    }
    if w.offsets.is_empty() {
        return Err(StoreError::corrupt(key_seq, "chunk holds no record"));
    }
    if key_seq.checked_add(w.offsets.len() as u64).is_none() {
        return Err(StoreError::corrupt(
            key_seq,
            "chunk runs past the largest seq",
        ));
    }
    let mut prev: Option<u32> = None;
    for (i, off) in w.offsets.iter().enumerate() {
        let ok = match prev {
            None => *off == 0,
            Some(p) => *off > p,
        } && (*off as usize) < w.body.len();
        if !ok {
            return Err(StoreError::corrupt(
                key_seq + i as u64,
                format!("chunk {key_seq}: bad record offset {off}"),
            ));
        }
        prev = Some(*off);
    }
    Ok(Chunk {
        first_seq: w.first_seq,
        offsets: w.offsets,
        body: w.body,
    })
}

/// Builds one chunk value from records in seq order.
#[derive(Debug)]
pub(crate) struct ChunkBuilder {
    first_seq: u64,
    offsets: Vec<u32>,
    body: Vec<u8>,
}

impl ChunkBuilder {
    /// An empty chunk whose first record will be `first_seq`.
    pub(crate) fn new(first_seq: u64) -> Self {
        ChunkBuilder {
            first_seq,
            offsets: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The number of records so far.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The size of the records' bytes so far.
    pub(crate) fn body_bytes(&self) -> usize {
        self.body.len()
    }

    /// The seq the next record must have.
    pub(crate) fn next_seq(&self) -> u64 {
        self.first_seq + self.offsets.len() as u64
    }

    fn offset(&self) -> Result<u32, StoreError> {
        u32::try_from(self.body.len())
            .map_err(|_| StoreError::Codec("a chunk body exceeds 4 GiB".into()))
    }

    /// Appends a record's stored bytes (as [`encode_record`] writes them).
    pub(crate) fn push_encoded(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let at = self.offset()?;
        self.body.extend_from_slice(bytes);
        self.offsets.push(at);
        Ok(())
    }

    /// Appends `r` (which must have seq [`next_seq`](Self::next_seq)).
    pub(crate) fn push(&mut self, r: &Record) -> Result<(), StoreError> {
        let at = self.offset()?;
        let body = std::mem::take(&mut self.body);
        self.body = postcard::to_extend(
            &StoredRef {
                canonical: canonical(r),
                prev_hash: &r.prev_hash,
                hash: &r.hash,
            },
            body,
        )
        .map_err(|e| StoreError::Codec(e.to_string()))?;
        self.offsets.push(at);
        Ok(())
    }

    /// The chunk value.
    pub(crate) fn finish(self) -> Result<Vec<u8>, StoreError> {
        postcard::to_allocvec(&ChunkWire {
            first_seq: self.first_seq,
            offsets: self.offsets,
            body: &self.body,
        })
        .map_err(|e| StoreError::Codec(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Record {
        Record {
            seq: 7,
            event_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            stream: "participant-1".into(),
            stream_version: 3,
            recorded_at: Timestamp::from_nanosecond(1_475_280_000_123_456_789).unwrap(),
            actor: "alice".into(),
            kind: "AttendanceRecorded".into(),
            schema_version: 2,
            payload: vec![0, 1, 2, 255],
            prev_hash: [0xaa; 32],
            hash: [0xbb; 32],
        }
    }

    #[test]
    fn stored_record_decodes_to_the_same_record() {
        let r = sample();
        let bytes = encode_record(&r).unwrap();
        assert_eq!(decode_record(7, &bytes).unwrap(), r);
    }

    #[test]
    fn hashing_the_canonical_bytes_directly_hashes_the_same_bytes() {
        use sha2::Digest;
        let r = sample();
        let mut direct = sha2::Sha256::new();
        hash_canonical(&r, &mut direct);
        assert_eq!(direct.finalize(), sha2::Sha256::digest(canonical_bytes(&r)));
    }

    #[test]
    fn canonical_bytes_leave_out_the_hashes() {
        let r = sample();
        let mut other = r.clone();
        other.prev_hash = [1; 32];
        other.hash = [2; 32];
        assert_eq!(canonical_bytes(&r), canonical_bytes(&other));
    }

    #[test]
    fn canonical_bytes_change_with_every_hashed_field() {
        let r = sample();
        let base = canonical_bytes(&r);
        let edits: Vec<fn(&mut Record)> = vec![
            |r| r.seq += 1,
            |r| r.event_id = Uuid::nil(),
            |r| r.stream.push('x'),
            |r| r.stream_version += 1,
            |r| r.recorded_at = Timestamp::from_nanosecond(1).unwrap(),
            |r| r.actor.push('x'),
            |r| r.kind.push('x'),
            |r| r.schema_version += 1,
            |r| r.payload.push(0),
        ];
        for edit in edits {
            let mut changed = r.clone();
            edit(&mut changed);
            assert_ne!(canonical_bytes(&changed), base);
        }
    }

    #[test]
    fn canonical_bytes_have_the_documented_layout() {
        let mut r = sample();
        r.seq = 1;
        r.stream = "p".into();
        r.stream_version = 1;
        r.recorded_at = Timestamp::from_nanosecond(-1).unwrap();
        r.actor = "a".into();
        r.kind = "k".into();
        r.schema_version = 300;
        r.payload = vec![9];
        let mut expected = vec![1u8];
        expected.extend_from_slice(r.event_id.as_bytes());
        expected.extend_from_slice(&[1, b'p', 1, 1, 1, b'a', 1, b'k', 0xac, 0x02, 1, 9]);
        assert_eq!(canonical_bytes(&r), expected);
    }

    #[test]
    fn garbage_value_is_corrupt_naming_its_seq() {
        let err = decode_record(42, &[0xff, 0xff, 0xff]).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 42, .. }), "{err}");
    }

    fn chunk_of(first: u64, n: u64) -> (Vec<Record>, Vec<u8>) {
        let records: Vec<Record> = (first..first + n)
            .map(|seq| Record {
                seq,
                payload: vec![seq as u8; seq as usize % 5],
                ..sample()
            })
            .collect();
        let mut b = ChunkBuilder::new(first);
        for r in &records {
            b.push(r).unwrap();
        }
        (records, b.finish().unwrap())
    }

    #[test]
    fn chunk_records_decode_one_by_one_to_the_same_records() {
        let (records, value) = chunk_of(10, 7);
        let chunk = decode_chunk(10, &value).unwrap();
        assert_eq!(
            (chunk.first_seq(), chunk.last_seq(), chunk.len()),
            (10, 16, 7)
        );
        for r in &records {
            assert_eq!(&chunk.record(r.seq).unwrap(), r);
            assert_eq!(
                chunk.record_bytes(r.seq).unwrap(),
                &encode_record(r).unwrap()[..]
            );
        }
        assert!(chunk.record_bytes(9).is_none() && chunk.record_bytes(17).is_none());
        assert!(matches!(
            chunk.record(17),
            Err(StoreError::Corrupt { seq: 17, .. })
        ));
    }

    #[test]
    fn chunk_under_another_key_is_corrupt_naming_the_key() {
        let (_, value) = chunk_of(10, 3);
        let err = decode_chunk(11, &value).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 11, .. }), "{err}");
    }

    #[test]
    fn record_in_the_wrong_slot_is_corrupt_naming_the_slot() {
        let (records, _) = chunk_of(10, 2);
        let mut b = ChunkBuilder::new(10);
        b.push(&records[1]).unwrap();
        b.push(&records[0]).unwrap();
        let value = b.finish().unwrap();
        let chunk = decode_chunk(10, &value).unwrap();
        let err = chunk.record(10).unwrap_err();
        assert!(
            err.to_string()
                .contains("record says seq 11 but is stored under 10"),
            "{err}"
        );
        let err = decode_index_fields(10, chunk.record_bytes(10).unwrap()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 10, .. }), "{err}");
    }

    #[test]
    fn index_fields_are_the_leading_fields_of_a_record() {
        let r = sample();
        let bytes = encode_record(&r).unwrap();
        let f = decode_index_fields(7, &bytes).unwrap();
        assert_eq!(
            (f.seq, f.event_id, f.stream, f.stream_version),
            (7, r.event_id, "participant-1", 3)
        );
    }

    #[test]
    fn trailing_bytes_are_corrupt() {
        let mut bytes = encode_record(&sample()).unwrap();
        bytes.push(0);
        let err = decode_record(7, &bytes).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 7, .. }), "{err}");
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes given to the record decoder give a record or an error naming
        /// the seq — never a panic (a corrupt disk must not crash the server).
        #[test]
        fn arbitrary_bytes_never_panic_the_record_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = super::decode_record(7, &bytes);
        }

        /// A valid record with one byte changed or cut short decodes to an error
        /// or to a record whose hash no longer checks — never a panic.
        #[test]
        fn a_damaged_record_never_panics_the_decoder(flip in 0usize..200, cut in 0usize..200) {
            let r = crate::Record {
                seq: 3, event_id: uuid::Uuid::from_u128(9), stream: "s".into(), stream_version: 1,
                recorded_at: jiff::Timestamp::UNIX_EPOCH, actor: "a".into(), kind: "k".into(), schema_version: 1,
                payload: vec![1, 2, 3], prev_hash: [0; 32], hash: [0; 32],
            };
            let mut bytes = super::encode_record(&r).expect("a record encodes");
            let i = flip % bytes.len();
            bytes[i] ^= 0x5a;
            let _ = super::decode_record(3, &bytes);
            bytes.truncate(cut % bytes.len());
            let _ = super::decode_record(3, &bytes);
        }

        /// Any bytes given to the chunk decoder, and then to every record
        /// lookup of what it accepted, give an error naming a seq or records —
        /// never a panic.
        #[test]
        fn arbitrary_bytes_never_panic_the_chunk_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(chunk) = super::decode_chunk(bytes.first().copied().unwrap_or(0) as u64, &bytes) {
                for seq in chunk.first_seq()..=chunk.last_seq() {
                    let _ = chunk.record(seq);
                    if let Some(b) = chunk.record_bytes(seq) {
                        let _ = super::decode_index_fields(seq, b);
                    }
                }
            }
        }

        /// A valid chunk with one byte changed or cut short never panics the
        /// chunk decoder nor the record lookups.
        #[test]
        fn a_damaged_chunk_never_panics_the_decoder(flip in 0usize..2000, cut in 0usize..2000, xor in 1u8..=255) {
            let mut b = super::ChunkBuilder::new(3);
            for seq in 3..8u64 {
                let r = crate::Record {
                    seq, event_id: uuid::Uuid::from_u128(seq as u128), stream: "s".into(), stream_version: seq - 2,
                    recorded_at: jiff::Timestamp::UNIX_EPOCH, actor: "a".into(), kind: "k".into(), schema_version: 1,
                    payload: vec![seq as u8; seq as usize], prev_hash: [0; 32], hash: [0; 32],
                };
                b.push(&r).expect("a record encodes");
            }
            let mut bytes = b.finish().expect("a chunk encodes");
            let i = flip % bytes.len();
            bytes[i] ^= xor;
            let check = |bytes: &[u8]| {
                if let Ok(chunk) = super::decode_chunk(3, bytes) {
                    for seq in chunk.first_seq()..=chunk.last_seq() {
                        let _ = chunk.record(seq);
                        if let Some(b) = chunk.record_bytes(seq) {
                            let _ = super::decode_index_fields(seq, b);
                        }
                    }
                }
            };
            check(&bytes);
            bytes.truncate(cut % bytes.len());
            check(&bytes);
        }
    }
}
