//! The ledger state of a log prefix: live facts keyed by the `seq` of the event
//! that created them, and indexes from natural ids to those seqs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use imbl::{OrdMap, OrdSet};

use crate::intern::{IdMap, Interner};
use crate::seqs::Seqs;

use grantledger_domain::{Envelope, Event, Kind, YearMonth};
use jiff::Timestamp;
use uuid::Uuid;

use crate::Projection;

/// A live fact: an event's current effective payload (after corrections in
/// the prefix) with the id of the event that stated it. Its seq is its key;
/// the rest of its record (time, actor, stream) is read from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Live {
    /// The original event's id.
    pub event_id: Uuid,
    /// The effective payload (the latest replacement, if corrected).
    pub event: Event,
}

// A decoded fact (reference data, and any fact read back) is a `Live`
// behind a [`FactArc`] (8 bytes of count): at most 88 bytes keeps the pair
// in the allocator's 96-byte class instead of the 112- or 128-byte one (std's
// `Arc` adds 16, a weak count the facts never use). The corrections of a
// fact are kept apart (`Ledger::corrected`), the record time is left in the
// log, and the rare large payloads (and the 72-byte timesheet) are boxed in
// `Event`, for this.
const _: () = assert!(std::mem::size_of::<Live>() <= 88);

/// A live fact shared by the ledgers that hold it (a snapshot, the head,
/// the history's staff sub-ledger): `triomphe`'s `Arc`, one count and no
/// weak references.
pub(crate) type FactArc = triomphe::Arc<Live>;

/// A live fact as a ledger keeps it: the facts of the kinds a log holds by
/// the hundred thousand (registrations, enrolments, attendance, exits,
/// internships, timesheets, expenses, payments) encoded, the reference data
/// (project, courses, runs, sessions, staff, …) decoded, for the queries
/// that borrow it.
///
/// An encoded fact is one allocation: a count, the length, then the kind's
/// number ([`Kind::number`]), the event id's 16 bytes and the payload in
/// the log's codec ([`Event::encode`], current schema version). An
/// attendance takes 80 bytes so, a decoded one 112 (its [`Live`] and its
/// sheet reference); an expense about 320 instead of 520 (≈ 60 MB less at
/// 10^6 events, docs/PERFORMANCE.md). Read, it is decoded again (≈ 0.1–1
/// µs); a registration whose personal data is not sealed does not encode
/// and is kept decoded.
#[derive(Clone, Debug)]
pub(crate) enum Fact {
    Decoded(FactArc),
    Encoded(Encoded),
}

/// An encoded fact (see [`Fact`]): one pointer.
pub(crate) type Encoded = triomphe::ThinArc<(), u8>;

/// A fact as a ledger holds it, borrowed (see [`Facts`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FactRef<'a> {
    Decoded(&'a FactArc),
    Encoded(&'a Encoded),
}

/// Whether facts of `kind` are kept encoded (see [`Fact`]).
fn kept_encoded(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ParticipantRegistered
            | Kind::ParticipantEnrolled
            | Kind::AttendanceRecorded
            | Kind::InternshipCompleted
            | Kind::ParticipantExited
            | Kind::TimesheetFiled
            | Kind::ExpenseRecorded
            | Kind::ExpensePaid
    )
}

thread_local! {
    /// The buffer facts are encoded in before they are copied into their
    /// allocation (one buffer per thread, not one per fact).
    static ENCODING: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A record's fact as the ledger keeps it (encoded, see [`Fact`]), built
/// from the record's stored payload instead of encoding its decoded event
/// again: a replay's reading thread builds it beside the envelope, so the
/// fold does not encode (≈ a fifth of its time), and an append builds it
/// from the payload it has just encoded for the store.
/// [`Ledger::apply_prepared`] takes it.
#[derive(Clone, Debug)]
pub struct PreparedFact(Encoded);

impl PreparedFact {
    /// The fact of the record with `event_id` whose event of `kind` is
    /// stored as `payload` at `kind`'s current schema version (the bytes
    /// [`Event::encode`] gives, which are the record's payload); `None` for
    /// a kind kept decoded, or a payload of an older schema version (its
    /// event is upcast, and encoded again when applied).
    pub fn of_payload(
        kind: Kind,
        schema_version: u16,
        event_id: Uuid,
        payload: &[u8],
    ) -> Option<PreparedFact> {
        if !kept_encoded(kind) || schema_version != kind.schema_version() {
            return None;
        }
        Some(PreparedFact(ENCODING.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            buf.push(kind.number());
            buf.extend_from_slice(event_id.as_bytes());
            buf.extend_from_slice(payload);
            triomphe::ThinArc::from_header_and_slice((), &buf)
        })))
    }

    /// [`PreparedFact::of_payload`] of a stored record, whose kind is text
    /// (`None` too for a kind this code does not know).
    pub fn of_stored(
        kind: &str,
        schema_version: u16,
        event_id: Uuid,
        payload: &[u8],
    ) -> Option<PreparedFact> {
        let kind = kind.parse::<Kind>().ok()?;
        PreparedFact::of_payload(kind, schema_version, event_id, payload)
    }
}

impl Fact {
    /// The fact of `event` with id `event_id`, as kept: encoded when its
    /// kind is (and it encodes: a registration whose personal data is not
    /// sealed yet stays decoded). A borrowed event is encoded, not copied.
    pub(crate) fn new(event_id: Uuid, event: Cow<'_, Event>) -> Fact {
        let kind = event.kind();
        let encoded = kept_encoded(kind)
            .then(|| {
                ENCODING.with(|buf| {
                    let mut buf = buf.borrow_mut();
                    buf.clear();
                    buf.push(kind.number());
                    buf.extend_from_slice(event_id.as_bytes());
                    event
                        .encode_to(&mut buf)
                        .ok()
                        .map(|()| triomphe::ThinArc::from_header_and_slice((), &buf))
                })
            })
            .flatten();
        match encoded {
            Some(bytes) => Fact::Encoded(bytes),
            None => Fact::Decoded(FactArc::new(Live {
                event_id,
                event: event.into_owned(),
            })),
        }
    }

