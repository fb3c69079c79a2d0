//! Byte encodings of records: the stored value in the `log` tree and the
//! canonical bytes that the chain hash covers. The only file naming postcard.
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
//! Decoding refuses trailing bytes.
//!
//! [`encode_record`] and [`decode_record`] are public for tools and tests
//! that read or (in tests) rewrite the `log` tree with sled directly; the
//! store itself is the only writer of a log.

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
    payload: &'a [u8],
}

/// The stored value, borrowed for encoding.
#[derive(Serialize)]
struct StoredRef<'a> {
    canonical: Canonical<'a>,
    prev_hash: &'a Hash,
    hash: &'a Hash,
}

/// The stored value, owned for decoding (same layout as [`StoredRef`]).
#[derive(Deserialize)]
struct Stored {
    seq: u64,
    event_id: [u8; 16],
    stream: String,
    stream_version: u64,
    recorded_at_ns: i128,
    actor: String,
    kind: String,
    schema_version: u16,
    payload: Vec<u8>,
    prev_hash: Hash,
    hash: Hash,
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

/// The canonical bytes of `r` (every field but `prev_hash` and `hash`).
pub(crate) fn canonical_bytes(r: &Record) -> Vec<u8> {
    // Serialising integers, strings and byte slices into a growable Vec
    // cannot fail with postcard (no buffer limit, no unknown-length sequence,
    // no custom serialize impl), so this never panics.
    postcard::to_allocvec(&canonical(r))
        .expect("postcard encoding of plain fields into a Vec is infallible")
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
    let (s, rest): (Stored, &[u8]) = postcard::take_from_bytes(bytes)
        .map_err(|e| StoreError::corrupt(seq, format!("undecodable record: {e}")))?;
    if !rest.is_empty() {
        return Err(StoreError::corrupt(
            seq,
            format!("{} trailing bytes after the record", rest.len()),
        ));
    }
    let recorded_at = Timestamp::from_nanosecond(s.recorded_at_ns)
        .map_err(|e| StoreError::corrupt(seq, format!("recorded_at out of range: {e}")))?;
    Ok(Record {
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
    }
}
