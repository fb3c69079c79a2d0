//! [`IdMap`]: a persistent map keyed by ids numbered in the order they were
//! first seen, so that what a stretch of the log touches sits together.
//!
//! Participant and expense ids are random UUIDs, document keys are supplier
//! and number: in an `imbl::OrdMap` keyed by them, the few thousand entries
//! a stretch of 32 768 records adds or changes land in nearly every B-tree
//! leaf, so a snapshot of the head and the head that moves on share almost
//! none of the map (the performance issue: ≈ 180 MB of the server's memory
//! at 10^6 events went to such copies). Keyed by a number given at first
//! sight, new and recently active entities are the last leaves, and the
//! rest stays shared.
//!
//! The numbering ([`Interner`]) is shared by a ledger and every copy of it
//! and only grows (like the ledger's event-id map): a number means nothing
//! but "this key", so a copy that numbered a key another copy never folds
//! changes no answer. Iteration follows the numbering, which depends on
//! what every copy folded: callers that show an order sort by key.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, PoisonError, RwLock};

/// foldhash, seeded per process (keys come from clients), as `EventIds`.
type Hasher = foldhash::fast::RandomState;

/// Key ↔ number, numbers from 0 in the order keys were first seen; shared
/// by every map and copy built from the same [`Interner`].
pub(crate) struct Interner<K>(Arc<RwLock<Table<K>>>);

struct Table<K> {
    numbers: HashMap<K, u32, Hasher>,
    keys: Vec<K>,
}

impl<K> Clone for Interner<K> {
    fn clone(&self) -> Self {
        Interner(Arc::clone(&self.0))
    }
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Interner(Arc::new(RwLock::new(Table {
            numbers: HashMap::default(),
            keys: Vec::new(),
        })))
    }
}

impl<K: Hash + Eq + Clone> Interner<K> {
    /// The number of `key`, if it has one.
    fn number<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
    {
        let t = self.0.read().unwrap_or_else(PoisonError::into_inner);
        t.numbers.get(key).copied()
    }

    /// The number of `key`, giving it the next one if it has none.
    ///
    /// # Panics
    /// After 2^32 distinct keys (a log of that many entities does not fit in
    /// memory anyway).
    fn number_or_new(&self, key: &K) -> u32 {
        if let Some(n) = self.number(key) {
            return n;
        }
        let mut t = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&n) = t.numbers.get(key) {
            return n;
        }
        let n = u32::try_from(t.keys.len()).expect("fewer than 2^32 distinct keys");
        t.keys.push(key.clone());
        t.numbers.insert(key.clone(), n);
        n
    }

    /// The key numbered `n` (every number in a map was given by this table).
    fn key(&self, n: u32) -> K {
        let t = self.0.read().unwrap_or_else(PoisonError::into_inner);
        t.keys[n as usize].clone()
    }
}

/// A persistent map from `K` to `V` (clones share it, as `imbl::OrdMap`),
/// stored as a persistent vector indexed by the numbers of an [`Interner`]
/// (a slot per number up to the largest the map holds, `None` where it has
/// no value).
///
/// Numbers are given in the order keys are first seen, so the map grows at
/// its end: a vector keeps every chunk full, where a B-tree split in the
/// middle (`imbl::OrdMap`) leaves each leaf behind half empty, and a copy
/// shares every chunk but the ones written since. Lookups by key cost a hash
/// lookup more than an `OrdMap<K, V>`; iteration is in numbering order
/// (first seen first), not key order.
pub(crate) struct IdMap<K, V> {
    interner: Interner<K>,
    slots: imbl::Vector<Option<V>>,
    /// How many slots hold a value.
    len: usize,
}

impl<K, V: Clone> Clone for IdMap<K, V> {
    fn clone(&self) -> Self {
        IdMap {
            interner: self.interner.clone(),
            slots: self.slots.clone(),
            len: self.len,
        }
    }
}