    /// The fact, borrowed.
    pub(crate) fn as_ref(&self) -> FactRef<'_> {
        match self {
            Fact::Decoded(l) => FactRef::Decoded(l),
            Fact::Encoded(b) => FactRef::Encoded(b),
        }
    }

    /// The fact, owned (decoded, or the `Live` itself when no other ledger
    /// shares it).
    pub(crate) fn into_live(self) -> Live {
        match self {
            Fact::Decoded(l) => FactArc::unwrap_or_clone(l),
            encoded => encoded.as_ref().live().into_owned(),
        }
    }

    /// Whether `a` and `b` are one fact (not two equal ones).
    #[cfg(test)]
    pub(crate) fn ptr_eq(a: &Fact, b: &Fact) -> bool {
        match (a, b) {
            (Fact::Decoded(a), Fact::Decoded(b)) => FactArc::ptr_eq(a, b),
            (Fact::Encoded(a), Fact::Encoded(b)) => {
                std::ptr::eq(a.slice.as_ptr(), b.slice.as_ptr())
            }
            _ => false,
        }
    }
}

impl<'a> FactRef<'a> {
    /// The fact, borrowed when decoded.
    ///
    /// # Panics
    /// If an encoded fact does not decode: it was encoded by [`Fact::new`]
    /// in this process, so that is a bug, not bad input.
    pub(crate) fn live(self) -> Cow<'a, Live> {
        match self {
            FactRef::Decoded(l) => Cow::Borrowed(l),
            FactRef::Encoded(b) => {
                let (kind, id, payload) = parts(&b.slice);
                let event = Event::decode_current(kind, payload)
                    .expect("a fact encoded in this process decodes");
                Cow::Owned(Live {
                    event_id: id,
                    event,
                })
            }
        }
    }

    /// The fact when it is kept decoded (reference data; see [`Fact`]).
    pub(crate) fn decoded(self) -> Option<&'a Live> {
        match self {
            FactRef::Decoded(l) => Some(l),
            FactRef::Encoded(_) => None,
        }
    }

    /// Its event id (without decoding).
    pub(crate) fn event_id(self) -> Uuid {
        match self {
            FactRef::Decoded(l) => l.event_id,
            FactRef::Encoded(b) => parts(&b.slice).1,
        }
    }

    /// Its kind (without decoding).
    pub(crate) fn kind(self) -> Kind {
        match self {
            FactRef::Decoded(l) => l.event.kind(),
            FactRef::Encoded(b) => parts(&b.slice).0,
        }
    }

    /// The fact itself, for another ledger to hold (a count more).
    pub(crate) fn to_fact(self) -> Fact {
        match self {
            FactRef::Decoded(l) => Fact::Decoded(FactArc::clone(l)),
            FactRef::Encoded(b) => Fact::Encoded(b.clone()),
        }
    }
}

/// An encoded fact's kind, event id and payload.
fn parts(bytes: &[u8]) -> (Kind, Uuid, &[u8]) {
    let kind = Kind::from_number(bytes[0]).expect("a kind number written by Fact::new");
    let id = Uuid::from_slice(&bytes[1..17]).expect("16 bytes of event id");
    (kind, id, &bytes[17..])
}

/// The state of a log prefix. Build it with [`Projection::apply`] (or
/// [`crate::replay`]); query it with the measure methods at any `as_of`.
///
/// Its maps are persistent (`imbl`), so a clone is O(1) and shares them;
/// an `apply` to either copy then copies only the tree paths it touches (a
/// scratch copy for a batch, or a snapshot of the head kept while the head
/// moves on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub(crate) at_seq: u64,
    pub(crate) head_hash: [u8; 32],
    pub(crate) head_recorded_at: Option<Timestamp>,
    pub(crate) live: Facts,
    /// Every event id in the prefix (facts, corrections and voids) → its
    /// seq; see [`EventIds`].
    pub(crate) ids: EventIds,
    /// Target seq → (the void's seq, the voided event's id).
    pub(crate) voided: OrdMap<u64, (u64, Uuid)>,
    /// Correction / void seq → (its event id, the event); they are not facts.
    pub(crate) amendment_events: OrdMap<u64, (Uuid, Event)>,
    /// A live fact's seq → the seqs of the corrections that replaced its
    /// payload, in order; only for corrected facts (under one in a hundred),
    /// instead of an empty list in every [`Live`].
    pub(crate) corrected: OrdMap<u64, Seqs>,
    pub(crate) ix: Index,
    /// Derived dates of the measures (crossing dates, held dates, findings),
    /// brought up to date by the next query.
    pub(crate) derived: crate::derived::Derived,
}

/// Event id → seq, shared by a ledger and every copy of it (clones,
/// snapshots, scratch copies for a batch) instead of a persistent map per
/// copy.
///
/// A persistent map keyed by random ids cost a third of the fold (each insert
/// copies a path to a random leaf) and, in every snapshot, a copy of most
/// leaves. This map only grows: an id is noted with every seq it was folded
/// at in any copy, and a lookup keeps a candidate seq only if it is in the
/// prefix (≤ `at_seq`) and the prefix's own record there (its live fact, its
/// correction or void, or the voided fact) carries that id. So an answer
/// never depends on what another copy folded, whatever diverged (a refused
/// batch, an older prefix).
///
/// Over a store ([`Ledger::over_stored_ids`]) the store's own id index gives
/// the candidate of every stored record, and this map keeps only the ids
/// folded above the store's head (a batch being admitted, appends not yet
/// durable) until the store has them: the same answers without a second
/// map of every id (≈ 50 MB at 10^6 records, ADR 0004).
#[derive(Clone, Default)]
pub(crate) struct EventIds {
    own: Arc<RwLock<IdSeqs>>,
    stored: Option<Arc<Stored>>,
}

