//! The ledger service: admission and append of events, and the ledger state of
//! any log prefix. Shared by the HTTP API and the CLI (`import`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use grantledger_domain::events::PersonalDataErased;
use grantledger_domain::{Envelope, Event, Personal};
use grantledger_projections::{Ledger, PreparedFact, Projection};
use grantledger_store::checkpoint::SignedCheckpoint;
use grantledger_store::{leaf_hash, AppendError, Appended, EventLog, MerkleTree, NewEvent, Record};
use uuid::Uuid;

use crate::request::AppendRequest;
use crate::transparency::Notary;
use crate::ApiError;

/// Records read per chunk when replaying the log.
const REPLAY_CHUNK: usize = 4096;
/// Older prefixes kept folded for repeated point-in-time queries: two, for
/// the figures, findings and report of one point asked one after another,
/// and the corrections report's two prefixes. Each costs what its fold
/// and refresh copied from its snapshot (≈ 13 MiB at 10^6 events).
const PREFIX_CACHE: usize = 2;
/// Default spacing of the snapshots of the head state kept for older
/// prefixes (records): a query at any prefix folds at most this many records
/// after the nearest snapshot (or cached prefix) below it.
pub const SNAPSHOT_EVERY: u64 = 32_768;

/// Decodes a stored record into an envelope.
///
/// # Errors
/// A storage error naming the seq when the payload does not decode.
pub fn envelope(r: &Record) -> Result<Envelope, grantledger_store::StoreError> {
    envelope_of_view(&grantledger_store::RecordView::of(r))
}

/// The envelope of a record borrowed from the store, its event decoded
/// (as stored: sealed personal data stays sealed).
fn envelope_of_view(
    r: &grantledger_store::RecordView<'_>,
) -> Result<Envelope, grantledger_store::StoreError> {
    Ok(Envelope {
        seq: r.seq,
        event_id: r.event_id,
        stream: r.stream.to_owned(),
        stream_version: r.stream_version,
        recorded_at: r.recorded_at,
        actor: r.actor.to_owned(),
        event: decode_view(r)?,
        hash: r.hash,
    })
}

/// Decodes a stored record's event (upcast to the current schema).
fn decode_view(
    r: &grantledger_store::RecordView<'_>,
) -> Result<Event, grantledger_store::StoreError> {
    Event::decode(r.kind, r.schema_version, r.payload).map_err(|e| {
        grantledger_store::StoreError::Corrupt {
            seq: r.seq,
            reason: e.to_string(),
        }
    })
}

/// The envelope of a stored record whose event is already decoded (the
/// event as stored: sealed personal data stays sealed).
fn envelope_of(r: &Record, event: Event) -> Envelope {
    Envelope {
        seq: r.seq,
        event_id: r.event_id,
        stream: r.stream.clone(),
        stream_version: r.stream_version,
        recorded_at: r.recorded_at,
        actor: r.actor.clone(),
        event,
        hash: r.hash,
    }
}

/// Brings a ledger's derived dates up to date (the crossing dates, held
/// dates and findings that every point-in-time answer reads), so that every
/// prefix folded from it only recomputes what the records after it touch.
/// Done to the head before a snapshot is taken of it when serving (the two
/// then share the refreshed state), and to a snapshot or cached prefix
/// before an older prefix is folded from it; it stays warm: the derived
/// state sits behind a lock inside the shared ledger.
fn warm(ledger: &Ledger) {
    if let Some(day) = ledger.project().map(|p| p.period.end) {
        let _ = ledger.indicator_values(day);
        let _ = ledger.findings(day);
    }
}

