//! The ledger service: admission and append of events, and the ledger state of
//! any log prefix. Shared by the HTTP API and the CLI (`import`).

use std::sync::{Arc, Mutex, RwLock};

use grantledger_domain::{Envelope, Event};
use grantledger_projections::{Ledger, Projection};
use grantledger_store::{Appended, EventLog, NewEvent, Record};
use uuid::Uuid;

use crate::request::AppendRequest;
use crate::ApiError;

/// Records read per chunk when replaying the log.
const REPLAY_CHUNK: usize = 4096;
/// Older prefixes kept folded for repeated point-in-time queries.
const PREFIX_CACHE: usize = 4;

/// Decodes a stored record into an envelope.
///
/// # Errors
/// A storage error naming the seq when the payload does not decode.
pub fn envelope(r: &Record) -> Result<Envelope, grantledger_store::StoreError> {
    let event = Event::decode(&r.kind, r.schema_version, &r.payload).map_err(|e| {
        grantledger_store::StoreError::Corrupt {
            seq: r.seq,
            reason: e.to_string(),
        }
    })?;
    Ok(Envelope {
        seq: r.seq,
        event_id: r.event_id,
        stream: r.stream.clone(),
        stream_version: r.stream_version,
        recorded_at: r.recorded_at,
        actor: r.actor.clone(),
        event,
        hash: r.hash,
    })
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
    head: RwLock<Ledger>,
    writer: Mutex<()>,
    prefixes: Mutex<Vec<Arc<Ledger>>>,
}

impl Service {
    /// Opens the service over `log`, folding the whole log into the head state.
    ///
    /// # Errors
    /// A storage error, or a record that does not decode.
    pub fn open(log: Arc<dyn EventLog>) -> Result<Service, grantledger_store::StoreError> {
        let head_seq = log.head().seq;
        let head = fold(log.as_ref(), Ledger::default(), head_seq)?;
        Ok(Service {
            log,
            head: RwLock::new(head),
            writer: Mutex::new(()),
            prefixes: Mutex::new(Vec::new()),
        })
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
        let at_seq = at_seq.unwrap_or_default();
        let cached = {
            let cache = self.prefixes.lock().unwrap_or_else(|p| p.into_inner());
            cache.iter().find(|l| l.at_seq() == at_seq).cloned()
        };
        let ledger = match cached {
            Some(l) => l,
            None => {
                let l = Arc::new(fold(self.log.as_ref(), Ledger::default(), at_seq)?);
                let mut cache = self.prefixes.lock().unwrap_or_else(|p| p.into_inner());
                cache.insert(0, l.clone());
                cache.truncate(PREFIX_CACHE);
                l
            }
        };
        Ok(f(&ledger))
    }

    /// Admits and appends a batch atomically (all or none), durably.
    ///
    /// Order of checks: idempotency (every `event_id` already stored with the
    /// same content → the originals, nothing stored), then each event's
    /// admission rules against the state including the batch's earlier events,
    /// then expected versions (in the store).
    ///
    /// # Errors
    /// 409 for a reused `event_id` with other content or a version conflict,
    /// 422 for a rule (field named `events[i].data…` in a batch), 500 for storage.
    pub fn append(
        &self,
        requests: Vec<AppendRequest>,
        actor: &str,
    ) -> Result<AppendOutcome, ApiError> {
        let batch = requests.len() > 1;
        let at = |i: usize, e: ApiError| -> ApiError {
            if batch {
                let field = e
                    .field
                    .clone()
                    .map_or(format!("events[{i}]"), |f| format!("events[{i}].{f}"));
                ApiError {
                    field: Some(field),
                    ..e
                }
            } else {
                e
            }
        };
        let (records, repeated) = {
            let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            match self.repeated(&requests).map_err(|(i, e)| at(i, e))? {
                Some(originals) => (originals, true),
                None => {
                    let new_events = self.admit(&requests, actor).map_err(|(i, e)| at(i, e))?;
                    match self.log.append_deferred(new_events)? {
                        Appended::New(records) => {
                            let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
                            for r in &records {
                                head.apply(&envelope(r)?);
                            }
                            (records, false)
                        }
                        Appended::Repeated(originals) => (originals, true),
                    }
                }
            }
        };
        // Outside the writer lock: concurrent appends share one barrier (group commit).
        if let Some(last) = records.iter().map(|r| r.seq).max() {
            self.log.wait_durable(last)?;
        }
        Ok(AppendOutcome { records, repeated })
    }

    /// Runs the admission rules over the batch, each event against the state
    /// including the batch's earlier events, and builds the records to write.
    fn admit(
        &self,
        requests: &[AppendRequest],
        actor: &str,
    ) -> Result<Vec<NewEvent>, (usize, ApiError)> {
        let head = self.head.read().unwrap_or_else(|p| p.into_inner());
        let mut scratch = (requests.len() > 1).then(|| head.clone());
        let mut out = Vec::with_capacity(requests.len());
        for (i, req) in requests.iter().enumerate() {
            let state = scratch.as_ref().unwrap_or(&head);
            state.admit(&req.event).map_err(|r| (i, r.into()))?;
            let stream = match req.event.stream() {
                Some(s) => s,
                None => self.target_stream(&req.event, &out).map_err(|e| (i, e))?,
            };
            let new = NewEvent {
                event_id: req.event_id.unwrap_or_else(Uuid::now_v7),
                stream,
                expected_version: req.expected_version,
                kind: req.event.kind().as_str().to_string(),
                schema_version: req.event.schema_version(),
                payload: req.event.encode(),
                actor: req.actor.clone().unwrap_or_else(|| actor.to_string()),
                recorded_at: req.recorded_at,
            };
            if let Some(s) = scratch.as_mut() {
                s.apply(&Envelope {
                    seq: head.at_seq() + i as u64 + 1,
                    event_id: new.event_id,
                    stream: new.stream.clone(),
                    stream_version: 0,
                    recorded_at: jiff::Timestamp::UNIX_EPOCH,
                    actor: new.actor.clone(),
                    event: req.event.clone(),
                    hash: [0; 32],
                });
            }
            out.push(new);
        }
        Ok(out)
    }

    /// The stream of a correction / void: its target's stream.
    fn target_stream(&self, event: &Event, pending: &[NewEvent]) -> Result<String, ApiError> {
        let target = match event {
            Event::EventCorrected(c) => c.target_event_id,
            Event::EventVoided(v) => v.target_event_id,
            _ => return Err(ApiError::internal("event without a stream")),
        };
        if let Some(p) = pending.iter().find(|p| p.event_id == target) {
            return Ok(p.stream.clone());
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
                    let same = r.kind == req.event.kind().as_str()
                        && r.payload == req.event.encode()
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

/// Folds records `ledger.at_seq()+1 ..= to_seq` of `log` into `ledger`.
///
/// # Errors
/// A storage error, or a record that does not decode.
pub fn fold(
    log: &dyn EventLog,
    mut ledger: Ledger,
    to_seq: u64,
) -> Result<Ledger, grantledger_store::StoreError> {
    let mut next = ledger.at_seq() + 1;
    while next <= to_seq {
        let want = usize::try_from(to_seq - next + 1)
            .unwrap_or(usize::MAX)
            .min(REPLAY_CHUNK);
        let records = log.read_range(next, want)?;
        if records.is_empty() {
            break;
        }
        for r in &records {
            ledger.apply(&envelope(r)?);
        }
        next = records.last().map_or(to_seq + 1, |r| r.seq + 1);
    }
    Ok(ledger)
}