/// The store's id index, as [`EventIds`] consults it.
struct Stored {
    ids: Arc<dyn StoredIds>,
    /// The highest `stored_through` seen: records at or below it are noted
    /// by the store, not here.
    through: AtomicU64,
    /// The size of the own map at which its ids already stored are dropped.
    prune_at: AtomicUsize,
}

/// The smallest own map [`EventIds`] prunes (ids, over a store).
const PRUNE_FROM: usize = 1024;

/// A store's index of the event ids it holds, which a ledger can consult
/// ([`Ledger::over_stored_ids`]) instead of keeping every id itself.
///
/// Contract: every record a ledger over this index folds at a seq
/// `≤ stored_through()` is the stored record at that seq (the ledger reads it
/// from the store); a record folded above it may be anything (a batch being
/// admitted, later refused).
pub trait StoredIds: Send + Sync {
    /// The seq of the stored record with event id `id`, if any (among the
    /// records up to [`StoredIds::stored_through`]).
    fn seq_of(&self, id: &Uuid) -> Option<u64>;
    /// The seq up to which every record is stored and indexed (the durable
    /// head; 0 for an empty store). Never decreases.
    fn stored_through(&self) -> u64;
}

/// foldhash: a fast hash seeded per process (ids come from clients, so the
/// seed keeps collisions unpredictable), instead of SipHash.
type IdHasher = foldhash::fast::RandomState;

#[derive(Default)]
struct IdSeqs {
    /// The first seq an id was noted at (nearly every id has one).
    first: HashMap<Uuid, u64, IdHasher>,
    /// Further seqs of an id folded at another seq by a diverging copy.
    more: HashMap<Uuid, Vec<u64>, IdHasher>,
}

impl IdSeqs {
    /// Notes `seq` for `id` (once per pair).
    fn note(&mut self, id: Uuid, seq: u64) {
        match self.first.get(&id) {
            None => {
                self.first.insert(id, seq);
            }
            Some(&s) if s == seq => {}
            Some(_) => {
                let seqs = self.more.entry(id).or_default();
                if !seqs.contains(&seq) {
                    seqs.push(seq);
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.first.len() + self.more.values().map(Vec::len).sum::<usize>()
    }

    /// Drops every (id, seq) pair that `redundant` says another source
    /// already gives.
    fn retain(&mut self, redundant: impl Fn(&Uuid, u64) -> bool) {
        let pairs: Vec<(Uuid, u64)> = self
            .first
            .iter()
            .map(|(id, s)| (*id, *s))
            .chain(
                self.more
                    .iter()
                    .flat_map(|(id, seqs)| seqs.iter().map(move |s| (*id, *s))),
            )
            .filter(|(id, s)| !redundant(id, *s))
            .collect();
        *self = IdSeqs::default();
        for (id, seq) in pairs {
            self.note(id, seq);
        }
    }
}

impl EventIds {
    /// Notes that `id` was folded at `seq` (once per pair); over a store,
    /// only when the store does not hold that record yet.
    fn note(&self, id: Uuid, seq: u64) {
        if let Some(stored) = &self.stored {
            if seq <= stored.through.load(Ordering::Acquire) {
                return;
            }
            let through = stored.ids.stored_through();
            stored.through.fetch_max(through, Ordering::AcqRel);
            if seq <= through {
                return;
            }
        }
        let mut ids = self.own.write().unwrap_or_else(PoisonError::into_inner);
        ids.note(id, seq);
        if let Some(stored) = &self.stored {
            if ids.first.len() >= stored.prune_at.load(Ordering::Acquire) {
                // what the store now holds at the same seq, it answers itself
                ids.retain(|id, seq| stored.ids.seq_of(id) == Some(seq));
                let next = (2 * ids.len()).max(PRUNE_FROM);
                stored.prune_at.store(next, Ordering::Release);
            }
        }
    }

    /// Makes room for `n` more ids at once (a fold that knows how many
    /// records follow), instead of growing the table step by step; nothing
    /// over a store, which holds them.
    fn reserve(&self, n: usize) {
        if self.stored.is_none() {
            let mut ids = self.own.write().unwrap_or_else(PoisonError::into_inner);
            ids.first.reserve(n);
        }
    }

    /// The largest seq `id` was noted at, by any copy or by the store, that
    /// `keep` accepts (looked up under the read lock, without collecting the
    /// candidates).
    fn find(&self, id: &Uuid, keep: impl Fn(u64) -> bool) -> Option<u64> {
        let in_store = self.stored.as_ref().and_then(|s| s.ids.seq_of(id));
        let ids = self.own.read().unwrap_or_else(PoisonError::into_inner);
        let more = ids.more.get(id).map_or(&[][..], Vec::as_slice);
        ids.first
            .get(id)
            .into_iter()
            .chain(more)
            .copied()
            .chain(in_store)
            .filter(|&seq| keep(seq))
            .max()
    }

    /// How many (id, seq) pairs this map holds itself.
    #[cfg(test)]
    pub(crate) fn own_len(&self) -> usize {
        self.own
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl std::fmt::Debug for EventIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids = self.own.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("EventIds")
            .field("noted", &ids.first.len())
            .field("over_store", &self.stored.is_some())
            .finish()
    }
}

/// Equal always: a ledger's answers to `seq_of` are fixed by its facts,
/// amendments and voids (a candidate is kept only if they carry the id), which
/// the ledger's equality compares.
impl PartialEq for EventIds {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for EventIds {}

/// The live facts by seq. The encoded ones (the bulk, see [`Fact`]) in a
/// persistent vector with one slot per seq from the first one's on (`None`
/// for corrections, voids, voided facts and decoded facts): one pointer a
/// seq, shared by copies chunk by chunk. Seqs come from the store's
/// gap-free counter and are applied in order, so appending is the common
/// case; it is cheaper than a persistent map keyed by seq, and a clone shares
/// every chunk (a write copies only the chunk it touches). The decoded ones
/// (reference data, under one in ten) in a persistent map by seq.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    /// The seq of slot 0.
    first: u64,
    slots: imbl::Vector<Option<Encoded>>,
    decoded: OrdMap<u64, FactArc>,
}

impl Facts {
    fn slot(&self, seq: u64) -> Option<usize> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        (i < self.slots.len()).then_some(i)
    }

    /// The fact at `seq` as kept.
    pub(crate) fn fact(&self, seq: u64) -> Option<FactRef<'_>> {
        if let Some(Some(e)) = self.slot(seq).and_then(|i| self.slots.get(i)) {
            return Some(FactRef::Encoded(e));
        }
        self.decoded.get(&seq).map(FactRef::Decoded)
    }

    /// The fact at `seq` (decoded if it is kept encoded).
    pub(crate) fn get(&self, seq: &u64) -> Option<Cow<'_, Live>> {
        self.fact(*seq).map(FactRef::live)
    }

