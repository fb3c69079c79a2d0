//! [`Seqs`]: a small persistent set of seqs, the value type of the ledger's
//! one-to-many indexes (a participant's attendances, a session's attendances,
//! a document's expenses …).

use triomphe::ThinArc;

/// A set of seqs in ascending order, shared between copies of a ledger until
/// one of them changes it (then only this set is copied).
///
/// It replaces `imbl::OrdSet<u64>` there: an `OrdSet` holds even one seq in
/// a B-tree leaf sized for 64 (≈ 530 bytes), and a change to a shared one
/// copies that leaf; these sets hold a few dozen seqs at most, so a sorted
/// array is smaller and a copy is a copy of those seqs. Seqs arrive in
/// increasing order during a fold, so an insert is a push.
///
/// One allocation (`triomphe::ThinArc`: a count, the array's length and
/// this header, then the array) of 32-bit words: a seq takes one word while
/// every seq of the set is below 2^32 (a log of 4 × 10^9 records), two
/// (low, high) after. At 10^6 events the sets of the head and its snapshots
/// took ≈ 32 MiB as `Arc<Vec<u64>>` (two allocations, 8 bytes a seq).
#[derive(Clone, Default)]
pub(crate) struct Seqs(Option<ThinArc<Head, u32>>);

/// How many seqs the array holds, and whether each takes two words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Head {
    len: u32,
    wide: bool,
}

/// The words of one seq: low, high (a narrow set stores the low only).
fn words(seq: u64) -> [u32; 2] {
    [seq as u32, (seq >> 32) as u32]
}

impl Seqs {
    /// The set holding only `seq`.
    pub fn unit(seq: u64) -> Seqs {
        Seqs::build(std::iter::once(seq), 1, 0)
    }

    /// A set of the seqs of `seqs` (ascending, `len` of them) with room for
    /// `room` more.
    fn build(seqs: impl Iterator<Item = u64> + Clone, len: usize, room: usize) -> Seqs {
        let wide = seqs.clone().any(|s| s > u64::from(u32::MAX));
        let per = if wide { 2 } else { 1 };
        let mut array = Vec::with_capacity((len + room) * per);
        for seq in seqs {
            array.extend_from_slice(&words(seq)[..per]);
        }
        array.resize((len + room) * per, 0);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        Seqs(Some(ThinArc::from_header_and_slice(
            Head { len, wide },
            &array,
        )))
    }

    fn head(&self) -> Head {
        self.0.as_ref().map_or(Head::default(), |a| a.header.header)
    }

    /// The `i`th seq (`i < len`).
    fn at(&self, i: usize) -> u64 {
        let Some(a) = &self.0 else { return 0 };
        if a.header.header.wide {
            u64::from(a.slice[2 * i]) | (u64::from(a.slice[2 * i + 1]) << 32)
        } else {
            u64::from(a.slice[i])
        }
    }

    /// Where `seq` is (`Ok`) or would go (`Err`).
    fn search(&self, seq: u64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.at(mid).cmp(&seq) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Adds `seq`; whether it was not there.
    ///
    /// In place when this copy holds the set alone and has room; otherwise
    /// into a new array with room for an eighth more (at least 4 seqs), not
    /// twofold (Vec's rule): these sets are kept by the million, each copy in
    /// a snapshot as it was, and a twofold rule leaves a quarter to a half of
    /// every one unused.
    pub fn insert(&mut self, seq: u64) -> bool {
        let len = self.len();
        let at = match self.last() {
            Some(last) if last < seq => len,
            None => 0,
            Some(_) => match self.search(seq) {
                Ok(_) => return false,
                Err(i) => i,
            },
        };
        let Head { wide, .. } = self.head();
        let fits = wide || seq <= u64::from(u32::MAX);
        if let (true, Some(a)) = (fits, &mut self.0) {
            let per = if wide { 2 } else { 1 };
            let done = a.with_arc_mut(|arc| {
                let Some(own) = triomphe::Arc::get_mut(arc) else {
                    return false;
                };
                let slice = own.slice_mut();
                if slice.len() < (len + 1) * per {
                    return false;
                }
                slice.copy_within(at * per..len * per, (at + 1) * per);
                slice[at * per..(at + 1) * per].copy_from_slice(&words(seq)[..per]);
                own.header_mut().len += 1;
                true
            });
            if done {
                return true;
            }
        }
        let room = (len / 8).max(4);
        let (before, after) = (self.iter().take(at), self.iter().skip(at));
        *self = Seqs::build(
            before.chain(std::iter::once(seq)).chain(after),
            len + 1,
            room - 1,
        );
        true
    }

    /// Removes `seq`; whether it was there.
    pub fn remove(&mut self, seq: &u64) -> bool {
        let Ok(at) = self.search(*seq) else {
            return false;
        };
        let len = self.len();
        if let Some(a) = &mut self.0 {
            let per = if a.header.header.wide { 2 } else { 1 };
            let done = a.with_arc_mut(|arc| {
                let Some(own) = triomphe::Arc::get_mut(arc) else {
                    return false;
                };
                own.slice_mut()
                    .copy_within((at + 1) * per..len * per, at * per);
                own.header_mut().len -= 1;
                true
            });
            if done {
                return true;
            }
        }
        let (before, after) = (self.iter().take(at), self.iter().skip(at + 1));
        *self = Seqs::build(before.chain(after), len - 1, 0);
        true
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: &u64) -> bool {
        self.search(*seq).is_ok()
    }

    /// How many seqs the set holds.
    pub fn len(&self) -> usize {
        self.head().len as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The smallest seq, if any.
    #[cfg(test)]
    pub fn first(&self) -> Option<u64> {
        (!self.is_empty()).then(|| self.at(0))
    }

    /// The greatest seq, if any.
    pub fn last(&self) -> Option<u64> {
        self.len().checked_sub(1).map(|i| self.at(i))
    }

    /// The seqs in ascending order, one by one.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            next: 0,
            end: self.len(),
        }
    }
}

