//! Sealed chunks in append-only segment files beside sled (format 3,
//! docs/FORMAT.md "Segments").
//!
//! A segment is a file `segments/NNNNNNNN.seg` (8 decimal digits, from 1)
//! in the log's directory holding sealed chunks back to back, exactly as
//! [`crate::codec`] encodes them; the sled tree `sealed` maps each chunk's
//! first seq to a [`SegmentRef`] (file, offset, length). Bytes are only ever
//! appended and made durable (`fdatasync`) before a reference to them is
//! stored, so a reference never points at bytes a crash could lose. Bytes no
//! reference points at (a crash between the two steps) are dead: they are
//! never read and never overwritten.
//!
//! Chunks are read with `pread`: the kernel's page cache holds them, not the
//! process's heap and not sled's cache.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::error::StoreError;

/// The name of the segments' directory inside the log's directory.
pub const SEGMENTS_DIR: &str = "segments";

/// A new segment file is started once the current one holds at least this
/// many bytes (so a segment holds at most this plus one append's chunks).
pub const SEGMENT_MAX_BYTES: u64 = 256 << 20;

/// Where a sealed chunk is: segment file number, byte offset, length in
/// bytes. Stored in the `sealed` tree as [`SegmentRef::encode`] writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SegmentRef {
    pub(crate) segment: u32,
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

impl SegmentRef {
    /// The stored form: segment (BE u32) ‖ offset (BE u64) ‖ length (BE u32).
    pub(crate) fn encode(&self) -> [u8; 16] {
        let mut v = [0u8; 16];
        v[..4].copy_from_slice(&self.segment.to_be_bytes());
        v[4..12].copy_from_slice(&self.offset.to_be_bytes());
        v[12..].copy_from_slice(&self.len.to_be_bytes());
        v
    }

    /// Decodes [`SegmentRef::encode`]'s bytes; `first_seq` names the chunk
    /// in the error.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the value is not 16 bytes.
    pub(crate) fn decode(first_seq: u64, bytes: &[u8]) -> Result<SegmentRef, StoreError> {
        let bad = || {
            StoreError::corrupt(
                first_seq,
                format!("the segment reference of chunk {first_seq} is not 16 bytes"),
            )
        };
        let v: &[u8; 16] = bytes.try_into().map_err(|_| bad())?;
        let (segment, rest) = v.split_at(4);
        let (offset, len) = rest.split_at(8);
        Ok(SegmentRef {
            segment: u32::from_be_bytes(segment.try_into().map_err(|_| bad())?),
            offset: u64::from_be_bytes(offset.try_into().map_err(|_| bad())?),
            len: u32::from_be_bytes(len.try_into().map_err(|_| bad())?),
        })
    }
}

/// The segment files of one log.
pub(crate) struct Segments {
    dir: PathBuf,
    /// Every segment file, by number.
    files: RwLock<BTreeMap<u32, Arc<File>>>,
    /// The segment being appended to and its length (bytes), if any.
    active: Mutex<Option<(u32, u64)>>,
    /// [`SEGMENT_MAX_BYTES`] (smaller in tests).
    max_bytes: u64,
}

impl std::fmt::Debug for Segments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segments").field("dir", &self.dir).finish()
    }
}

/// The file name of segment `n`.
fn file_name(n: u32) -> String {
    format!("{n:08}.seg")
}