    pub(crate) fn remove(&mut self, seq: &u64) -> Option<Live> {
        if let Some(l) = self.decoded.remove(seq) {
            return Some(FactArc::unwrap_or_clone(l));
        }
        let i = self.slot(*seq)?;
        self.slots
            .get_mut(i)?
            .take()
            .map(|e| Fact::Encoded(e).into_live())
    }

    /// Puts `fact` at `seq` in place of the fact there (a correction's).
    pub(crate) fn replace(&mut self, seq: u64, fact: Fact) {
        // a fact changes form only if a correction's replacement encodes
        // where its target did not, or the other way round; the checks
        // first keep a shared chunk or path uncopied
        match &fact {
            Fact::Decoded(_) => {
                if let Some(i) = self.slot(seq).filter(|&i| self.slots[i].is_some()) {
                    self.slots.set(i, None);
                }
            }
            Fact::Encoded(_) => {
                if self.decoded.contains_key(&seq) {
                    self.decoded.remove(&seq);
                }
            }
        }
        self.insert(seq, fact);
    }

    /// Puts `fact` at `seq`, where no fact is.
    pub(crate) fn insert(&mut self, seq: u64, fact: Fact) {
        match fact {
            Fact::Decoded(l) => {
                self.decoded.insert(seq, l);
            }
            Fact::Encoded(e) => {
                if self.slots.is_empty() {
                    self.first = seq;
                }
                while seq < self.first {
                    self.slots.push_front(None);
                    self.first -= 1;
                }
                let i = usize::try_from(seq - self.first).expect("seq fits in memory");
                while self.slots.len() <= i {
                    self.slots.push_back(None);
                }
                self.slots.set(i, Some(e));
            }
        }
    }

    /// The live facts in seq order (both kinds merged: for the rare pass
    /// over every fact).
    pub(crate) fn values(&self) -> impl Iterator<Item = Cow<'_, Live>> {
        self.iter().map(|(_, l)| l)
    }

    fn iter(&self) -> impl Iterator<Item = (u64, Cow<'_, Live>)> {
        let mut encoded = (self.first..)
            .zip(self.slots.iter())
            .filter_map(|(seq, e)| Some((seq, FactRef::Encoded(e.as_ref()?))))
            .peekable();
        let mut decoded = self
            .decoded
            .iter()
            .map(|(seq, l)| (*seq, FactRef::Decoded(l)))
            .peekable();
        std::iter::from_fn(move || {
            let next = match (encoded.peek(), decoded.peek()) {
                (Some((a, _)), Some((b, _))) if a < b => encoded.next(),
                (Some(_), None) => encoded.next(),
                _ => decoded.next(),
            };
            next.map(|(seq, f)| (seq, f.live()))
        })
    }
}

impl PartialEq for Facts {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Facts {}

/// A short id as a map key: inline up to 24 bytes (no heap allocation, and
/// a B-tree compares keys without following a pointer).
pub(crate) type Key = compact_str::CompactString;

/// Natural ids → seq of the live event that carries them.
///
/// The maps keyed by participant or expense id (random UUIDs), run or
/// session id are [`IdMap`]s numbering the ids as first seen (one numbering
/// for each kind, and one for enrolments), so that a snapshot and the head
/// that moves on share most of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    pub project: Option<u64>,
    pub organizations: OrdMap<Key, u64>,
    pub courses: OrdMap<Key, u64>,
    pub runs: IdMap<Key, u64>,
    pub runs_by_course: OrdMap<Key, Seqs>,
    pub sessions: IdMap<Key, u64>,
    pub sessions_by_run: IdMap<Key, Seqs>,
    pub seminars: OrdMap<Key, u64>,
    pub workshops: OrdMap<Key, u64>,
    pub conferences: OrdMap<Key, u64>,
    pub participants: IdMap<Uuid, u64>,
    pub enrolments: IdMap<(Uuid, Key), u64>,
    pub attendance_by_participant: IdMap<Uuid, Seqs>,
    /// Session id (live or not) → seqs of the attendances naming it.
    pub attendance_by_session: IdMap<Key, Seqs>,
    pub internships_by_participant: IdMap<Uuid, Seqs>,
    pub exits: IdMap<Uuid, u64>,
    pub erased: OrdMap<Uuid, u64>,
    pub staff: OrdMap<Key, u64>,
    /// Role → seqs of the live contracts with it (an FTE indicator names
    /// one role: its figure reads those contracts, not every one).
    pub staff_by_role: OrdMap<Key, Seqs>,
    pub amendments_by_staff: OrdMap<Key, Seqs>,
    pub timesheets: OrdMap<(Key, YearMonth), u64>,
    pub expenses: IdMap<Uuid, u64>,
    pub payments_by_expense: IdMap<Uuid, Seqs>,
    pub reports: OrdMap<u32, Seqs>,
    pub rule_sets: OrdSet<u64>,
}