impl PartialEq for Seqs {
    fn eq(&self, other: &Seqs) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Seqs {}

impl std::fmt::Debug for Seqs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The seqs of a [`Seqs`], ascending.
#[derive(Clone)]
pub(crate) struct Iter<'a> {
    set: &'a Seqs,
    next: usize,
    end: usize,
}

impl Iterator for Iter<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.set.at(self.next - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.end - self.next, Some(self.end - self.next))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<u64> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            self.set.at(self.end)
        })
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Seqs {
    type Item = u64;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
impl Seqs {
    /// How many seqs the array has room for.
    fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |a| {
            a.slice.len() / if a.header.header.wide { 2 } else { 1 }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Seqs;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Any sequence of inserts and removes leaves the same set, in the
        /// same order, as a `BTreeSet`, and a copy taken midway keeps what it
        /// had.
        #[test]
        fn behaves_like_a_btree_set(
            ops in proptest::collection::vec((any::<bool>(), 0u64..40), 0..200),
            high in proptest::bool::ANY,
        ) {
            // around 2^32 a set takes two words a seq from its first seq above
            let base = if high { u64::from(u32::MAX) - 20 } else { 0 };
            let ops: Vec<(bool, u64)> = ops.into_iter().map(|(add, seq)| (add, base + seq)).collect();
            let mut ours = Seqs::default();
            let mut model = BTreeSet::new();
            let mut copy = None;
            for (i, (add, seq)) in ops.iter().enumerate() {
                if i == ops.len() / 2 {
                    copy = Some((ours.clone(), model.clone()));
                }
                if *add {
                    prop_assert_eq!(ours.insert(*seq), model.insert(*seq));
                } else {
                    prop_assert_eq!(ours.remove(seq), model.remove(seq));
                }
                prop_assert_eq!(ours.contains(seq), model.contains(seq));
                prop_assert_eq!(ours.len(), model.len());
                prop_assert_eq!(ours.is_empty(), model.is_empty());
                prop_assert_eq!(ours.first(), model.first().copied());
                prop_assert_eq!(ours.last(), model.last().copied());
            }
            prop_assert!(ours.iter().eq(model.iter().copied()));
            if let Some((ours, model)) = copy {
                prop_assert!(ours.iter().eq(model.iter().copied()));
            }
        }
    }

    /// A set grows by an eighth, and a copy made for a write to a shared set
    /// gets an eighth of room, not Vec's twofold.
    #[test]
    fn grows_by_an_eighth_and_a_copy_gets_an_eighth_of_room() {
        let mut s = Seqs::default();
        for seq in 1..=200 {
            s.insert(seq);
            let (len, cap) = (s.len(), s.capacity());
            assert!(
                cap <= len + (len / 8).max(4),
                "{len} seqs in room for {cap}"
            );
        }
        let kept = s.clone();
        s.insert(201);
        assert_eq!(kept.len(), 200, "the copy keeps what it had");
        assert_eq!(s.capacity(), 200 + 200 / 8);
        s.insert(0);
        assert_eq!(s.first(), Some(0));
        assert_eq!(s.len(), 202);
    }

    #[test]
    fn unit_holds_one_seq() {
        let s = Seqs::unit(7);
        assert_eq!(s.iter().collect::<Vec<_>>(), [7]);
        assert!(s.contains(&7) && !s.contains(&6));
        assert_eq!(s.first(), Some(7));
        assert_eq!(Seqs::default().first(), None);
    }
}