/// The number of a segment file called `name`, if it is one.
fn number_of(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl Segments {
    /// Opens the segment files under `log_dir/segments`. A missing
    /// directory is not created here (a read-only check must not change the
    /// directory) but by the first append.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the directory or a file cannot be opened.
    pub(crate) fn open(log_dir: &Path) -> Result<Segments, StoreError> {
        let dir = log_dir.join(SEGMENTS_DIR);
        let mut files = BTreeMap::new();
        let mut active = None;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.collect::<Vec<_>>(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let Some(n) = entry.file_name().to_str().and_then(number_of) else {
                continue;
            };
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(entry.path())?;
            let len = file.metadata()?.len();
            if active.is_none_or(|(a, _)| n > a) {
                active = Some((n, len));
            }
            files.insert(n, Arc::new(file));
        }
        Ok(Segments {
            dir,
            files: RwLock::new(files),
            active: Mutex::new(active),
            max_bytes: SEGMENT_MAX_BYTES,
        })
    }

    /// Appends `chunks` (encoded chunk bytes) at the end of the current
    /// segment (starting a new one past [`SEGMENT_MAX_BYTES`]) and makes
    /// them durable; returns where each one is, in order.
    ///
    /// # Errors
    /// [`StoreError::Io`] when writing or syncing fails (the bytes are then
    /// dead: nothing refers to them); [`StoreError::Codec`] for a chunk of
    /// 4 GiB or more.
    pub(crate) fn append<'a>(
        &self,
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Vec<SegmentRef>, StoreError> {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        let (segment, start, created) = match *active {
            Some((n, len)) if len < self.max_bytes => (n, len, false),
            other => (other.map_or(1, |(n, _)| n + 1), 0, true),
        };
        let mut buf = Vec::new();
        let mut refs = Vec::new();
        for chunk in chunks {
            let len = u32::try_from(chunk.len())
                .map_err(|_| StoreError::Codec("a chunk of 4 GiB or more".into()))?;
            refs.push(SegmentRef {
                segment,
                offset: start + buf.len() as u64,
                len,
            });
            buf.extend_from_slice(chunk);
        }
        if buf.is_empty() {
            return Ok(refs);
        }
        let file = if created {
            if !self.dir.is_dir() {
                std::fs::create_dir_all(&self.dir)?;
                if let Some(parent) = self.dir.parent() {
                    sync_dir(parent)?;
                }
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(self.dir.join(file_name(segment)))?;
            let file = Arc::new(file);
            self.files
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(segment, Arc::clone(&file));
            *active = Some((segment, 0));
            file
        } else {
            self.file(segment)
                .ok_or_else(|| io::Error::other(format!("segment {segment} is not open")))?
        };
        file.write_all_at(&buf, start)?;
        file.sync_data()?;
        if created {
            sync_dir(&self.dir)?;
        }
        *active = Some((segment, start + buf.len() as u64));
        Ok(refs)
    }

    fn file(&self, segment: u32) -> Option<Arc<File>> {
        self.files
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&segment)
            .cloned()
    }

    /// The bytes `at` points to; `first_seq` names the chunk in errors.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming `first_seq` when the segment file is
    /// missing or shorter than the reference says; [`StoreError::Io`] when
    /// reading fails.
    pub(crate) fn read(&self, first_seq: u64, at: SegmentRef) -> Result<Vec<u8>, StoreError> {
        let file = self.file(at.segment).ok_or_else(|| {
            StoreError::corrupt(
                first_seq,
                format!(
                    "chunk {first_seq} is in segment file {}, which is missing",
                    file_name(at.segment)
                ),
            )
        })?;
        let mut buf = vec![0u8; at.len as usize];
        match file.read_exact_at(&mut buf, at.offset) {
            Ok(()) => Ok(buf),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(StoreError::corrupt(
                first_seq,
                format!(
                    "chunk {first_seq} runs past the end of segment file {} (offset {}, {} bytes)",
                    file_name(at.segment),
                    at.offset,
                    at.len
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// fsyncs a directory (so that a file created in it survives a crash).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_round_trips_and_a_short_one_is_refused() {
        let r = SegmentRef {
            segment: 7,
            offset: (1 << 40) + 3,
            len: 120 << 10,
        };
        assert_eq!(SegmentRef::decode(5, &r.encode()).unwrap(), r);
        match SegmentRef::decode(5, &r.encode()[..15]) {
            Err(StoreError::Corrupt { seq: 5, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn appended_chunks_read_back_after_reopening_and_a_short_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let refs = {
            let s = Segments::open(dir.path()).unwrap();
            // Opening creates nothing; the first append makes the directory.
            assert!(!dir.path().join(SEGMENTS_DIR).exists());
            let mut refs = s.append([&b"abc"[..], b"defg"]).unwrap();
            refs.extend(s.append([&b"h"[..]]).unwrap());
            assert_eq!(s.read(1, refs[1]).unwrap(), b"defg");
            refs
        };
        assert_eq!(
            refs.iter()
                .map(|r| (r.segment, r.offset, r.len))
                .collect::<Vec<_>>(),
            [(1, 0, 3), (1, 3, 4), (1, 7, 1)]
        );
        let s = Segments::open(dir.path()).unwrap();
        assert_eq!(s.read(1, refs[0]).unwrap(), b"abc");
        assert_eq!(s.read(1, refs[2]).unwrap(), b"h");
        // Appends continue after the last byte.
        assert_eq!(s.append([&b"ij"[..]]).unwrap()[0].offset, 8);
        let past = SegmentRef {
            offset: 9,
            len: 5,
            ..refs[0]
        };
        match s.read(42, past) {
            Err(StoreError::Corrupt { seq: 42, reason }) => {
                assert!(reason.contains("00000001.seg"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let elsewhere = SegmentRef {
            segment: 9,
            ..refs[0]
        };
        assert!(matches!(
            s.read(42, elsewhere),
            Err(StoreError::Corrupt { seq: 42, .. })
        ));
    }

    #[test]
    fn a_full_segment_is_followed_by_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Segments::open(dir.path()).unwrap();
        s.max_bytes = 4;
        let a = s.append([&b"abc"[..]]).unwrap()[0];
        let b = s.append([&b"de"[..], b"f"]).unwrap();
        let c = s.append([&b"g"[..]]).unwrap()[0];
        assert_eq!(
            (a.segment, b[0].segment, b[1].segment, c.segment),
            (1, 1, 1, 2)
        );
        assert_eq!(c.offset, 0);
        drop(s);
        let s = Segments::open(dir.path()).unwrap();
        assert_eq!(s.read(1, b[1]).unwrap(), b"f");
        assert_eq!(s.read(1, c).unwrap(), b"g");
        assert!(dir.path().join("segments/00000002.seg").is_file());
    }

    #[test]
    fn only_segment_file_names_are_taken() {
        assert_eq!(number_of("00000012.seg"), Some(12));
        assert_eq!(number_of("12.seg"), None);
        assert_eq!(number_of("0000001a.seg"), None);
        assert_eq!(number_of("00000012.seg.tmp"), None);
    }
}