impl Default for Index {
    fn default() -> Self {
        let participants = Interner::default();
        let expenses = Interner::default();
        let runs = Interner::default();
        let sessions = Interner::default();
        Index {
            project: None,
            organizations: OrdMap::new(),
            courses: OrdMap::new(),
            runs: IdMap::with(&runs),
            runs_by_course: OrdMap::new(),
            sessions: IdMap::with(&sessions),
            sessions_by_run: IdMap::with(&runs),
            seminars: OrdMap::new(),
            workshops: OrdMap::new(),
            conferences: OrdMap::new(),
            participants: IdMap::with(&participants),
            enrolments: IdMap::default(),
            attendance_by_participant: IdMap::with(&participants),
            attendance_by_session: IdMap::with(&sessions),
            internships_by_participant: IdMap::with(&participants),
            exits: IdMap::with(&participants),
            erased: OrdMap::new(),
            staff: OrdMap::new(),
            staff_by_role: OrdMap::new(),
            amendments_by_staff: OrdMap::new(),
            timesheets: OrdMap::new(),
            expenses: IdMap::with(&expenses),
            payments_by_expense: IdMap::with(&expenses),
            reports: OrdMap::new(),
            rule_sets: OrdSet::new(),
        }
    }
}

/// What [`put`] and [`member`] need of a map: `imbl::OrdMap` and [`IdMap`].
trait SeqMap<K, V> {
    fn get(&self, key: &K) -> Option<&V>;
    fn get_mut(&mut self, key: &K) -> Option<&mut V>;
    fn insert(&mut self, key: K, value: V);
    fn remove(&mut self, key: &K);
}

impl<K: Ord + Clone, V: Clone> SeqMap<K, V> for OrdMap<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        OrdMap::get(self, key)
    }
    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        OrdMap::get_mut(self, key)
    }
    fn insert(&mut self, key: K, value: V) {
        OrdMap::insert(self, key, value);
    }
    fn remove(&mut self, key: &K) {
        OrdMap::remove(self, key);
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> SeqMap<K, V> for IdMap<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        IdMap::get(self, key)
    }
    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        IdMap::get_mut(self, key)
    }
    fn insert(&mut self, key: K, value: V) {
        IdMap::insert(self, key, value);
    }
    fn remove(&mut self, key: &K) {
        IdMap::remove(self, key);
    }
}

fn put<K>(map: &mut impl SeqMap<K, u64>, key: K, seq: u64, add: bool) {
    if add {
        map.insert(key, seq);
    } else if map.get(&key) == Some(&seq) {
        map.remove(&key);
    }
}

fn member<K>(map: &mut impl SeqMap<K, Seqs>, key: K, seq: u64, add: bool) {
    if add {
        // not `entry`: an imbl entry looks the key up two or three times
        if let Some(set) = map.get_mut(&key) {
            set.insert(seq);
        } else {
            map.insert(key, Seqs::unit(seq));
        }
    } else if let Some(set) = map.get_mut(&key) {
        set.remove(&seq);
        if set.is_empty() {
            map.remove(&key);
        }
    }
}

impl Index {
    /// Adds (`add`) or removes the natural keys of `event` at `seq`. The one
    /// place that knows which kind is indexed how; removal is the exact inverse.
    fn index(&mut self, seq: u64, event: &Event, add: bool) {
        let s = |id: &grantledger_domain::ShortId| id.as_compact().clone();
        match event {
            Event::ProjectDefined(_) => {
                if add {
                    self.project = Some(seq);
                } else if self.project == Some(seq) {
                    self.project = None;
                }
            }
            Event::OrganizationJoined(e) => {
                put(&mut self.organizations, s(&e.organization_id), seq, add)
            }
            Event::CourseDefined(e) => put(&mut self.courses, s(&e.course_id), seq, add),
            Event::CourseRunScheduled(e) => {
                put(&mut self.runs, s(&e.run_id), seq, add);
                member(&mut self.runs_by_course, s(&e.course_id), seq, add);
            }
            Event::SessionHeld(e) => {
                put(&mut self.sessions, s(&e.session_id), seq, add);
                member(&mut self.sessions_by_run, s(&e.run_id), seq, add);
            }
            Event::SeminarHeld(e) => put(&mut self.seminars, s(&e.seminar_id), seq, add),
            Event::WorkshopHeld(e) => put(&mut self.workshops, s(&e.workshop_id), seq, add),
            Event::ConferenceHeld(e) => put(&mut self.conferences, s(&e.conference_id), seq, add),
            Event::ParticipantRegistered(e) => {
                put(&mut self.participants, e.participant_id, seq, add)
            }
            Event::ParticipantEnrolled(e) => put(
                &mut self.enrolments,
                (e.participant_id, s(&e.run_id)),
                seq,
                add,
            ),
            Event::AttendanceRecorded(e) => {
                member(
                    &mut self.attendance_by_participant,
                    e.participant_id,
                    seq,
                    add,
                );
                member(&mut self.attendance_by_session, s(&e.session_id), seq, add);
            }
            Event::InternshipCompleted(e) => member(
                &mut self.internships_by_participant,
                e.participant_id,
                seq,
                add,
            ),
            Event::ParticipantExited(e) => put(&mut self.exits, e.participant_id, seq, add),
            Event::PersonalDataErased(e) => put(&mut self.erased, e.participant_id, seq, add),
            Event::StaffContracted(e) => {
                put(&mut self.staff, s(&e.staff_id), seq, add);
                member(&mut self.staff_by_role, s(&e.role), seq, add);
            }
            Event::StaffContractAmended(e) => {
                member(&mut self.amendments_by_staff, s(&e.staff_id), seq, add)
            }
            Event::TimesheetFiled(e) => {
                put(&mut self.timesheets, (s(&e.staff_id), e.month), seq, add)
            }
            Event::ExpenseRecorded(e) => put(&mut self.expenses, e.expense_id, seq, add),
            Event::ExpensePaid(e) => member(&mut self.payments_by_expense, e.expense_id, seq, add),
            Event::ReportSubmitted(e) => member(&mut self.reports, e.period_no, seq, add),
            Event::RuleSetAdopted(_) => {
                if add {
                    self.rule_sets.insert(seq);
                } else {
                    self.rule_sets.remove(&seq);
                }
            }
            Event::EventCorrected(_) | Event::EventVoided(_) => {}
        }
    }
}