impl<K, V: Clone> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            interner: Interner::default(),
            slots: imbl::Vector::new(),
            len: 0,
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> IdMap<K, V> {
    /// An empty map numbering its keys with `interner` (shared with other maps
    /// of the same kind of key).
    pub fn with(interner: &Interner<K>) -> Self {
        IdMap {
            interner: interner.clone(),
            slots: imbl::Vector::new(),
            len: 0,
        }
    }

    /// The numbering this map uses.
    pub fn interner(&self) -> &Interner<K> {
        &self.interner
    }

    /// The value of `key` (or of a key it borrows as, such as a `&str`).
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let n = self.interner.number(key)?;
        self.slots.get(n as usize)?.as_ref()
    }

    /// The value of `key`, to change in place (copied first if shared).
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let n = self.interner.number(key)?;
        self.slots.get_mut(n as usize)?.as_mut()
    }

    /// Sets the value of `key`; returns the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let n = self.interner.number_or_new(&key) as usize;
        while self.slots.len() <= n {
            self.slots.push_back(None);
        }
        let old = self.slots.set(n, Some(value));
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let n = self.interner.number(key)? as usize;
        if self.slots.get(n)?.is_none() {
            return None;
        }
        let old = self.slots.set(n, None);
        self.len -= 1;
        old
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The (number, value) pairs, in numbering order.
    fn numbered(&self) -> impl Iterator<Item = (u32, &V)> {
        (0u32..)
            .zip(self.slots.iter())
            .filter_map(|(n, v)| Some((n, v.as_ref()?)))
    }

    /// The keys, in numbering order (not key order).
    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.numbered().map(|(n, _)| self.interner.key(n))
    }

    /// The values, in numbering order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().flatten()
    }

    /// The entries, in numbering order.
    pub fn iter(&self) -> impl Iterator<Item = (K, &V)> {
        self.numbered().map(|(n, v)| (self.interner.key(n), v))
    }
}

/// Equal when they map the same keys to equal values, whatever the numbering
/// (two ledgers folded apart number their keys apart).
impl<K: Hash + Eq + Clone + Ord, V: Clone + PartialEq> PartialEq for IdMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if Arc::ptr_eq(&self.interner.0, &other.interner.0) {
            return self.numbered().eq(other.numbered());
        }
        let sorted = |m: &Self| {
            let mut v: Vec<(K, V)> = m.iter().map(|(k, v)| (k, v.clone())).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        sorted(self) == sorted(other)
    }
}

impl<K: Hash + Eq + Clone + Ord, V: Clone + Eq> Eq for IdMap<K, V> {}

impl<K: Hash + Eq + Clone + std::fmt::Debug, V: Clone + std::fmt::Debug> std::fmt::Debug
    for IdMap<K, V>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{IdMap, Interner};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Any sequence of inserts and removes leaves the same entries as a
        /// `BTreeMap`; a copy taken midway keeps what it had while the other
        /// numbers new keys; two maps numbered apart compare by content.
        #[test]
        fn behaves_like_a_btree_map(
            ops in proptest::collection::vec((any::<bool>(), 0u8..30, any::<u16>()), 0..200),
            order in proptest::collection::vec(0u8..30, 0..30),
        ) {
            let mut ours: IdMap<u8, u16> = IdMap::default();
            let mut model = BTreeMap::new();
            let mut copy = None;
            for (i, (add, k, v)) in ops.iter().enumerate() {
                if i == ops.len() / 2 {
                    copy = Some((ours.clone(), model.clone()));
                }
                if *add {
                    prop_assert_eq!(ours.insert(*k, *v), model.insert(*k, *v));
                } else {
                    prop_assert_eq!(ours.remove(k), model.remove(k));
                }
                prop_assert_eq!(ours.get(k), model.get(k));
                prop_assert_eq!(ours.len(), model.len());
            }
            let mut entries: Vec<(u8, u16)> = ours.iter().map(|(k, v)| (k, *v)).collect();
            entries.sort();
            prop_assert_eq!(&entries, &model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
            if let Some((copy, then)) = copy {
                let mut e: Vec<(u8, u16)> = copy.iter().map(|(k, v)| (k, *v)).collect();
                e.sort();
                prop_assert_eq!(e, then.into_iter().collect::<Vec<_>>());
            }
            // the same entries numbered in another order are equal
            let other_numbering: Interner<u8> = Interner::default();
            for k in &order {
                other_numbering.number_or_new(k);
            }
            let mut other = IdMap::with(&other_numbering);
            for (k, v) in &model {
                other.insert(*k, *v);
            }
            prop_assert!(other == ours);
            if let Some((&k, _)) = model.iter().next() {
                other.insert(k, 0);
                prop_assert_eq!(other == ours, model[&k] == 0);
            }
        }
    }

    #[test]
    fn keys_are_numbered_in_the_order_first_seen() {
        let mut m: IdMap<&str, u8> = IdMap::default();
        m.insert("zeta", 1);
        m.insert("alpha", 2);
        m.remove(&"zeta");
        m.insert("zeta", 3);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["zeta", "alpha"]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [3, 2]);
    }
}