/// The Merkle tree's source of the leaf hashes it no longer holds: the
/// records' hashes, read back from `log` (a chunk or two for a block of 64).
fn leaves_of(log: &Arc<dyn EventLog>) -> grantledger_store::LeafSource {
    let log = Arc::downgrade(log);
    Arc::new(move |start, n| {
        let log = log.upgrade().ok_or("the log is closed")?;
        let mut leaves = Vec::with_capacity(n);
        log.read_range_views(start + 1, n, &mut |r| {
            leaves.push(leaf_hash(&r.hash));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(leaves)
    })
}

/// An empty head state over `log`'s index of event ids (see
/// [`over_log`]), keeping the history of its derived dates when `serving`
/// (see [`Service::open_for_import`]).
fn new_head(serving: bool, log: &Arc<dyn EventLog>) -> Ledger {
    let empty = if serving {
        Ledger::with_history()
    } else {
        Ledger::default()
    };
    over_log(empty, log)
}

/// `ledger`, consulting `log`'s own index of event ids instead of keeping a
/// map of every id it folds ([`Ledger::over_stored_ids`]; ≈ 50 MB less at
/// 10^6 records). Fold into it only records read from `log`, or a batch
/// above its durable head (what the service admits).
pub fn over_log(ledger: Ledger, log: &Arc<dyn EventLog>) -> Ledger {
    ledger.over_stored_ids(Arc::new(LogIds(Arc::downgrade(log))))
}

/// A log's index of event ids as a ledger consults it: the durable records'
/// (the log's own `seq_of`, which only reads its in-memory index).
struct LogIds(std::sync::Weak<dyn EventLog>);

impl grantledger_projections::StoredIds for LogIds {
    fn seq_of(&self, id: &Uuid) -> Option<u64> {
        // the log's index is in memory: its lookup does not fail; a closed
        // log has nothing more to say
        self.0.upgrade()?.seq_of(id).ok().flatten()
    }

    fn stored_through(&self) -> u64 {
        self.0.upgrade().map_or(0, |log| log.head().seq)
    }
}

/// The seqs and record times a batch was admitted at, to check that the
/// store wrote it there (the writer lock orders appends, so it always does).
struct Admitted(Vec<(u64, Option<jiff::Timestamp>)>);

impl Admitted {
    /// `batch` admitted after the head's seq `base`.
    fn of(base: u64, batch: &[NewEvent]) -> Admitted {
        Admitted(
            batch
                .iter()
                .enumerate()
                .map(|(i, n)| (base + i as u64 + 1, n.recorded_at))
                .collect(),
        )
    }

    /// Whether `records` were written at those seqs and times.
    fn written_as(&self, records: &[Record]) -> bool {
        records
            .iter()
            .map(|r| (r.seq, Some(r.recorded_at)))
            .eq(self.0.iter().copied())
    }
}

/// An error of event `i` of a batch names its place (`events[i].field`); a
/// single event's error is left as it is.
fn in_batch(batch: bool, i: usize, e: ApiError) -> ApiError {
    if !batch {
        return e;
    }
    let field = e
        .field
        .clone()
        .map_or(format!("events[{i}]"), |f| format!("events[{i}].{f}"));
    ApiError {
        field: Some(field),
        ..e
    }
}

/// The store's refusal as the API's, a version conflict named by `at` as
/// the event of the batch it is in (`events[i].expected_version`).
fn placed(e: AppendError, at: &impl Fn(usize, ApiError) -> ApiError) -> ApiError {
    let place = match &e {
        AppendError::VersionConflict { index, .. } => Some(*index),
        _ => None,
    };
    let e = ApiError::from(e);
    match place {
        Some(i) => at(i, e),
        None => e,
    }
}

/// Checks that no two events of a batch give the same `event_id` (a batch
/// is one request, stored whole: an id given twice is a client's mistake,
/// whatever the content), before any rule: 409 naming the later one's
/// `event_id`, rule `idempotency`, and the index of the first.
fn distinct_ids(requests: &[AppendRequest]) -> Result<(), (usize, ApiError)> {
    let mut seen: HashMap<Uuid, usize> = HashMap::with_capacity(requests.len());
    for (i, req) in requests.iter().enumerate() {
        let Some(id) = req.event_id else { continue };
        if let Some(first) = seen.insert(id, i) {
            let e = ApiError::new(
                409,
                "Conflict",
                format!("event_id {id} is also given to events[{first}]: the events of a batch have distinct ids"),
            )
            .field("event_id")
            .rule("idempotency");
            return Err((i, e));
        }
    }
    Ok(())
}

/// What an append did.
#[derive(Debug)]
pub struct AppendOutcome {
    /// The stored records (new, or the originals of an exact repeat).
    pub records: Vec<Record>,
    /// True when every event was already stored with identical content (HTTP 200).
    pub repeated: bool,
}

/// The ledger service over one log: the head state folded incrementally, and
/// older prefixes folded on demand.
pub struct Service {
    log: Arc<dyn EventLog>,
    tree: RwLock<MerkleTree>,
    notary: Option<Notary>,
    head: RwLock<Ledger>,
    writer: Mutex<()>,
    prefixes: Mutex<Vec<Arc<Ledger>>>,
    /// Snapshots of the head state every `snapshot_every` records (by seq):
    /// the starting points of older prefixes.
    snapshots: Mutex<BTreeMap<u64, Arc<Ledger>>>,
    snapshot_every: u64,
    /// Whether this service answers queries (`serve`): its head keeps the
    /// history of its derived dates and snapshots are warmed when taken (the
    /// head is warmed once and shares its derived state with the snapshot).
    /// An import asks no point-in-time question: its head folds without the
    /// history and it takes no snapshots.
    serving: bool,
    /// Participants whose personal data was ever erased in the log: hidden
    /// in every answer, whatever prefix is read (kept apart from `head` so
    /// that readers holding a ledger can check it).
    erased: RwLock<BTreeSet<Uuid>>,
}

impl Service {
    /// Opens the service over `log`, folding the whole log into the head state.
    ///
    /// # Errors
    /// A storage error, or a record that does not decode.
    pub fn open(
        log: Arc<dyn EventLog>,
        notary: Option<Notary>,
    ) -> Result<Service, grantledger_store::StoreError> {
        Service::open_with(log, notary, SNAPSHOT_EVERY)
    }

    /// [`Service::open`] for a bulk import, which asks no point-in-time
    /// question: the head folds without the history of its derived dates
    /// (each record then costs its index updates only; the derived dates are
    /// computed if a query ever asks) and no snapshots are taken. Every
    /// answer is the same as a serving service's, only older prefixes fold
    /// from seq 1.
    ///
    /// # Errors
    /// As [`Service::open`].
    pub fn open_for_import(
        log: Arc<dyn EventLog>,
        notary: Option<Notary>,
    ) -> Result<Service, grantledger_store::StoreError> {
        Service::open_inner(log, notary, 0, false)
    }

    /// [`Service::open`] with snapshots of the head state every
    /// `snapshot_every` records (0 = none: older prefixes fold from seq 1).
    ///
    /// # Errors
    /// As [`Service::open`].
    pub fn open_with(
        log: Arc<dyn EventLog>,
        notary: Option<Notary>,
        snapshot_every: u64,
    ) -> Result<Service, grantledger_store::StoreError> {
        Service::open_inner(log, notary, snapshot_every, true)
    }

    fn open_inner(
        log: Arc<dyn EventLog>,
        notary: Option<Notary>,
        snapshot_every: u64,
        serving: bool,
    ) -> Result<Service, grantledger_store::StoreError> {
        let head_seq = log.head().seq;
        let mut tree = MerkleTree::with_leaf_source(leaves_of(&log));
        let mut snapshots = BTreeMap::new();
        // a serving head keeps the history of its derived dates: the
        // indicators at any older prefix without a fold (Service::indicators_at)
        let mut head = new_head(serving, &log);
        loop {
            let upto = match snapshot_every {
                0 => head_seq,
                k => ((head.at_seq() / k + 1) * k).min(head_seq),
            };
            head = fold_with(log.as_ref(), head, upto, |r| tree.push(leaf_hash(&r.hash)))?;
            if upto >= head_seq || head.at_seq() < upto {
                break;
            }
            if serving {
                warm(&head);
            }
            snapshots.insert(head.at_seq(), Arc::new(head.clone()));
        }
        if serving {
            // the first query after start-up should not pay for the refresh
            warm(&head);
        }
        let erased: BTreeSet<Uuid> = head.erased_participants().copied().collect();
        // An erasure stored without its key destroyed (a crash in between, or
        // a verbatim import) loses its key now.
        if let Some(keys) = log.keys() {
            for id in &erased {
                keys.destroy_key(id)?;
            }
        }
        Ok(Service {
            log,
            tree: RwLock::new(tree),
            notary,
            head: RwLock::new(head),
            writer: Mutex::new(()),
            prefixes: Mutex::new(Vec::new()),
            snapshots: Mutex::new(snapshots),
            snapshot_every,
            serving,
            erased: RwLock::new(erased),
        })
    }

    /// Ends the service when the process is about to exit: returns the log
    /// (to be closed normally) and leaves the folded state, snapshots and
    /// Merkle tree to the operating system, since freeing a 10^6-event state
    /// piece by piece takes seconds. Nothing durable is lost: every append
    /// was durable when it returned.
    pub fn close_for_exit(self) -> Arc<dyn EventLog> {
        let Service {
            log,
            tree,
            head,
            prefixes,
            snapshots,
            ..
        } = self;
        std::mem::forget((tree, head, prefixes, snapshots));
        log
    }

    /// Whether `participant`'s personal data was erased (at any seq of the log).
    pub fn is_erased(&self, participant: &Uuid) -> bool {
        self.erased
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(participant)
    }

    /// The event as readers see it (R6): personal data opened with the
    /// participant's key; `Erased` when the participant was erased (even in
    /// a v1 record stored in clear, and even when reading a prefix before
    /// the erasure) or when this data directory has no key for them (an
    /// imported copy). Events without personal data are returned as they are.
    /// Does not take the head lock, so it may be called while reading a ledger.
    pub fn reveal(&self, event: &Event) -> Event {
        let mut shown = event.clone();
        if let Some(reg) = shown.registration_mut() {
            let id = reg.participant_id;
            reg.personal = if self.is_erased(&id) {
                Personal::Erased
            } else {
                match &reg.personal {
                    Personal::Clear(f) => Personal::Clear(f.clone()),
                    Personal::Sealed(blob) => self.open_sealed(&id, blob),
                    Personal::Erased => Personal::Erased,
                }
            };
        }
        shown
    }

    /// Opens a sealed blob with the participant's key; `Erased` without one.
    fn open_sealed(
        &self,
        id: &Uuid,
        blob: &[u8],
    ) -> Personal<grantledger_domain::events::PersonalFields> {
        let key = match self.log.keys().map(|k| k.get_key(id)) {
            Some(Ok(Some(key))) => key,
            Some(Err(e)) => {
                tracing::error!(error = %e, "reading a personal-data key failed");
                return Personal::Erased;
            }
            _ => return Personal::Erased,
        };
        match crate::personal::open_fields(&key, id, blob) {
            Ok(f) => Personal::Clear(f),
            Err(e) => {
                tracing::error!(participant = %id, error = %e, "sealed personal data does not open");
                Personal::Erased
            }
        }
    }

    /// The export line of a record (docs/EXPORT.md): personal data never
    /// opened — sealed blobs show `"[sealed]"` (exports hold no keys and no
    /// opened names) — and an erased participant's fields as `"[erased]"`
    /// (also those of a v1 record stored in clear).
    ///
    /// # Errors
    /// The payload does not decode.
    pub fn export_line(
        &self,
        r: &Record,
    ) -> Result<crate::export::ExportLine, grantledger_domain::DecodeError> {
        let mut line = crate::export::ExportLine::of(r)?;
        let mut event = Event::decode(&r.kind, r.schema_version, &r.payload)?;
        if let Some(reg) = event.registration_mut() {
            if self.is_erased(&reg.participant_id) {
                reg.personal = Personal::Erased;
                line.data = event.data_json();
            }
        }
        Ok(line)
    }

    /// Seals the personal data of `event` (a registration, or a correction
    /// replacing one) with its participant's key, making the key first if
    /// there is none. The key is written before the append that uses it, so
    /// the append's durability barrier covers it.
    ///
    /// # Errors
    /// 422 (R6) for an erased participant, 500 when there is no key store or
    /// no randomness, or storage fails.
    fn seal(&self, event: &Event) -> Result<Option<Event>, ApiError> {
        let Some(reg) = event.registration() else {
            return Ok(None);
        };
        let id = reg.participant_id;
        let Personal::Clear(fields) = &reg.personal else {
            return Err(ApiError::internal("personal data to store is not in clear"));
        };
        if self.is_erased(&id) {
            return Err(ApiError::new(
                422,
                "Rule violated",
                format!(
                    "the personal data of participant {id} was erased; it is not recorded again"
                ),
            )
            .field("data.participant_id")
            .rule("R6"));
        }
        let keys = self
            .log
            .keys()
            .ok_or_else(|| ApiError::internal("this log keeps no personal-data keys"))?;
        let key = match keys.get_key(&id)? {
            Some(k) => k,
            None => {
                let k = crate::personal::new_key().map_err(ApiError::internal)?;
                keys.put_key(&id, &k)?;
                k
            }
        };
        let blob = crate::personal::seal_fields(&key, &id, fields).map_err(ApiError::internal)?;
        let mut sealed = event.clone();
        if let Some(r) = sealed.registration_mut() {
            r.personal = Personal::Sealed(blob);
        }
        Ok(Some(sealed))
    }

    /// Whether a stored record holds the same event as `event` (idempotent
    /// repeats). Sealed personal data differs byte for byte at every seal
    /// (a new nonce), so a registration is compared opened; if its key is
    /// gone, its personal fields cannot be compared and only the rest is.
    fn same_content(&self, r: &Record, event: &Event) -> bool {
        if r.kind != event.kind().as_str() {
            return false;
        }
        if event.registration().is_none() {
            return event.encode().is_ok_and(|b| b == r.payload);
        }
        let Ok(mut stored) = Event::decode(&r.kind, r.schema_version, &r.payload) else {
            return false;
        };
        if let Some(reg) = stored.registration_mut() {
            if let Personal::Sealed(blob) = &reg.personal {
                reg.personal = self.open_sealed(&reg.participant_id, blob);
            }
        }
        let mut want = event.clone();
        if let (Some(s), Some(w)) = (stored.registration(), want.registration_mut()) {
            if !matches!(s.personal, Personal::Clear(_)) {
                w.personal = s.personal.clone();
            }
        }
        stored == want
    }

    /// Erases a participant's personal data (R6): destroys their key
    /// (durably) and appends `personal_data_erased`. Figures, records and
    /// hashes stay as they are; every answer shows the fields as erased.
    ///
    /// # Errors
    /// 404 for a participant not registered, 409 when already erased, 400
    /// for a bad reason, 500 for storage.
    pub fn erase(
        &self,
        participant: Uuid,
        reason: String,
        actor: &str,
    ) -> Result<AppendOutcome, ApiError> {
        if self
            .with_head(|l| l.seq_of_participant(&participant))
            .is_none()
        {
            return Err(ApiError::not_found(format!(
                "no participant {participant} in the log"
            )));
        }
        if self.is_erased(&participant) {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!("the personal data of participant {participant} is already erased"),
            )
            .field("participant_id")
            .rule("R6"));
        }
        let event = Event::PersonalDataErased(PersonalDataErased {
            participant_id: participant,
            reason,
        });
        event.validate().map_err(ApiError::from)?;
        self.append(
            vec![AppendRequest {
                event_id: None,
                expected_version: None,
                event,
                recorded_at: None,
                actor: None,
            }],
            actor,
        )
    }

    /// The signing key and issued checkpoints, if the service signs.
    pub fn notary(&self) -> Option<&Notary> {
        self.notary.as_ref()
    }

    /// Runs `f` on the Merkle tree of every written record.
    pub fn with_tree<R>(&self, f: impl FnOnce(&MerkleTree) -> R) -> R {
        f(&self.tree.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The signed checkpoint of the first `size` records (default: the
    /// durable head). The head's is kept in the data directory as issued;
    /// older sizes are signed on the fly and not kept.
    ///
    /// # Errors
    /// 404 without a signing key or for an empty log, 400 for a size beyond
    /// the durable head, 500 if it cannot be written.
    pub fn checkpoint(&self, size: Option<u64>) -> Result<SignedCheckpoint, ApiError> {
        let notary = self
            .notary
            .as_ref()
            .ok_or_else(|| ApiError::not_found("this server signs no checkpoints"))?;
        let head = self.log.head().seq;
        let keep = size.is_none_or(|s| s == head);
        let size = match size {
            Some(size) => {
                check_tree_size("tree_size", size, head, "the log head")?;
                size
            }
            None if head == 0 => {
                return Err(ApiError::not_found(
                    "the log is empty; there is nothing to sign",
                ))
            }
            None => head,
        };
        let root = self
            .with_tree(|t| t.root(size))
            .map_err(ApiError::internal)?;
        notary.sign(size, root, keep).map_err(ApiError::internal)
    }

    /// Fills in (or checks) the signed checkpoint of a `report_submitted`
    /// marker's `at_seq`, pinning the report to a signed root.
    fn pin_report(&self, req: &mut AppendRequest) -> Result<(), ApiError> {
        let Event::ReportSubmitted(r) = &mut req.event else {
            return Ok(());
        };
        let Some(notary) = self.notary.as_ref() else {
            return Ok(());
        };
        let root = self.with_tree(|t| t.root(r.at_seq)).map_err(|_| {
            ApiError::new(
                422,
                "Rule violated",
                format!(
                    "at_seq {} is beyond the log head {}: a report marker pins a signed checkpoint of a stored prefix, so the events it covers are appended first, in an earlier request",
                    r.at_seq,
                    self.log.head().seq
                ),
            )
            .field("data.at_seq")
            .rule("R5.4")
        })?;
        match &r.checkpoint {
            None => {
                let signed = notary
                    .sign(r.at_seq, root, true)
                    .map_err(ApiError::internal)?;
                r.checkpoint = Some(signed.to_text());
            }
            Some(text) => {
                let ok = SignedCheckpoint::parse(text)
                    .ok()
                    .filter(|c| c.verify(&notary.verifier()).is_ok())
                    .is_some_and(|c| {
                        c.checkpoint.tree_size == r.at_seq && c.checkpoint.root_hash == root
                    });
                if !ok {
                    return Err(ApiError::new(
                        422,
                        "Rule violated",
                        format!("checkpoint is not this log's signed checkpoint of at_seq {}; leave it out and the server pins it", r.at_seq),
                    )
                    .field("data.checkpoint")
                    .rule("R5.4"));
                }
            }
        }
        Ok(())
    }

    /// The underlying log.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// Runs `f` on the head state. Used for defaults (the project calendar)
    /// and admission; reads go through [`Service::read`].
    pub fn with_head<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        let guard = self.head.read().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }

    /// Runs `f` on the state of a log prefix: `Some(n)` is `seq ≤ n` (n ≤ the
    /// durable head), `None` the head, once everything in it is durable (an
    /// unacknowledged event is never shown).
    ///
    /// # Errors
    /// A storage error while replaying an older prefix or waiting for durability.
    pub fn read<R>(
        &self,
        at_seq: Option<u64>,
        f: impl FnOnce(&Ledger) -> R,
    ) -> Result<R, ApiError> {
        {
            let guard = self.head.read().unwrap_or_else(|p| p.into_inner());
            if at_seq.is_none_or(|n| n == guard.at_seq()) {
                self.log.wait_durable(guard.at_seq())?;
                return Ok(f(&guard));
            }
        }
        let ledger = self.older_prefix(at_seq.unwrap_or_default())?;
        Ok(f(&ledger))
    }

    /// The state of the prefix `seq ≤ at_seq` as a shared value (for work
    /// that needs two prefixes at once, such as the corrections report).
    ///
    /// # Errors
    /// A storage error while folding.
    pub fn ledger_at(&self, at_seq: u64) -> Result<Arc<Ledger>, ApiError> {
        {
            let guard = self.head.read().unwrap_or_else(|p| p.into_inner());
            if at_seq == guard.at_seq() {
                self.log.wait_durable(at_seq)?;
                return Ok(Arc::new(guard.clone()));
            }
        }
        self.older_prefix(at_seq)
    }

    /// Folds (or takes from the cache) a prefix older than the head: from the
    /// nearest snapshot or cached prefix at or below it.
    fn older_prefix(&self, at_seq: u64) -> Result<Arc<Ledger>, ApiError> {
        let cached = {
            let cache = self.prefixes.lock().unwrap_or_else(|p| p.into_inner());
            cache.iter().find(|l| l.at_seq() == at_seq).cloned()
        };
        Ok(match cached {
            Some(l) => l,
            None => {
                let l = Arc::new(self.fold_prefix(at_seq)?);
                let mut cache = self.prefixes.lock().unwrap_or_else(|p| p.into_inner());
                cache.insert(0, l.clone());
                cache.truncate(PREFIX_CACHE);
                l
            }
        })
    }

    /// Admits and appends a batch atomically (all or none), durably.
    ///
    /// Order of checks: idempotency (every `event_id` already stored with the
    /// same content → the originals, nothing stored), then each event's
    /// admission rules against the state including the batch's earlier events,
    /// then expected versions (in the store).
    ///
    /// # Errors
    /// 400 naming `actor` for an actor that breaks the text rules
    /// ([`crate::request::check_text`]: a token name written before they
    /// applied to it), 409 for a reused `event_id` with other content or a
    /// version conflict, 422 for a rule (field named `events[i].data…` in a
    /// batch), 500 for storage.
    pub fn append(
        &self,
        mut requests: Vec<AppendRequest>,
        actor: &str,
    ) -> Result<AppendOutcome, ApiError> {
        crate::request::check_text(actor, "actor")?;
        self.append_slice_named(&mut requests, actor, false)
    }

    /// [`Service::append`] of a body in batch form (`{"events": [...]}`):
    /// an error names its event `events[i].…` even in a batch of one
    /// (docs/RULES.md), as the parse errors of the body do.
    ///
    /// # Errors
    /// As [`Service::append`].
    pub fn append_batch(
        &self,
        mut requests: Vec<AppendRequest>,
        actor: &str,
    ) -> Result<AppendOutcome, ApiError> {
        crate::request::check_text(actor, "actor")?;
        self.append_slice_named(&mut requests, actor, true)
    }

    /// [`Service::append`] of requests the caller keeps (a bulk import
    /// retries a refused batch one event at a time without having copied
    /// it). A report's request gets its pinned `at_seq` written in.
    ///
    /// # Errors
    /// As [`Service::append`].
    pub fn append_slice(
        &self,
        requests: &mut [AppendRequest],
        actor: &str,
    ) -> Result<AppendOutcome, ApiError> {
        self.append_slice_named(requests, actor, false)
    }

    /// [`Service::append_slice`]; `batch_form`: the errors name the event
    /// `events[i]` even when the batch holds one.
    fn append_slice_named(
        &self,
        requests: &mut [AppendRequest],
        actor: &str,
        batch_form: bool,
    ) -> Result<AppendOutcome, ApiError> {
        let (records, repeated) = {
            let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            self.append_locked(requests, actor, batch_form)?
        };
        // Outside the writer lock: concurrent appends share one barrier (group commit).
        if let Some(last) = records.iter().map(|r| r.seq).max() {
            self.log.wait_durable(last)?;
        }
        Ok(AppendOutcome { records, repeated })
    }

    /// The admission and write of [`Service::append_slice`], under the
    /// writer lock: the records are written, not yet durable. Errors name
    /// their event (`events[i]`) in a batch of two or more, or of one in
    /// `batch_form`.
    fn append_locked(
        &self,
        requests: &mut [AppendRequest],
        actor: &str,
        batch_form: bool,
    ) -> Result<(Vec<Record>, bool), ApiError> {
        let batch = requests.len() > 1;
        let named = batch || batch_form;
        let at = |i: usize, e: ApiError| in_batch(named, i, e);
        distinct_ids(requests).map_err(|(i, e)| at(i, e))?;
        for (i, req) in requests.iter_mut().enumerate() {
            self.pin_report(req).map_err(|e| at(i, e))?;
        }
        Ok(match self.repeated(requests).map_err(|(i, e)| at(i, e))? {
            Some(originals) => (originals, true),
            None if batch => self.append_in_place(requests, actor, at)?,
            None => {
                let (new_events, stored_events) =
                    self.admit(requests, actor).map_err(|(i, e)| at(i, e))?;
                self.destroy_erased_keys(requests)?;
                let appended = self.log.append_deferred(new_events);
                match appended.map_err(|e| placed(e, &at))? {
                    Appended::New(records) => {
                        let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
                        let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
                        for (r, event) in records.iter().zip(stored_events) {
                            head.apply_owned(envelope_of(r, event));
                            tree.push(leaf_hash(&r.hash));
                        }
                        self.after_apply(&head);
                        (records, false)
                    }
                    Appended::Repeated(originals) => (originals, true),
                }
            }
        })
    }

    /// Erasure destroys the key (durably) before its event is written: a
    /// crash in between leaves the data unreadable and the erasure to be
    /// retried, never the reverse.
    fn destroy_erased_keys(&self, requests: &[AppendRequest]) -> Result<(), ApiError> {
        for req in requests {
            if let Event::PersonalDataErased(e) = &req.event {
                if let Some(keys) = self.log.keys() {
                    keys.destroy_key(&e.participant_id)?;
                }
            }
        }
        Ok(())
    }

    /// A batch's admission and append (under the writer lock): each event is
    /// admitted against the head state and applied to it at once, so that
    /// the next one sees it, without copying the state; the records get the
    /// seqs and record times applied (the batch is written after the head's
    /// seq, with explicit `recorded_at`). If an event is refused or the store
    /// refuses the batch, the head state is folded again from the log (its
    /// nearest snapshot) to what it was, and the error returned.
    fn append_in_place(
        &self,
        requests: &[AppendRequest],
        actor: &str,
        at: impl Fn(usize, ApiError) -> ApiError,
    ) -> Result<(Vec<Record>, bool), ApiError> {
        let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
        let base = head.at_seq();
        let out = match self.admit_in_place(&mut head, requests, actor, &at) {
            Ok(out) => out,
            Err(e) => {
                self.restore_head(&mut head, base)?;
                return Err(e);
            }
        };
        let expected = Admitted::of(base, &out);
        match self.log.append_deferred(out) {
            Ok(Appended::New(records)) => {
                if expected.written_as(&records) {
                    if let Some(last) = records.last() {
                        head.set_head_hash(last.hash);
                    }
                } else {
                    // Not expected (the writer lock orders appends): fold
                    // the written records instead.
                    tracing::warn!("a batch was stored at other seqs than admitted; refolding");
                    let last = records.last().map_or(base, |r| r.seq);
                    self.log.wait_durable(last)?;
                    self.restore_head(&mut head, last)?;
                }
                let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
                for r in &records {
                    tree.push(leaf_hash(&r.hash));
                }
                self.after_apply(&head);
                Ok((records, false))
            }
            Ok(Appended::Repeated(originals)) => {
                self.restore_head(&mut head, base)?;
                Ok((originals, true))
            }
            Err(e) => {
                self.restore_head(&mut head, base)?;
                Err(placed(e, &at))
            }
        }
    }

    /// Admits each event of a batch against `head` and applies it at once,
    /// so that the next one sees it, without copying the state; returns the
    /// records to write (seqs from `head`'s, `recorded_at` set). If an event
    /// is refused, or an erased participant's key cannot be destroyed, the
    /// error is returned and the caller folds the head again from the log
    /// ([`Service::restore_head`]) to what it was.
    fn admit_in_place(
        &self,
        head: &mut Ledger,
        requests: &[AppendRequest],
        actor: &str,
        at: impl Fn(usize, ApiError) -> ApiError,
    ) -> Result<Vec<NewEvent>, ApiError> {
        let base = head.at_seq();
        let now = jiff::Timestamp::now();
        let mut out: Vec<NewEvent> = Vec::with_capacity(requests.len());
        let mut refused = None;
        for (i, req) in requests.iter().enumerate() {
            match self.admit_one(head, req, actor, &out) {
                Ok((mut new, event)) => {
                    let prev = head.head_recorded_at();
                    // G6, as the store checks it: record times never go back
                    if let (Some(given), Some(last)) = (new.recorded_at, prev) {
                        if given < last {
                            let e = AppendError::RecordedAtDecreasing { given, head: last };
                            refused = Some(at(i, e.into()));
                            break;
                        }
                    }
                    let recorded_at = new
                        .recorded_at
                        .unwrap_or_else(|| prev.map_or(now, |p| p.max(now)));
                    new.recorded_at = Some(recorded_at);
                    // the fact from the payload just encoded for the store,
                    // not encoded again; the ledger reads neither stream nor actor
                    let fact = PreparedFact::of_payload(
                        event.kind(),
                        new.schema_version,
                        new.event_id,
                        &new.payload,
                    );
                    head.apply_prepared(
                        Envelope {
                            seq: base + i as u64 + 1,
                            event_id: new.event_id,
                            stream: String::new(),
                            stream_version: 0,
                            recorded_at,
                            actor: String::new(),
                            event,
                            hash: [0; 32],
                        },
                        fact,
                    );
                    out.push(new);
                }
                Err(e) => {
                    refused = Some(at(i, e));
                    break;
                }
            }
        }
        if let Some(e) = refused {
            return Err(e);
        }
        self.destroy_erased_keys(requests)?;
        Ok(out)
    }

    /// Runs a bulk import: `f` appends batches through the [`Importer`] it
    /// is given. In a service opened for an import, each batch is admitted
    /// into the head state on the calling thread while the batch before it
    /// is written and made durable on a thread of its own (the performance
    /// issue: the store's plan and write were a fifth of an import); the
    /// writer lock is held throughout, so nothing else appends meanwhile.
    /// A serving service appends each batch as [`Service::append_slice`]
    /// does. Every batch is durable when this returns.
    ///
    /// # Errors
    /// The first error of a write or of making it durable, if `f` did not
    /// see it (a batch's refusal is returned by [`Importer::append`]).
    pub fn import<R>(&self, f: impl FnOnce(&mut Importer<'_>) -> R) -> Result<R, ApiError> {
        if self.serving {
            let mut importer = Importer {
                service: self,
                pipe: None,
                stored: 0,
                failed: None,
            };
            return Ok(f(&mut importer));
        }
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        std::thread::scope(|scope| {
            let (jobs, todo) = std::sync::mpsc::sync_channel::<Vec<NewEvent>>(1);
            let (done, acks) = std::sync::mpsc::channel::<Result<u64, ApiError>>();
            scope.spawn(move || {
                for batch in todo {
                    let ack = self.write_admitted(batch);
                    let failed = ack.is_err();
                    if done.send(ack).is_err() || failed {
                        return;
                    }
                }
            });
            let mut importer = Importer {
                service: self,
                pipe: Some(Pipe {
                    jobs,
                    acks,
                    in_flight: 0,
                    _writer: writer,
                }),
                stored: 0,
                failed: None,
            };
            let out = f(&mut importer);
            importer.drain()?;
            drop(importer);
            let head = self.log.head();
            let mut state = self.head.write().unwrap_or_else(|p| p.into_inner());
            if state.at_seq() == head.seq {
                state.set_head_hash(head.hash);
            }
            Ok(out)
        })
    }

    /// Whether an import may admit `requests` while the batch before them is
    /// still being written: not when they need the log as written or could
    /// be refused by the store rather than by admission (a record time that
    /// goes back is refused by both, G6), which then refuses them as
    /// [`Service::append_slice`] does: a single event, a report (it pins a
    /// checkpoint of the log), an event id the head state knows (an exact
    /// repeat is compared with the stored record) or given twice, or an
    /// expected version.
    fn can_write_behind(&self, requests: &[AppendRequest]) -> bool {
        if requests.len() < 2 {
            return false;
        }
        let head = self.head.read().unwrap_or_else(|p| p.into_inner());
        let mut ids = HashSet::with_capacity(requests.len());
        for r in requests {
            if matches!(r.event, Event::ReportSubmitted(_)) || r.expected_version.is_some() {
                return false;
            }
            if let Some(id) = r.event_id {
                if !ids.insert(id) || head.seq_of(&id).is_some() {
                    return false;
                }
            }
        }
        true
    }

    /// After an import's write failed: the head state, ahead of the log by
    /// the batches admitted since, is folded again to the log's durable head
    /// (the importer appends nothing more; after a storage error the store
    /// refuses appends too); returns `e`.
    fn after_failed_write(&self, e: ApiError) -> ApiError {
        let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
        let durable = self.log.head().seq;
        if let Err(refold) = self.restore_head(&mut head, durable) {
            tracing::error!(error = %refold.detail, "refolding the head after a failed import write");
        }
        e
    }

    /// The import's writer thread: writes a batch admitted into the head
    /// (its seqs follow the log's written head), adds it to the Merkle tree
    /// and makes it durable; returns how many records it wrote.
    fn write_admitted(&self, batch: Vec<NewEvent>) -> Result<u64, ApiError> {
        let base = self.log.head().seq;
        let expected = Admitted::of(base, &batch);
        let records = match self.log.append_deferred(batch)? {
            Appended::New(records) => records,
            Appended::Repeated(_) => {
                return Err(ApiError::internal(
                    "an admitted batch of new events was found stored",
                ))
            }
        };
        if !expected.written_as(&records) {
            return Err(ApiError::internal(
                "an admitted batch was stored at other seqs than admitted",
            ));
        }
        {
            let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
            for r in &records {
                tree.push(leaf_hash(&r.hash));
            }
        }
        if let Some(last) = records.last() {
            self.log.wait_durable(last.seq)?;
        }
        Ok(records.len() as u64)
    }

    /// Puts the head state back to the prefix `seq ≤ at_seq` by folding the
    /// log from the nearest snapshot (after waiting until that prefix is
    /// durable: earlier appends may still be waiting for their barrier).
    fn restore_head(&self, head: &mut Ledger, at_seq: u64) -> Result<(), ApiError> {
        self.log.wait_durable(at_seq)?;
        let snapshot = self.snapshot_at_or_before(at_seq);
        // from a snapshot of the head (it keeps the history), never from a
        // cached older prefix (it does not)
        let start = snapshot.map_or_else(|| new_head(self.serving, &self.log), |l| (*l).clone());
        *head = fold(self.log.as_ref(), start, at_seq)?;
        Ok(())
    }

    /// The latest snapshot of the head at or before `at_seq`.
    fn snapshot_at_or_before(&self, at_seq: u64) -> Option<Arc<Ledger>> {
        self.snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .range(..=at_seq)
            .next_back()
            .map(|(_, l)| l.clone())
    }

    /// The state of the prefix `seq ≤ at_seq`, folded from the nearest
    /// snapshot (or cached prefix) at or below it.
    fn fold_prefix(&self, at_seq: u64) -> Result<Ledger, ApiError> {
        let cached = {
            let cache = self.prefixes.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .iter()
                .filter(|l| l.at_seq() <= at_seq)
                .max_by_key(|l| l.at_seq())
                .cloned()
        };
        let snapshot = self.snapshot_at_or_before(at_seq);
        let start = [cached, snapshot]
            .into_iter()
            .flatten()
            .max_by_key(|l| l.at_seq());
        if let Some(s) = &start {
            warm(s);
        }
        let mut start = start.map_or_else(Ledger::default, |l| (*l).clone());
        // an older prefix answers from its own state: a copy of a snapshot
        // of the head stops keeping the head's history
        start.drop_history();
        Ok(fold(self.log.as_ref(), start, at_seq)?)
    }

    /// After new records are applied to the head: remembers erased
    /// participants and keeps a snapshot when one is due.
    fn after_apply(&self, head: &Ledger) {
        self.erased
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(head.erased_participants().copied());
        self.maybe_snapshot(head);
    }

    /// Keeps a snapshot of `head` when it is `snapshot_every` records or more
    /// past the last one.
    fn maybe_snapshot(&self, head: &Ledger) {
        if self.snapshot_every == 0 {
            return;
        }
        let mut snapshots = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
        let last = snapshots.keys().next_back().copied().unwrap_or(0);
        if head.at_seq() >= last + self.snapshot_every {
            if self.serving {
                warm(head);
            }
            snapshots.insert(head.at_seq(), Arc::new(head.clone()));
        }
    }

    /// Runs the admission rules over a single event against the head state
    /// and builds the record to write (see [`Service::append_in_place`] for
    /// batches).
    fn admit(
        &self,
        requests: &[AppendRequest],
        actor: &str,
    ) -> Result<(Vec<NewEvent>, Vec<Event>), (usize, ApiError)> {
        let head = self.head.read().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(requests.len());
        let mut stored = Vec::with_capacity(requests.len());
        for (i, req) in requests.iter().enumerate() {
            let (new, event) = self
                .admit_one(&head, req, actor, &out)
                .map_err(|e| (i, e))?;
            out.push(new);
            stored.push(event);
        }
        Ok((out, stored))
    }

    /// Admits one event against `state` and builds its record (`pending`:
    /// the batch's records before it); returns the record and the event as
    /// stored (personal data sealed).
    fn admit_one(
        &self,
        state: &Ledger,
        req: &AppendRequest,
        actor: &str,
        pending: &[NewEvent],
    ) -> Result<(NewEvent, Event), ApiError> {
        // an imported record time is when the event was recorded: never
        // later than now, or every record after it (they never go back)
        // would be stamped with it (the clock is read only for an event
        // that gives a time: most give none)
        let future = req
            .recorded_at
            .map(|t| (t, jiff::Timestamp::now()))
            .filter(|(t, now)| t > now);
        if let Some((given, now)) = future {
            return Err(ApiError::new(
                422,
                "Rule violated",
                format!(
                    "recorded_at {given} is later than now ({now}): a record time says when the log stored the event, never a time to come"
                ),
            )
            .field("recorded_at")
            .rule("G6"));
        }
        state.admit(&req.event)?;
        let sealed = self.seal(&req.event)?;
        let event = sealed.unwrap_or_else(|| req.event.clone());
        let payload = event.encode().map_err(ApiError::internal)?;
        let stream = match req.event.stream() {
            Some(s) => s,
            None => self.target_stream(state, &req.event, pending)?,
        };
        let new = NewEvent {
            event_id: req.event_id.unwrap_or_else(Uuid::now_v7),
            stream,
            expected_version: req.expected_version,
            kind: req.event.kind().as_str().to_string(),
            schema_version: req.event.schema_version(),
            payload,
            actor: req.actor.clone().unwrap_or_else(|| actor.to_string()),
            recorded_at: req.recorded_at,
        };
        Ok((new, event))
    }

    /// Appends exported records verbatim (`import --verbatim`): no admission
    /// rules (they were applied when the records were first stored, under the
    /// rules then in force), but each stored record must get exactly the
    /// exported `seq`, `prev_hash` and `hash`.
    ///
    /// # Errors
    /// A line that does not decode, lands at another seq, or whose hash differs.
    pub fn append_verbatim(
        &self,
        lines: &[crate::export::ExportLine],
    ) -> Result<Vec<Record>, String> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // Check every line against the chain before anything is written.
        let mut prev = self.with_head(|l| (l.at_seq(), l.head_hash()));
        let mut batch = Vec::with_capacity(lines.len());
        for l in lines {
            let new = l
                .to_new_event()
                .map_err(|e| format!("seq {}: {e}", l.seq))?;
            let record = Record {
                seq: l.seq,
                event_id: new.event_id,
                stream: new.stream.clone(),
                stream_version: l.stream_version,
                recorded_at: l.recorded_at,
                actor: new.actor.clone(),
                kind: new.kind.clone(),
                schema_version: new.schema_version,
                payload: new.payload.clone(),
                prev_hash: prev.1,
                hash: [0; 32],
            };
            if l.seq != prev.0 + 1 {
                return Err(format!(
                    "seq {}: the target log has {} records, so the next line must be seq {} (import an export into an empty data directory, or resume where it stopped; a line may be missing)",
                    l.seq,
                    prev.0,
                    prev.0 + 1
                ));
            }
            if hex::encode(prev.1) != l.prev_hash {
                return Err(format!(
                    "seq {}: its prev_hash {} is not the hash {} of seq {} (the export was changed)",
                    l.seq,
                    l.prev_hash,
                    hex::encode(prev.1),
                    prev.0
                ));
            }
            let computed = grantledger_store::record_hash(&prev.1, &record);
            let hash = hex::encode(computed);
            if hash != l.hash {
                return Err(format!(
                    "seq {}: its content gives the hash {hash}, not the exported {} (the line was edited)",
                    l.seq, l.hash
                ));
            }
            prev = (l.seq, computed);
            batch.push(new);
        }
        let records = match self.log.append_deferred(batch).map_err(|e| e.to_string())? {
            Appended::New(r) => r,
            Appended::Repeated(r) => r,
        };
        for (r, l) in records.iter().zip(lines) {
            if r.seq != l.seq
                || hex::encode(r.hash) != l.hash
                || hex::encode(r.prev_hash) != l.prev_hash
            {
                return Err(format!(
                    "seq {}: stored as seq {} with hash {}, the export says {} (is the target log empty, and the export intact?)",
                    l.seq,
                    r.seq,
                    hex::encode(r.hash),
                    l.hash
                ));
            }
        }
        {
            let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
            let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
            let known = head.at_seq();
            for r in records.iter().filter(|r| r.seq > known) {
                head.apply(&envelope(r).map_err(|e| e.to_string())?);
                tree.push(leaf_hash(&r.hash));
            }
            self.maybe_snapshot(&head);
            let erased: Vec<Uuid> = head.erased_participants().copied().collect();
            if let Some(keys) = self.log.keys() {
                for id in &erased {
                    keys.destroy_key(id).map_err(|e| e.to_string())?;
                }
            }
            self.erased
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .extend(erased);
        }
        if let Some(last) = records.last() {
            self.log.wait_durable(last.seq).map_err(|e| e.to_string())?;
        }
        Ok(records)
    }

    /// The stream of a correction / void: its target's stream. From the
    /// batch before it (`pending`), else from `state` when the target is a
    /// live fact never corrected there (its payload is then the stored one,
    /// which names the stream), else from the stored record.
    fn target_stream(
        &self,
        state: &Ledger,
        event: &Event,
        pending: &[NewEvent],
    ) -> Result<String, ApiError> {
        let target = match event {
            Event::EventCorrected(c) => c.target_event_id,
            Event::EventVoided(v) => v.target_event_id,
            _ => return Err(ApiError::internal("event without a stream")),
        };
        if let Some(p) = pending.iter().find(|p| p.event_id == target) {
            return Ok(p.stream.clone());
        }
        // A correction may change what names the stream (a session's run),
        // so only an uncorrected payload is taken for the stored one.
        let as_stored = state
            .seq_of(&target)
            .filter(|&seq| state.corrected_by(seq).next().is_none())
            .and_then(|seq| state.live(seq))
            .and_then(|live| live.event.stream());
        if let Some(stream) = as_stored {
            return Ok(stream);
        }
        // an import may still be writing the target's batch
        if let Some(seq) = state.seq_of(&target) {
            self.log.wait_durable(seq)?;
        }
        match self.log.get_by_id(&target)? {
            Some(r) => Ok(r.stream),
            None => Err(ApiError::new(
                422,
                "Rule violated",
                format!("no event {target} in the log"),
            )
            .field("data.target_event_id")
            .rule("G5")),
        }
    }

    /// Idempotency: `Some(originals)` when every request names an `event_id`
    /// already stored with identical content; `None` when none is stored.
    fn repeated(
        &self,
        requests: &[AppendRequest],
    ) -> Result<Option<Vec<Record>>, (usize, ApiError)> {
        let mut originals = Vec::new();
        let mut fresh = None;
        for (i, req) in requests.iter().enumerate() {
            // The head state knows written-but-not-yet-durable events too.
            let pending = req
                .event_id
                .and_then(|id| self.with_head(|l| l.seq_of(&id)));
            let stored = match pending {
                Some(seq) => {
                    self.log.wait_durable(seq).map_err(|e| (i, e.into()))?;
                    self.log.get(seq).map_err(|e| (i, e.into()))?
                }
                None => None,
            };
            match stored {
                None => fresh = fresh.or(Some(i)),
                Some(r) => {
                    let same = self.same_content(&r, &req.event)
                        && req.event.stream().is_none_or(|s| s == r.stream);
                    if !same {
                        return Err((
                            i,
                            ApiError::new(
                                409,
                                "Conflict",
                                format!(
                                    "event_id {} is already stored at seq {} with other content",
                                    r.event_id, r.seq
                                ),
                            )
                            .field("event_id")
                            .rule("idempotency"),
                        ));
                    }
                    originals.push((i, r));
                }
            }
        }
        match (fresh, originals.first()) {
            (None, _) => Ok(Some(originals.into_iter().map(|(_, r)| r).collect())),
            (Some(_), None) => Ok(None),
            (Some(_), Some((i, r))) => Err((
                *i,
                ApiError::new(
                    409,
                    "Conflict",
                    format!("event_id {} is already stored (seq {}) but other events of the batch are not; a batch is stored whole or not at all", r.event_id, r.seq),
                )
                .field("event_id")
                .rule("idempotency"),
            )),
        }
    }
}

/// Appends the batches of a bulk import ([`Service::import`]).
pub struct Importer<'s> {
    service: &'s Service,
    /// The writer thread of a service opened for an import.
    pipe: Option<Pipe<'s>>,
    /// New events written and durable so far.
    stored: u64,
    /// The write that failed: every later append fails with it.
    failed: Option<ApiError>,
}

/// Why [`Importer::append`] stored nothing of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The batch was refused (a rule, a conflict); the import may go on
    /// with other events.
    Refused(ApiError),
    /// Writing failed, or the store refused a batch admission had let
    /// through: nothing more can be imported. [`Importer::stored`] says how
    /// many new events are stored.
    Failed(ApiError),
}