impl Projection for Ledger {
    fn apply(&mut self, env: &Envelope) {
        self.apply_envelope(env, None);
    }
}

impl Ledger {
    /// [`Projection::apply`], with the fact prepared from the record's
    /// payload when given ([`Ledger::apply_prepared`]).
    fn apply_envelope(&mut self, env: &Envelope, prepared: Option<PreparedFact>) {
        self.apply_record_prepared(Stamp::of(env), Cow::Borrowed(&env.event), prepared);
        if self.derived.get_mut().history_mut().is_some() {
            // an attendance dated on or after its participant's crossing
            // date cannot move it (R1.3): the participant's counts stay
            let on = match &env.event {
                Event::AttendanceRecorded(a) => {
                    self.ix.sessions.get(a.session_id.as_str()).and_then(|s| {
                        match self.decoded(*s) {
                            Some(Event::SessionHeld(x)) => {
                                Some((a.participant_id, x.date, a.hours.min(x.hours)))
                            }
                            _ => None,
                        }
                    })
                }
                _ => None,
            };
            let threshold = self.project().map(|p| p.support_threshold_hours);
            let cache = self.derived.get_mut();
            if let Some((id, date, hours)) = on {
                cache.defer_attendance(&id, date, hours, threshold);
            }
            if let Some(h) = cache.history_mut() {
                h.apply_staff(env, &self.live);
            }
            // the counts must change at this record's seq: refresh now (the
            // parts the indicators count; the rest waits for a query)
            let this: &Ledger = self;
            this.derived.refresh_counts(this);
        }
    }
}

impl Ledger {
    /// A ledger that keeps the history of its derived dates as it folds
    /// (crate::history), so that [`Ledger::indicator_values_at`] answers any
    /// older prefix without a fold. Each record then costs a refresh of what
    /// it touches (a participant, a run …) instead of waiting for a query.
    pub fn with_history() -> Ledger {
        let mut l = Ledger::default();
        l.derived.get_mut().start_history();
        l
    }

    /// This ledger, consulting the store's index of event ids (see
    /// [`StoredIds`]) instead of keeping every id it folds: ≈ 50 bytes less
    /// per record, the same answers. Every copy made of it afterwards shares
    /// the index. The ids it already noted are kept.
    pub fn over_stored_ids(mut self, ids: Arc<dyn StoredIds>) -> Ledger {
        let through = ids.stored_through();
        self.ids.stored = Some(Arc::new(Stored {
            ids,
            through: AtomicU64::new(through),
            prune_at: AtomicUsize::new(PRUNE_FROM),
        }));
        self
    }

    /// Whether this ledger keeps the history of its derived dates.
    pub fn tracks_history(&self) -> bool {
        self.derived.has_history()
    }

    /// Stops keeping the history (a copy of the head folded on to an older
    /// prefix does not need it); its memory is freed when no copy shares it.
    pub fn drop_history(&mut self) {
        self.derived.get_mut().stop_history();
    }

    /// [`Projection::apply`] taking the envelope by value: without the
    /// history (a replay, an import, an older prefix) its event moves into
    /// the live facts instead of being copied there. Same state as `apply`.
    pub fn apply_owned(&mut self, env: Envelope) {
        self.apply_prepared(env, None);
    }

    /// [`Ledger::apply_owned`] with the record's fact already encoded from
    /// its stored payload ([`PreparedFact::of_payload`] of the same record;
    /// `None`: encoded here, as `apply_owned` does). The same state either
    /// way: the fact is the encoding of the event, which is what the record
    /// stores. The ledger reads only the envelope's seq, event id, record
    /// time, hash and event, never its stream or actor.
    pub fn apply_prepared(&mut self, env: Envelope, fact: Option<PreparedFact>) {
        if self.derived.get_mut().history_mut().is_some() {
            self.apply_envelope(&env, fact);
            return;
        }
        let stamp = Stamp::of(&env);
        self.apply_record_prepared(stamp, Cow::Owned(env.event), fact);
    }

    /// Moves the prefix on to the record stamped `stamp`.
    fn stamp(&mut self, stamp: Stamp) {
        self.at_seq = stamp.seq;
        self.head_hash = stamp.hash;
        self.head_recorded_at = Some(stamp.recorded_at);
        self.ids.note(stamp.event_id, stamp.seq);
    }

