//! [`Seqs`]: a small persistent set of seqs, the value type of the ledger's
//! one-to-many indexes (a participant's attendances, a session's attendances,
//! a document's expenses …).

use triomphe::Arc;

/// A set of seqs in ascending order, shared between copies of a ledger until
/// one of them changes it (then only this set is copied).
///
/// It replaces `imbl::OrdSet<u64>` there: an `OrdSet` holds even one seq in
/// a B-tree leaf sized for 64 (≈ 530 bytes), and a change to a shared one
/// copies that leaf; these sets hold a few dozen seqs at most, so a sorted
/// vector is smaller (8 bytes a seq) and a copy is a copy of those seqs.
/// Seqs arrive in increasing order during a fold, so an insert is a push.
/// Behind `triomphe`'s `Arc` (one count, no weak references): the count and
/// the vector's header take the allocator's 32-byte class, not 48.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seqs(Arc<Vec<u64>>);

impl Seqs {
    /// The set holding only `seq`.
    pub fn unit(seq: u64) -> Seqs {
        Seqs(Arc::new(vec![seq]))
    }

    /// Adds `seq`; whether it was not there.
    pub fn insert(&mut self, seq: u64) -> bool {
        let at = match self.0.last() {
            Some(&last) if last < seq => self.0.len(),
            None => 0,
            Some(_) => match self.0.binary_search(&seq) {
                Ok(_) => return false,
                Err(i) => i,
            },
        };
        self.room_for_one().insert(at, seq);
        true
    }

    /// The vector to add one seq to, with room for it: this set's own, or
    /// a copy if a copy of the ledger shares it. It grows by an eighth (at
    /// least 4 seqs), not twofold (Vec's rule), and a copy gets that much
    /// room: these sets are
    /// kept by the million, each copy in a snapshot as it was, and a
    /// twofold rule leaves a quarter to a half of every one unused.
    fn room_for_one(&mut self) -> &mut Vec<u64> {
        let len = self.0.len();
        // at least four (Vec's first step): a set of a few seqs is not
        // moved at every insert
        let room = (len / 8).max(4);
        if Arc::get_mut(&mut self.0).is_none() {
            let mut copy = Vec::with_capacity(len + room);
            copy.extend_from_slice(&self.0);
            self.0 = Arc::new(copy);
        }
        // not shared now: this copies nothing
        let own = Arc::make_mut(&mut self.0);
        if own.len() == own.capacity() {
            own.reserve_exact(room);
        }
        own
    }

    /// Removes `seq`; whether it was there.
    pub fn remove(&mut self, seq: &u64) -> bool {
        match self.0.binary_search(seq) {
            Ok(i) => {
                Arc::make_mut(&mut self.0).remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: &u64) -> bool {
        self.0.binary_search(seq).is_ok()
    }

    /// How many seqs the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The smallest seq, if any.
    pub fn first(&self) -> Option<u64> {
        self.0.first().copied()
    }

    /// The seqs in ascending order.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// The seqs in ascending order, one by one.
    pub fn iter(&self) -> std::slice::Iter<'_, u64> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Seqs {
    type Item = &'a u64;
    type IntoIter = std::slice::Iter<'a, u64>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
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
        fn behaves_like_a_btree_set(ops in proptest::collection::vec((any::<bool>(), 0u64..40), 0..200)) {
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
            }
            prop_assert!(ours.iter().eq(model.iter()));
            if let Some((ours, model)) = copy {
                prop_assert!(ours.iter().eq(model.iter()));
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
            let (len, cap) = (s.0.len(), s.0.capacity());
            assert!(
                cap <= len + (len / 8).max(4),
                "{len} seqs in room for {cap}"
            );
        }
        let kept = s.clone();
        s.insert(201);
        assert_eq!(kept.len(), 200, "the copy keeps what it had");
        assert_eq!(s.0.capacity(), 200 + 200 / 8);
        s.insert(0);
        assert_eq!(s.first(), Some(0));
        assert_eq!(s.len(), 202);
    }

    #[test]
    fn unit_holds_one_seq() {
        let s = Seqs::unit(7);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [7]);
        assert!(s.contains(&7) && !s.contains(&6));
        assert_eq!(s.first(), Some(7));
        assert_eq!(Seqs::default().first(), None);
    }
}