impl ImportError {
    /// The error inside.
    pub fn error(&self) -> &ApiError {
        match self {
            ImportError::Refused(e) | ImportError::Failed(e) => e,
        }
    }
}

struct Pipe<'s> {
    /// Admitted batches to the writer thread (one waits while one is written).
    jobs: std::sync::mpsc::SyncSender<Vec<NewEvent>>,
    /// For each batch sent, in order: how many records it wrote, or why not.
    acks: std::sync::mpsc::Receiver<Result<u64, ApiError>>,
    in_flight: usize,
    _writer: std::sync::MutexGuard<'s, ()>,
}

impl Importer<'_> {
    /// Admits a batch (all or none, as [`Service::append_slice`]) and hands
    /// it to the writer; returns how many new events it holds (0 for an
    /// exact repeat of stored events). The batch is durable once
    /// [`Importer::drain`] or [`Service::import`] returns.
    ///
    /// A batch is admitted only after the batches before it are written
    /// when it needs the log as written: a report (it pins a checkpoint of
    /// the log), or an event id the head state already knows (an exact
    /// repeat, compared with the stored record).
    ///
    /// # Errors
    /// [`ImportError::Refused`] as [`Service::append_slice`] refuses (the
    /// batches before it are then durable); [`ImportError::Failed`] for a
    /// storage error, also an earlier batch's, after which every append
    /// fails. Nothing of the batch is stored either way.
    pub fn append(
        &mut self,
        requests: &mut [AppendRequest],
        actor: &str,
    ) -> Result<u64, ImportError> {
        if let Some(e) = &self.failed {
            return Err(ImportError::Failed(e.clone()));
        }
        let outcome = self.append_inner(requests, actor);
        match outcome {
            Ok(n) => Ok(n),
            Err(ImportError::Failed(e)) => {
                let e = self.service.after_failed_write(e);
                self.failed = Some(e.clone());
                Err(ImportError::Failed(e))
            }
            Err(refused) => Err(refused),
        }
    }

    fn append_inner(
        &mut self,
        requests: &mut [AppendRequest],
        actor: &str,
    ) -> Result<u64, ImportError> {
        let service = self.service;
        let Some(pipe) = self.pipe.as_mut() else {
            let out = service.append_slice(requests, actor).map_err(classify)?;
            let n = if out.repeated {
                0
            } else {
                out.records.len() as u64
            };
            self.stored += n;
            return Ok(n);
        };
        self.stored += pipe.collect().map_err(ImportError::Failed)?;
        if !service.can_write_behind(requests) {
            // the plain path, with the log written up to the head
            self.stored += pipe.drain().map_err(ImportError::Failed)?;
            let (records, repeated) = service
                .append_locked(requests, actor, false)
                .map_err(classify)?;
            if let Some(last) = records.iter().map(|r| r.seq).max() {
                service
                    .log
                    .wait_durable(last)
                    .map_err(|e| ImportError::Failed(e.into()))?;
            }
            let n = if repeated { 0 } else { records.len() as u64 };
            self.stored += n;
            return Ok(n);
        }
        let batch = {
            let mut head = service.head.write().unwrap_or_else(|p| p.into_inner());
            let base = head.at_seq();
            let admitted =
                service.admit_in_place(&mut head, requests, actor, |i, e| in_batch(true, i, e));
            let batch = match admitted {
                Ok(batch) => batch,
                Err(e) => {
                    // back to `base` once the writer has made the batches
                    // before it durable (it never takes the head's lock)
                    let drained = pipe.drain();
                    self.stored += drained.map_err(ImportError::Failed)?;
                    service
                        .restore_head(&mut head, base)
                        .map_err(ImportError::Failed)?;
                    return Err(classify(e));
                }
            };
            service.after_apply(&head);
            batch
        };
        let n = batch.len() as u64;
        if pipe.jobs.send(batch).is_err() {
            let e = match pipe.drain() {
                Ok(_) => ApiError::internal("the import's writer stopped"),
                Err(e) => e,
            };
            return Err(ImportError::Failed(e));
        }
        pipe.in_flight += 1;
        Ok(n)
    }

    /// Waits until every batch handed over is written and durable.
    ///
    /// # Errors
    /// The first write or durability error (then every append fails).
    pub fn drain(&mut self) -> Result<(), ApiError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        match pipe.drain() {
            Ok(n) => {
                self.stored += n;
                Ok(())
            }
            Err(e) => {
                let e = self.service.after_failed_write(e);
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// New events written and durable so far (batches still being written
    /// are counted once [`Importer::drain`] has waited for them).
    pub fn stored(&self) -> u64 {
        self.stored
    }
}

/// A refusal (4xx) may be followed by other appends; a server-side error
/// (5xx: storage) ends the import.
fn classify(e: ApiError) -> ImportError {
    if e.status >= 500 {
        ImportError::Failed(e)
    } else {
        ImportError::Refused(e)
    }
}

impl Pipe<'_> {
    /// Takes the acknowledgements already sent, without waiting; returns
    /// how many records they wrote.
    fn collect(&mut self) -> Result<u64, ApiError> {
        let mut written = 0;
        while self.in_flight > 0 {
            match self.acks.try_recv() {
                Ok(ack) => {
                    self.in_flight -= 1;
                    written += ack?;
                }
                Err(_) => break,
            }
        }
        Ok(written)
    }

    /// Waits for every acknowledgement; returns how many records they wrote.
    fn drain(&mut self) -> Result<u64, ApiError> {
        let mut written = 0;
        while self.in_flight > 0 {
            let ack = self
                .acks
                .recv()
                .map_err(|_| ApiError::internal("the import's writer stopped"))?;
            self.in_flight -= 1;
            written += ack?;
        }
        Ok(written)
    }
}