    /// Folds in a record whose event is a fact already built by another
    /// ledger that folded the same record (the staff sub-ledger of the
    /// history shares the head's): the same state as
    /// [`Ledger::apply_record`] with a copy of its event.
    pub(crate) fn apply_fact(&mut self, stamp: Stamp, fact: Fact) {
        self.stamp(stamp);
        {
            let live = fact.as_ref().live();
            self.ix.index(stamp.seq, &live.event, true);
            self.derived.touch(&live.event);
        }
        self.live.insert(stamp.seq, fact);
    }

    pub(crate) fn apply_record(&mut self, stamp: Stamp, event: Cow<'_, Event>) {
        self.apply_record_prepared(stamp, event, None);
    }

    /// [`Ledger::apply_record`] with the fact, when prepared, from the
    /// record's payload ([`Ledger::apply_prepared`]).
    fn apply_record_prepared(
        &mut self,
        stamp: Stamp,
        event: Cow<'_, Event>,
        prepared: Option<PreparedFact>,
    ) {
        self.stamp(stamp);
        let Stamp { seq, event_id, .. } = stamp;
        match &*event {
            Event::EventCorrected(c) => {
                let (target_id, replacement) = (c.target_event_id, (*c.replacement).clone());
                self.amendment_events
                    .insert(seq, (event_id, event.into_owned()));
                let Some(target) = self.seq_of(&target_id) else {
                    return;
                };
                if let Some(old) = self.live.get(&target).map(Cow::into_owned) {
                    self.ix.index(target, &old.event, false);
                    self.derived.touch(&old.event);
                    match self.corrected.get_mut(&target) {
                        Some(seqs) => {
                            seqs.insert(seq);
                        }
                        None => {
                            self.corrected.insert(target, Seqs::unit(seq));
                        }
                    }
                    self.ix.index(target, &replacement, true);
                    self.derived.touch(&replacement);
                    let fact = Fact::new(old.event_id, Cow::Owned(replacement));
                    self.live.replace(target, fact);
                }
            }
            Event::EventVoided(v) => {
                let target_id = v.target_event_id;
                self.amendment_events
                    .insert(seq, (event_id, event.into_owned()));
                let Some(target) = self.seq_of(&target_id) else {
                    return;
                };
                if let Some(live) = self.live.remove(&target) {
                    self.corrected.remove(&target);
                    self.ix.index(target, &live.event, false);
                    self.derived.touch(&live.event);
                    self.voided.insert(target, (seq, live.event_id));
                }
            }
            _ => {
                self.ix.index(seq, &event, true);
                self.derived.touch(&event);
                let fact = match prepared {
                    Some(PreparedFact(encoded)) => Fact::Encoded(encoded),
                    None => Fact::new(event_id, event),
                };
                self.live.insert(seq, fact);
            }
        }
    }
}

/// What the ledger keeps of a record besides its event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp {
    pub seq: u64,
    event_id: Uuid,
    recorded_at: Timestamp,
    hash: [u8; 32],
}

impl Stamp {
    pub(crate) fn of(env: &Envelope) -> Stamp {
        Stamp {
            seq: env.seq,
            event_id: env.event_id,
            recorded_at: env.recorded_at,
            hash: env.hash,
        }
    }
}

impl Ledger {
    /// The last `seq` folded in (0 for an empty prefix).
    pub fn at_seq(&self) -> u64 {
        self.at_seq
    }

    /// The chain hash of the record at [`Ledger::at_seq`] (zeros when empty).
    pub fn head_hash(&self) -> [u8; 32] {
        self.head_hash
    }

    /// Sets the chain hash of the record at [`Ledger::at_seq`], for a caller
    /// that applied envelopes before the store computed their hashes (a
    /// batch admitted in place: every other envelope field is known before
    /// the write). Only the head's hash is kept, so only it needs setting.
    pub fn set_head_hash(&mut self, hash: [u8; 32]) {
        self.head_hash = hash;
    }

    /// The `recorded_at` of the record at [`Ledger::at_seq`] (`None` when empty).
    pub fn head_recorded_at(&self) -> Option<Timestamp> {
        self.head_recorded_at
    }