/// Folds records `ledger.at_seq()+1 ..= to_seq` of `log` into `ledger`.
///
/// # Errors
/// A storage error, or a record that does not decode.
pub fn fold(
    log: &dyn EventLog,
    ledger: Ledger,
    to_seq: u64,
) -> Result<Ledger, grantledger_store::StoreError> {
    fold_with(log, ledger, to_seq, |_| {})
}

/// [`fold`], also handing every envelope read to `on_record` before it is
/// applied. The envelopes carry no stream and no actor (empty strings):
/// the ledger reads neither, and a replay of 10^6 records saves two
/// allocations a record.
///
/// Pipelined: a reader thread reads records in chunks of [`REPLAY_CHUNK`],
/// decodes their events and builds their envelopes (dropping the encoded
/// payloads there) while the calling thread applies the previous chunk, so a
/// replay uses two cores and the calling thread does nothing but the fold.
///
/// # Errors
/// A storage error, or a record that does not decode.
pub fn fold_with(
    log: &dyn EventLog,
    mut ledger: Ledger,
    to_seq: u64,
    mut on_record: impl FnMut(&Envelope),
) -> Result<Ledger, grantledger_store::StoreError> {
    type Chunk = Result<Vec<(Envelope, Option<PreparedFact>)>, grantledger_store::StoreError>;
    let from = ledger.at_seq() + 1;
    if from > to_seq {
        return Ok(ledger);
    }
    ledger.reserve(to_seq - from + 1);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
        scope.spawn(move || {
            // one walk over the whole range, so that each stored chunk (up
            // to 120 KiB) is read and decoded once, not again by the next
            // call; the envelopes go to the fold REPLAY_CHUNK at a time
            let want = usize::try_from(to_seq - from + 1).unwrap_or(usize::MAX);
            let mut envelopes = Vec::with_capacity(REPLAY_CHUNK);
            let mut gone = false;
            let walked = log.read_range_views(from, want, &mut |r| {
                // the fact from the stored payload, here: the fold does not
                // encode the event again
                let fact = PreparedFact::of_stored(r.kind, r.schema_version, r.event_id, r.payload);
                envelopes.push((
                    Envelope {
                        seq: r.seq,
                        event_id: r.event_id,
                        stream: String::new(),
                        stream_version: r.stream_version,
                        recorded_at: r.recorded_at,
                        actor: String::new(),
                        event: decode_view(&r)?,
                        hash: r.hash,
                    },
                    fact,
                ));
                if envelopes.len() == REPLAY_CHUNK {
                    let full = std::mem::replace(&mut envelopes, Vec::with_capacity(REPLAY_CHUNK));
                    if tx.send(Ok(full)).is_err() {
                        // the fold stopped (its error is the answer)
                        gone = true;
                        return Err(std::io::Error::other("replay stopped").into());
                    }
                }
                Ok(())
            });
            if !gone {
                let _ = tx.send(walked.map(|()| envelopes));
            }
        });
        for chunk in rx {
            for (env, fact) in chunk? {
                on_record(&env);
                ledger.apply_prepared(env, fact);
            }
        }
        Ok(ledger)
    })
}

/// The SINEC fixture, for the tests below.
/// Checks a tree size or leaf position given as a query parameter:
/// `1 ≤ value ≤ bound`, where `bound` is what bounds it (`the log head`,
/// `tree_size`, `to`).
///
/// # Errors
/// 400 naming `name`, rule `range`:
/// `tree_size must be at least 1 and at most the log head (1291); got 0`.
pub(crate) fn check_tree_size(
    name: &str,
    value: u64,
    bound: u64,
    bound_name: &str,
) -> Result<(), ApiError> {
    if value == 0 || value > bound {
        return Err(ApiError::bad_param(
            name,
            format!("{name} must be at least 1 and at most {bound_name} ({bound}); got {value}"),
        )
        .rule("range"));
    }
    Ok(())
}

#[cfg(test)]
mod fixture {
    use crate::request::{parse_item, AppendRequest, Source};

    pub(super) const SINEC: &str = include_str!("../../../fixtures/sinec/events.jsonl");

    /// The fixture's lines as import requests.
    pub(super) fn requests() -> Vec<AppendRequest> {
        SINEC
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("fixture line is JSON");
                parse_item(&v, Source::Import).expect("fixture line parses")
            })
            .collect()
    }
}

#[cfg(test)]
mod fold_tests {
    //! The pipelined fold hands the envelopes over `REPLAY_CHUNK` at a time
    //! from one walk of the log: over several such batches and from any
    //! prefix, it ends in the state a replay of the same envelopes gives.