    /// The live fact created by the event at `seq`, if it is live in this
    /// prefix (decoded when the ledger keeps it encoded, see [`Fact`]).
    pub fn live(&self, seq: u64) -> Option<Cow<'_, Live>> {
        self.live.get(&seq)
    }

    /// The seqs of the corrections that replaced the payload of the live
    /// fact at `seq`, in order (empty when it was never corrected or is not
    /// live in this prefix).
    pub fn corrected_by(&self, seq: u64) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.corrected.get(&seq).into_iter().flatten()
    }

    /// `seqs` with the seqs of the corrections that replaced each of them
    /// (the evidence of a figure is the fact and what corrected it), sorted.
    pub fn with_corrections(&self, seqs: &[u64]) -> Vec<u64> {
        let mut out: Vec<u64> = seqs.to_vec();
        self.add_corrections(&mut out);
        out
    }

    /// [`Ledger::with_corrections`] in place: adds to `seqs` the seqs of the
    /// corrections that replaced each of them, then sorts them (no copy of
    /// a figure's evidence, 10^5 seqs and more for the supported persons;
    /// the vector is trimmed to its length when corrections were added).
    pub fn add_corrections(&self, seqs: &mut Vec<u64>) {
        let len = seqs.len();
        for i in 0..len {
            let s = seqs[i];
            seqs.extend(self.corrected_by(s));
        }
        seqs.sort_unstable();
        seqs.dedup();
        if seqs.len() > len {
            seqs.shrink_to_fit();
        }
    }

    /// Makes room for `records` more records in the map of event ids, for a
    /// fold that knows how many follow (a replay, the fold at start-up).
    /// Only a speed hint: the state and every answer are the same without it.
    pub fn reserve(&self, records: u64) {
        self.ids
            .reserve(usize::try_from(records).unwrap_or(usize::MAX).min(1 << 30));
    }

    /// The seq of an event id in this prefix (facts, corrections and voids).
    pub fn seq_of(&self, event_id: &Uuid) -> Option<u64> {
        self.ids.find(event_id, |seq| {
            seq <= self.at_seq && self.event_id_at(seq) == Some(*event_id)
        })
    }

    /// The id of the event recorded at `seq` in this prefix: a live fact's,
    /// a correction's or void's, or a voided fact's.
    fn event_id_at(&self, seq: u64) -> Option<Uuid> {
        if let Some(f) = self.live.fact(seq) {
            return Some(f.event_id());
        }
        if let Some((id, _)) = self.amendment_events.get(&seq) {
            return Some(*id);
        }
        self.voided.get(&seq).map(|(_, id)| *id)
    }

    /// The seq of the void that removed the event at `seq`, if any in this prefix.
    pub fn voided_by(&self, seq: u64) -> Option<u64> {
        self.voided.get(&seq).map(|(by, _)| *by)
    }

    /// The project definition, once defined.
    pub fn project(&self) -> Option<&grantledger_domain::events::ProjectDefined> {
        match self.ix.project.and_then(|s| self.decoded(s)) {
            Some(Event::ProjectDefined(p)) => Some(p),
            _ => None,
        }
    }

    /// The valid date of the live event at `seq`: its payload's date, or for
    /// an attendance its session's date.
    pub fn valid_date_of(&self, seq: u64) -> Option<grantledger_domain::Date> {
        match &*self.event(seq)? {
            Event::AttendanceRecorded(a) => self.session(a.session_id.as_str()).map(|s| s.date),
            other => other.valid_date(),
        }
    }

    /// The corrections and voids in this prefix with seq > `after`, as
    /// (seq, target seq), in seq order.
    pub fn amendments_after(&self, after: u64) -> Vec<(u64, Option<u64>)> {
        self.amendment_events
            .range(after + 1..)
            .map(|(s, (_, event))| (*s, amendment_target(event).and_then(|t| self.seq_of(&t))))
            .collect()
    }

    /// The latest live `report_submitted` of monitoring period `no`: (seq, marker).
    pub fn report_marker(
        &self,
        no: u32,
    ) -> Option<(u64, &grantledger_domain::events::ReportSubmitted)> {
        self.ix
            .reports
            .get(&no)?
            .iter()
            .rev()
            .find_map(|s| match self.decoded(s) {
                Some(Event::ReportSubmitted(r)) => Some((s, r)),
                _ => None,
            })
    }

    /// A correction or void of this prefix by its seq: (the event, its
    /// target's seq, its event id). Corrections are kept by the fold as
    /// amendments, not as facts.
    pub fn amendment(&self, seq: u64) -> Option<(&Event, Option<u64>, String)> {
        let (id, event) = self.amendment_events.get(&seq)?;
        let target = amendment_target(event).and_then(|t| self.seq_of(&t));
        Some((event, target, id.to_string()))
    }

    /// The rule sets (`rule_set_adopted`) in force on `as_of`: adopted with
    /// `effective_from` ≤ `as_of`, in effective order (DOMAIN.md R5.5).
    pub fn rule_sets_on(&self, as_of: grantledger_domain::Date) -> Vec<String> {
        let mut sets: Vec<(grantledger_domain::Date, u64, String)> = self
            .ix
            .rule_sets
            .iter()
            .filter_map(|s| match self.decoded(*s) {
                Some(Event::RuleSetAdopted(r)) if r.effective_from <= as_of => {
                    Some((r.effective_from, *s, r.rule_set.clone()))
                }
                _ => None,
            })
            .collect();
        sets.sort();
        sets.into_iter().map(|(_, _, name)| name).collect()
    }

    /// The live event at `seq` if it exists (decoded when the ledger keeps
    /// it encoded, see [`Fact`]).
    pub fn event(&self, seq: u64) -> Option<Cow<'_, Event>> {
        self.live.get(&seq).map(|l| match l {
            Cow::Borrowed(l) => Cow::Borrowed(&l.event),
            Cow::Owned(l) => Cow::Owned(l.event),
        })
    }

    /// The live event at `seq`, owned: for the kinds kept encoded, which are
    /// decoded anyway (a decoded one is copied).
    pub fn event_owned(&self, seq: u64) -> Option<Event> {
        self.event(seq).map(Cow::into_owned)
    }

    /// The live event at `seq` when the ledger keeps it decoded: always for
    /// reference data (the project, courses, runs, sessions, seminars,
    /// workshops, conferences, organizations, staff contracts and
    /// amendments, report markers, rule sets; see [`Fact`]), never for the
    /// kinds kept encoded.
    pub(crate) fn decoded(&self, seq: u64) -> Option<&Event> {
        self.live.fact(seq)?.decoded().map(|l| &l.event)
    }

    /// Hours of a session by id with its date, if the session is live.
    pub(crate) fn session(&self, id: &str) -> Option<&grantledger_domain::events::SessionHeld> {
        match self.ix.sessions.get(id).and_then(|s| self.decoded(*s)) {
            Some(Event::SessionHeld(s)) => Some(s),
            _ => None,
        }
    }
}

/// The event a correction or void targets.
fn amendment_target(event: &Event) -> Option<Uuid> {
    match event {
        Event::EventCorrected(c) => Some(c.target_event_id),
        Event::EventVoided(v) => Some(v.target_event_id),
        _ => None,
    }
}