    use std::sync::Arc;

    use grantledger_store::MemLog;

    use super::*;

    #[test]
    fn a_fold_over_several_replay_batches_from_any_prefix_equals_replay() {
        let mut text = Vec::new();
        crate::request::gen::generate(300, 3, &mut text).expect("the generator writes");
        let text = String::from_utf8(text).expect("UTF-8");
        let reqs: Vec<AppendRequest> = text
            .lines()
            .map(|l| crate::request::parse_line(l).expect("a generated line parses"))
            .collect();
        let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
        let service = Service::open_for_import(log.clone(), None).expect("opens");
        for batch in reqs.chunks(1000) {
            service.append(batch.to_vec(), "test").expect("admitted");
        }
        let head = log.head().seq;
        assert!(head > 2 * REPLAY_CHUNK as u64 + 1, "{head} records");
        let envelopes: Vec<Envelope> = log
            .read_range(1, usize::MAX)
            .expect("reads")
            .iter()
            .map(|r| envelope(r).expect("decodes"))
            .collect();
        let whole = grantledger_projections::replay(&envelopes);
        let mut seen = 0u64;
        let folded = fold_with(log.as_ref(), Ledger::default(), head, |e| {
            seen += 1;
            assert_eq!(e.seq, seen);
        })
        .expect("folds");
        assert_eq!(seen, head);
        // both with facts prepared from the stored payloads (the fold's
        // reader, the import's admission) and encoded from the events
        // (replay): the same state
        assert_eq!(folded, whole);
        service.with_head(|l| assert!(*l == whole, "the imported head differs from replay"));
        for from in [1, REPLAY_CHUNK as u64, REPLAY_CHUNK as u64 + 1, head - 1] {
            let prefix = fold(log.as_ref(), Ledger::default(), from).expect("folds");
            assert_eq!(prefix.at_seq(), from);
            let rest = fold(log.as_ref(), prefix, head).expect("folds");
            assert_eq!(rest, whole, "from {from}");
        }
    }
}

#[cfg(test)]
mod snapshot_tests {
    //! Snapshots never change an answer: every figure at any (prefix, date)
    //! is the same from a service keeping snapshots every few records as
    //! from one folding every prefix from seq 1.

    use std::sync::{Arc, OnceLock};

    use grantledger_domain::Date;
    use grantledger_store::MemLog;
    use proptest::prelude::*;

    use super::*;

    use super::fixture::requests;

    /// The fixture appended in uneven batches to a service keeping snapshots
    /// every `every` records (so that snapshots are taken both while
    /// appending and, after a reopen, while opening).
    fn service(every: u64) -> Service {
        let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
        let first = Service::open_with(log.clone(), None, every).expect("opens");
        append_fixture(&first);
        Service::open_with(log, None, every).expect("reopens")
    }

    /// Appends the fixture to `first` in uneven batches (1, 14, 27 … events).
    fn append_fixture(first: &Service) {
        let reqs = requests();
        let mut i = 0;
        let mut size = 1;
        while i < reqs.len() {
            let end = (i + size).min(reqs.len());
            first
                .append(reqs[i..end].to_vec(), "test")
                .expect("fixture batch is admitted");
            i = end;
            size = size % 97 + 13;
        }
    }

    /// The fixture appended by a service opened for an import (no history,
    /// no snapshots), as an import leaves it.
    fn imported() -> &'static Service {
        static S: OnceLock<Service> = OnceLock::new();
        S.get_or_init(|| {
            let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
            let s = Service::open_for_import(log, None).expect("opens");
            append_fixture(&s);
            s
        })
    }

    fn figures(l: &Ledger, as_of: Date) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            l.indicators(as_of),
            l.findings(as_of),
            l.budget(as_of),
            l.participant_ids()
                .iter()
                .map(|id| l.participant(id, as_of))
                .collect::<Vec<_>>()
        )
    }

    fn services() -> &'static (Service, Service, Service) {
        static S: OnceLock<(Service, Service, Service)> = OnceLock::new();
        S.get_or_init(|| (service(0), service(50), service(7)))
    }

    #[test]
    fn snapshots_are_taken_while_appending_and_opening() {
        let (none, some, every) = services();
        assert!(none.snapshots.lock().unwrap().is_empty());
        let some = some.snapshots.lock().unwrap();
        assert!(some.len() >= 1291 / 50, "{} snapshots", some.len());
        assert!(
            some.keys().all(|s| s % 50 == 0),
            "opening snapshots every 50"
        );
        assert_eq!(every.snapshots.lock().unwrap().len(), 1291 / 7);
    }

    /// The head's history answers the indicators at every prefix of the
    /// SINEC log, at dates across the project, exactly like a fold of that
    /// prefix, and `indicators_at` gives the manifest of that prefix.
    #[test]
    fn the_history_answers_every_prefix_like_a_fold() {
        let (none, some, _) = services();
        let head = none.with_head(|h| h.at_seq());
        let days: Vec<Date> = (0..26)
            .map(|m| {
                Date::constant(2016, 9, 1)
                    .checked_add(jiff::Span::new().days(m * 31))
                    .unwrap()
            })
            .collect();
        let mut prefix = Ledger::default();
        for seq in 1..head {
            prefix = fold(none.log().as_ref(), prefix, seq).unwrap();
            for &as_of in &days {
                let want = prefix.indicator_values(as_of);
                for s in [none, some] {
                    let got = s.with_head(|h| h.indicator_values_at(as_of, seq));
                    assert_eq!(got.as_ref(), Some(&want), "as_of {as_of} at_seq {seq}");
                }
            }
            if seq % 97 == 0 {
                let point = crate::query::Point {
                    as_of: days[seq as usize % 26],
                    at_seq: Some(seq),
                    known_at: None,
                };
                let by_history = none.indicators_at(&point).unwrap();
                let by_fold = none
                    .at(&point, |l| l.indicator_values(point.as_of))
                    .unwrap();
                assert_eq!(by_history, by_fold, "at_seq {seq}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every figure at a random prefix and date is the same with and
        /// without snapshots.
        #[test]
        fn snapshots_never_change_an_answer(at_seq in 1u64..=1291, day in 0i64..800) {
            let (none, some, every) = services();
            let as_of = Date::constant(2016, 10, 1).checked_add(jiff::Span::new().days(day)).unwrap();
            let expected = none.read(Some(at_seq), |l| figures(l, as_of)).unwrap();
            prop_assert_eq!(&some.read(Some(at_seq), |l| figures(l, as_of)).unwrap(), &expected);
            prop_assert_eq!(&every.read(Some(at_seq), |l| figures(l, as_of)).unwrap(), &expected);
            // A ledger folded from seq 1, outside any service.
            let folded = fold(none.log().as_ref(), Ledger::default(), at_seq).unwrap();
            prop_assert_eq!(&figures(&folded, as_of), &expected);
        }

        /// A service opened for an import keeps neither the history nor
        /// snapshots, and answers every figure, and the indicators with their
        /// manifest, like a serving one.
        #[test]
        fn an_import_service_answers_like_a_serving_one(at_seq in 1u64..=1291, day in 0i64..800) {
            let (none, _, _) = services();
            let imported = imported();
            prop_assert!(!imported.with_head(Ledger::tracks_history));
            prop_assert!(imported.snapshots.lock().unwrap().is_empty());
            prop_assert_eq!(imported.with_head(|h| h.at_seq()), none.with_head(|h| h.at_seq()));
            let as_of = Date::constant(2016, 10, 1).checked_add(jiff::Span::new().days(day)).unwrap();
            prop_assert_eq!(
                imported.read(Some(at_seq), |l| figures(l, as_of)).unwrap(),
                none.read(Some(at_seq), |l| figures(l, as_of)).unwrap()
            );
            let point = crate::query::Point { as_of, at_seq: Some(at_seq), known_at: None };
            // (the two logs differ in their record times, so in their hashes)
            let (values, manifest) = imported.indicators_at(&point).unwrap();
            prop_assert_eq!(&values, &none.indicators_at(&point).unwrap().0);
            prop_assert_eq!((values, manifest), imported.at(&point, |l| l.indicator_values(as_of)).unwrap());
        }
    }
}

#[cfg(test)]
mod stream_tests {
    //! A correction or void joins its target's stream: the stream of the
    //! target's stored record, even after a correction changed what names it.

    use std::sync::Arc;

    use grantledger_store::MemLog;

    use super::*;
    use crate::request::{parse_item, Source};

    use super::fixture::SINEC;
    /// The fixture's session K01-1-S1 (run K01-1), line 81.
    const SESSION: &str = "9cf30e87-3583-5b2e-9aab-0437b28f9dcf";
    /// An attendance at it, line 82.
    const ATTENDANCE: &str = "c51adf0d-f171-5a9d-a528-86ecb09a162f";

    fn request(line: &str) -> AppendRequest {
        let v: serde_json::Value = serde_json::from_str(line).expect("test line is JSON");
        parse_item(&v, Source::Import).expect("test line parses")
    }

    fn stored_stream(s: &Service, event_id: &str) -> String {
        let id: Uuid = event_id.parse().expect("uuid");
        s.log.get_by_id(&id).expect("reads").expect("stored").stream
    }

    #[test]
    fn corrections_and_voids_join_the_stream_of_the_stored_target() {
        let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
        let s = Service::open(log, None).expect("opens");
        let first: Vec<AppendRequest> = SINEC.lines().take(83).map(request).collect();
        s.append(first, "test").expect("fixture lines are admitted");
        // the session moved to run K02-1 (same session id: G5 allows it)
        let moved = format!(
            r#"{{"event_id":"00000000-0000-4000-8000-000000000001","kind":"event_corrected","data":{{"target_event_id":"{SESSION}","replacement":{{"kind":"session_held","data":{{"session_id":"K01-1-S1","run_id":"K02-1","date":"2016-10-19","hours":"8"}}}},"reason":"test: moved to another run"}}}}"#
        );
        let attendance = format!(
            r#"{{"event_id":"00000000-0000-4000-8000-000000000002","kind":"event_corrected","data":{{"target_event_id":"{ATTENDANCE}","replacement":{{"kind":"attendance_recorded","data":{{"participant_id":"7ce147a0-8d17-5228-a341-f0bfeb0f0dbc","session_id":"K01-1-S1","hours":"6","sheet_ref":"PL-K01-1-S1"}}}},"reason":"test: fewer hours"}}}}"#
        );
        // in one batch and then alone: both the batch path and the single one
        s.append(vec![request(&moved), request(&attendance)], "test")
            .expect("corrections are admitted");
        let void = format!(
            r#"{{"event_id":"00000000-0000-4000-8000-000000000003","kind":"event_voided","data":{{"target_event_id":"{SESSION}","reason":"test: never held"}}}}"#
        );
        let void_attendance = format!(
            r#"{{"event_id":"00000000-0000-4000-8000-000000000004","kind":"event_voided","data":{{"target_event_id":"{ATTENDANCE}","reason":"test: entered twice"}}}}"#
        );
        s.append(vec![request(&void_attendance)], "test")
            .expect("void of the corrected attendance is admitted");
        s.append(vec![request(&void)], "test")
            .expect("void of the moved session is admitted");
        assert_eq!(stored_stream(&s, SESSION), "run-K01-1");
        for id in [
            "00000000-0000-4000-8000-000000000001",
            "00000000-0000-4000-8000-000000000003",
        ] {
            assert_eq!(stored_stream(&s, id), "run-K01-1", "{id}");
        }
        let participant = "participant-7ce147a0-8d17-5228-a341-f0bfeb0f0dbc";
        for id in [
            "00000000-0000-4000-8000-000000000002",
            "00000000-0000-4000-8000-000000000004",
        ] {
            assert_eq!(stored_stream(&s, id), participant, "{id}");
        }
    }
}

#[cfg(test)]
mod actor_tests {
    use std::sync::Arc;

    use grantledger_store::MemLog;

    use super::*;
    use crate::request::{parse_item, Source};

    /// An HTTP append's actor is its token's `role:name`; a name written
    /// before the text rules applied to token names (or by hand) is refused
    /// with 400 naming `actor`, and nothing is stored.
    #[test]
    fn an_append_whose_actor_breaks_the_text_rules_is_refused_and_nothing_is_stored() {
        let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
        let s = Service::open(log, None).expect("opens");
        let line = super::fixture::SINEC.lines().next().expect("a first line");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let mut req = parse_item(&v, Source::Import).expect("parses");
        req.actor = None;
        for (actor, detail) in [
            (
                "manager:Jana\u{202E}",
                "text contains the bidirectional formatting character U+202E",
            ),
            (
                "manager:Jana\u{9b}",
                "text contains the control character U+009B",
            ),
        ] {
            let e = s.append(vec![req.clone()], actor).unwrap_err();
            assert_eq!(
                (
                    e.status,
                    e.field.as_deref(),
                    e.rule.as_deref(),
                    e.detail.as_str()
                ),
                (400, Some("actor"), Some("schema"), detail)
            );
        }
        let long = format!("manager:{}", "x".repeat(3000));
        let e = s.append(vec![req.clone()], &long).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref(), e.rule.as_deref()),
            (400, Some("actor"), Some("range"))
        );
        assert_eq!(s.log().head().seq, 0, "nothing is stored");
        s.append(vec![req], "manager:Jana Králová")
            .expect("a clean actor");
        assert_eq!(s.log().head().seq, 1);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use std::sync::Arc;

    use grantledger_store::MemLog;

    use super::*;
    use crate::request::{parse_item, Source};

    /// `tree_size` 0 is a bad parameter (400, rule `range`), not an empty
    /// log (regression: it answered 404 "the log is empty"); only the head's
    /// checkpoint of an empty log is 404.
    #[test]
    fn a_checkpoint_of_tree_size_zero_or_beyond_the_head_is_a_bad_parameter() {
        let dir = tempfile::tempdir().expect("temp dir");
        let notary = Notary::open(dir.path(), None).expect("a key");
        let s = Service::open(Arc::new(MemLog::new()), Some(notary)).expect("opens");
        let problem = |e: ApiError| (e.status, e.field, e.rule, e.detail);
        assert_eq!(s.checkpoint(None).unwrap_err().status, 404);
        assert_eq!(
            problem(s.checkpoint(Some(0)).unwrap_err()),
            (
                400,
                Some("tree_size".to_string()),
                Some("range".to_string()),
                "tree_size must be at least 1 and at most the log head (0); got 0".to_string()
            )
        );
        let line = super::fixture::SINEC.lines().next().expect("a first line");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        s.append(
            vec![parse_item(&v, Source::Import).expect("parses")],
            "test",
        )
        .expect("stored");
        for size in [0, 2] {
            assert_eq!(
                problem(s.checkpoint(Some(size)).unwrap_err()),
                (
                    400,
                    Some("tree_size".to_string()),
                    Some("range".to_string()),
                    format!(
                        "tree_size must be at least 1 and at most the log head (1); got {size}"
                    )
                )
            );
        }
        assert_eq!(
            s.checkpoint(Some(1)).expect("signed").checkpoint.tree_size,
            1
        );
        assert_eq!(s.checkpoint(None).expect("signed").checkpoint.tree_size, 1);
    }
}

#[cfg(test)]
mod import_tests {
    //! A bulk import admits a batch while the one before it is written
    //! ([`Service::import`]): it stores exactly what plain appends store,
    //! and a refused batch leaves the batches before it stored.

    use std::sync::Arc;

    use grantledger_domain::Date;
    use grantledger_store::MemLog;

    use super::*;
    use crate::request::{parse_item, Source};

    use super::fixture::requests;

    fn for_import() -> Service {
        let log: Arc<dyn EventLog> = Arc::new(MemLog::new());
        Service::open_for_import(log, None).expect("opens")
    }

    fn records(s: &Service) -> Vec<Record> {
        s.log().read_range(1, usize::MAX).expect("reads")
    }

    /// Both logs hold the same records (the first difference named); a
    /// registration's payload is sealed with each log's own key, and so are
    /// the hashes from there on.
    fn same_records(a: &Service, b: &Service) {
        let (a, b) = (records(a), records(b));
        assert_eq!(a.len(), b.len(), "record counts");
        let fields = |r: &Record| {
            let sealed = r.kind == "participant_registered";
            (
                r.seq,
                r.event_id,
                r.stream.clone(),
                r.stream_version,
                r.recorded_at,
                r.actor.clone(),
                r.kind.clone(),
                r.schema_version,
                (!sealed).then(|| r.payload.clone()),
            )
        };
        if let Some((x, y)) = a.iter().zip(&b).find(|(x, y)| fields(x) != fields(y)) {
            panic!(
                "seq {}: {} {} v{} {} | {} {} v{} {}",
                x.seq,
                x.event_id,
                x.stream,
                x.stream_version,
                x.recorded_at,
                y.event_id,
                y.stream,
                y.stream_version,
                y.recorded_at
            );
        }
    }

    /// Imports `reqs` in batches of `size` (reports go alone, as the CLI
    /// sends them); returns the new events counted.
    fn import(s: &Service, reqs: &[AppendRequest], size: usize) -> Result<u64, ImportError> {
        s.import(|imp| {
            let mut n = 0;
            let mut batch = Vec::new();
            for r in reqs {
                let alone = matches!(r.event, Event::ReportSubmitted(_));
                if alone && !batch.is_empty() {
                    n += imp.append(&mut std::mem::take(&mut batch), "test")?;
                }
                batch.push(r.clone());
                if alone || batch.len() >= size {
                    n += imp.append(&mut std::mem::take(&mut batch), "test")?;
                }
            }
            if !batch.is_empty() {
                n += imp.append(&mut batch, "test")?;
            }
            Ok(n)
        })
        .map_err(ImportError::Failed)?
    }

    #[test]
    fn the_import_stores_what_plain_appends_store() {
        let reqs = requests();
        let piped = for_import();
        assert_eq!(import(&piped, &reqs, 37), Ok(reqs.len() as u64));
        let plain = for_import();
        for chunk in reqs.chunks(37) {
            plain.append(chunk.to_vec(), "test").expect("admitted");
        }
        same_records(&piped, &plain);
        let head = piped.log().head();
        assert_eq!(head.seq, reqs.len() as u64);
        assert_eq!(
            piped.with_head(|l| (l.at_seq(), l.head_hash())),
            (head.seq, head.hash)
        );
        let refolded = fold(piped.log().as_ref(), Ledger::default(), head.seq).expect("folds");
        assert!(
            piped.with_head(|l| *l == refolded),
            "the head is the log's state"
        );
        let day = Date::constant(2018, 9, 30);
        assert_eq!(
            piped.with_head(|l| (l.indicators(day), l.findings(day), l.budget(day))),
            plain.with_head(|l| (l.indicators(day), l.findings(day), l.budget(day)))
        );
        let mut tree = MerkleTree::new();
        for r in records(&piped) {
            tree.push(leaf_hash(&r.hash));
        }
        assert_eq!(
            piped.with_tree(|t| t.root(head.seq)).expect("root"),
            tree.root(head.seq).expect("root"),
            "the Merkle tree holds the written records"
        );
    }

    #[test]
    fn a_refused_batch_leaves_the_batches_before_it_stored_and_the_import_goes_on() {
        let reqs = requests();
        let s = for_import();
        assert_eq!(import(&s, &reqs[..300], 50), Ok(300));
        let mut bad = reqs[300..310].to_vec();
        // an attendance of a participant who is not registered (R1.1)
        let stranger = r#"{"kind":"attendance_recorded","data":{"participant_id":"00000000-0000-4000-8000-0000000000aa","session_id":"K01-1-S1","hours":"2","sheet_ref":"PL-X"}}"#;
        bad[4] = parse_item(
            &serde_json::from_str(stranger).expect("json"),
            Source::Import,
        )
        .expect("parses");
        let refused = s
            .import(|imp| imp.append(&mut bad, "test"))
            .expect("no write error");
        let Err(ImportError::Refused(e)) = refused else {
            panic!("the batch is refused: {refused:?}");
        };
        assert_eq!(
            e.field.as_deref(),
            Some("events[4].data.participant_id"),
            "{e:?}"
        );
        assert_eq!(s.log().head().seq, 300);
        let refolded = fold(s.log().as_ref(), Ledger::default(), 300).expect("folds");
        assert!(
            s.with_head(|l| *l == refolded),
            "the head is the log's 300 records"
        );
        // an event id of an earlier batch, with other content: refused by the store's rules
        let mut reused = reqs[310..320].to_vec();
        reused[3].event_id = reqs[10].event_id;
        let e = s
            .import(|imp| imp.append(&mut reused, "test"))
            .expect("no write error")
            .expect_err("a reused event id is refused");
        assert_eq!(e.error().rule.as_deref(), Some("idempotency"), "{e:?}");
        // an exact repeat of stored events is nothing new
        let mut again = reqs[250..300].to_vec();
        assert_eq!(s.import(|imp| imp.append(&mut again, "test")), Ok(Ok(0)));
        assert_eq!(import(&s, &reqs[300..], 50), Ok((reqs.len() - 300) as u64));
        let plain = for_import();
        plain.append(reqs.clone(), "test").expect("admitted");
        same_records(&s, &plain);
    }

    /// An imported record time later than now is refused (G6), naming it,
    /// with nothing of its batch stored: it would stamp every later record
    /// (a fresh-user trial imported `2100-01-01T00:00:00Z` and every append
    /// after it got that time).
    #[test]
    fn a_record_time_in_the_future_is_refused() {
        let reqs = requests();
        let s = for_import();
        assert_eq!(import(&s, &reqs[..20], 50), Ok(20));
        let mut batch = reqs[20..25].to_vec();
        batch[1].recorded_at = Some("2100-01-01T00:00:00Z".parse().expect("a time"));
        let e = s
            .append_slice(&mut batch, "test")
            .map(|o| o.records.len())
            .expect_err("refused");
        assert_eq!(
            (e.field.as_deref(), e.rule.as_deref()),
            (Some("events[1].recorded_at"), Some("G6")),
            "{e:?}"
        );
        assert!(e.detail.contains("later than now"), "{e:?}");
        assert_eq!(s.log().head().seq, 20, "nothing of the batch is stored");
        // one event alone (the import retries a refused batch line by line)
        let mut alone = batch[1..2].to_vec();
        let e = s
            .append_slice(&mut alone, "test")
            .map(|o| o.records.len())
            .expect_err("refused");
        assert_eq!(
            (e.field.as_deref(), e.rule.as_deref()),
            (Some("recorded_at"), Some("G6")),
            "{e:?}"
        );
        let e = s
            .append(alone, "test")
            .map(|o| o.records.len())
            .expect_err("refused");
        assert_eq!(e.rule.as_deref(), Some("G6"), "{e:?}");
        assert_eq!(s.log().head().seq, 20, "nothing is stored");
    }

    /// An event without `recorded_at` gets the current time; an event after
    /// it in the same batch with an explicit earlier time is refused (G6)
    /// by admission, naming it, and the batches before it stay stored with
    /// nothing skipped (a fresh-user trial found the store refusing it on
    /// the writer thread, and the import going on after a gap).
    #[test]
    fn a_record_time_going_back_after_one_set_now_is_refused_by_admission() {
        let reqs = requests();
        for piped in [true, false] {
            let s = for_import();
            assert_eq!(import(&s, &reqs[..300], 50), Ok(300));
            let mut batch = reqs[300..310].to_vec();
            batch[2].recorded_at = None;
            let outcome = if piped {
                s.import(|imp| imp.append(&mut batch, "test"))
                    .expect("no write error")
                    .map_err(|e| e.error().clone())
            } else {
                s.append_slice(&mut batch, "test")
                    .map(|o| o.records.len() as u64)
            };
            let e = outcome.expect_err("refused");
            assert_eq!(
                (e.field.as_deref(), e.rule.as_deref()),
                (Some("events[3].recorded_at"), Some("G6")),
                "{e:?}"
            );
            assert_eq!(s.log().head().seq, 300, "nothing of the batch is stored");
            // the rest goes on from line 301, without the event set to now
            assert_eq!(import(&s, &reqs[300..], 50), Ok((reqs.len() - 300) as u64));
            assert_eq!(s.log().head().seq, reqs.len() as u64);
        }
    }
}
