//! Parsing append requests: the HTTP body of `POST /api/v1/events` (one event
//! or `{"events": [...]}`) and the lines of an import file.

use grantledger_domain::{Event, Rejection, RULE_RANGE, RULE_SCHEMA};
use jiff::Timestamp;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::ApiError;

/// One event to append, parsed and validated (stateless rules passed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendRequest {
    /// The client's idempotency key; the server makes a UUIDv7 when absent.
    pub event_id: Option<Uuid>,
    /// Optimistic concurrency: the stream's version before this event (0 = new stream).
    pub expected_version: Option<u64>,
    /// The domain event.
    pub event: Event,
    /// Import only: the original record time (verbatim import of fixtures / exports).
    pub recorded_at: Option<Timestamp>,
    /// Import only: the original actor.
    pub actor: Option<String>,
}

/// Which envelope fields a request may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// HTTP: `event_id`, `kind`, `expected_version`, `data`.
    Http,
    /// Import file: also `recorded_at` and `actor`.
    Import,
}

/// Parses a `POST /api/v1/events` body: a single event object or
/// `{"events": [ ... ]}` (1 to `max_batch` events).
///
/// # Errors
/// 400 naming the field (`events[2].data.hours`) for malformed JSON, unknown or
/// missing fields, bad values, or a batch that is empty or too large.
pub fn parse_body(body: &[u8], max_batch: usize) -> Result<Vec<AppendRequest>, ApiError> {
    parse_body_form(body, max_batch).map(|(requests, _)| requests)
}

/// [`parse_body`], and whether the body is in batch form (`{"events": [...]}`).
///
/// # Errors
/// As [`parse_body`].
pub fn parse_body_form(
    body: &[u8],
    max_batch: usize,
) -> Result<(Vec<AppendRequest>, bool), ApiError> {
    let value: Value = parse_json(body).map_err(|e| {
        let error = ApiError::new(
            400,
            "Bad request",
            format!("the body is not valid JSON: {}", e.error),
        )
        .rule(RULE_SCHEMA);
        match e.field {
            Some(field) => error.field(field),
            None => error,
        }
    })?;
    let Value::Object(obj) = value else {
        return Err(malformed(
            "",
            "the body must be a JSON object: one event or {\"events\": [...]}",
        ));
    };
    if obj.contains_key("events") {
        if obj.len() != 1 {
            let extra = obj
                .keys()
                .find(|k| *k != "events")
                .cloned()
                .unwrap_or_default();
            return Err(malformed(
                &extra,
                "a batch body has only the field `events`",
            ));
        }
        let Some(Value::Array(items)) = obj.get("events") else {
            return Err(malformed("events", "`events` is an array of events"));
        };
        if items.is_empty() {
            return Err(malformed("events", "the batch has no events"));
        }
        if items.len() > max_batch {
            return Err(ApiError::new(
                413,
                "Payload too large",
                format!(
                    "a batch holds at most {max_batch} events; this one has {}",
                    items.len()
                ),
            )
            .field("events")
            .rule("max_batch"));
        }
        let requests = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                parse_item(item, Source::Http)
                    .map_err(|r| ApiError::from(r.under(&format!("events[{i}]"))))
            })
            .collect::<Result<_, _>>()?;
        Ok((requests, true))
    } else {
        let one = parse_item(&Value::Object(obj), Source::Http).map_err(ApiError::from)?;
        Ok((vec![one], false))
    }
}

/// JSON text that [`parse_json`] refused: serde_json's error (its message
/// gives the line and column) and, for a repeated key, where the key is
/// (`data.hours`, `events[2].data.hours`).
#[derive(Debug)]
pub struct JsonError {
    /// The repeated key's place, as fields are named in errors; `None` for
    /// JSON that is malformed.
    pub field: Option<String>,
    /// What is wrong, with its line and column.
    pub error: serde_json::Error,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for JsonError {}

/// Parses JSON text into a [`Value`], refusing an object that repeats a key
/// (`{"hours": "9", "hours": "1"}`): plain `serde_json` keeps the last one
/// silently, so what is stored would not be what the client may think it
/// sent. The error names the key, its place and its line and column.
///
/// # Errors
/// Malformed JSON, or the first repeated key.
pub fn parse_json(text: &[u8]) -> Result<Value, JsonError> {
    use serde::de::DeserializeSeed;
    let repeated = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(text);
    let seed = UniqueKeys {
        at: &Place::Root,
        repeated: &repeated,
    };
    let value = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|error| JsonError {
        field: repeated.into_inner(),
        error,
    })
}

/// Where a JSON value is, built on the stack as the parser descends (a
/// string only when a key is repeated).
enum Place<'a> {
    Root,
    Key(&'a Place<'a>, &'a str),
    Index(&'a Place<'a>, usize),
}

impl Place<'_> {
    /// The place as fields are named in errors: `data.hours`, `events[2]`.
    fn field(&self) -> String {
        match self {
            Place::Root => String::new(),
            Place::Key(Place::Root, key) => (*key).to_owned(),
            Place::Key(parent, key) => format!("{}.{key}", parent.field()),
            Place::Index(parent, i) => format!("{}[{i}]", parent.field()),
        }
    }
}

/// Deserialises a JSON value whose objects have no repeated key (see
/// [`parse_json`]); the first repeated key's place goes to `repeated`.
#[derive(Clone, Copy)]
struct UniqueKeys<'a> {
    at: &'a Place<'a>,
    repeated: &'a std::cell::RefCell<Option<String>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = Place::Index(self.at, items.len());
            let seed = UniqueKeys { at: &at, ..self };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Place::Key(self.at, &key);
            if out.contains_key(&key) {
                *self.repeated.borrow_mut() = Some(at.field());
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object"
                )));
            }
            let v = map.next_value_seed(UniqueKeys { at: &at, ..self })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// A 400 under rule `schema`, naming `field` (none for the body as a whole,
/// `field` empty: as for a body that is not JSON).
fn malformed(field: &str, message: &str) -> ApiError {
    let e = ApiError::new(400, "Bad request", message).rule(RULE_SCHEMA);
    if field.is_empty() {
        e
    } else {
        e.field(field)
    }
}

/// Parses one event object (`{event_id?, kind, expected_version?, data}`, and
/// for imports `recorded_at?`, `actor?`) and runs its stateless validation.
///
/// # Errors
/// A `Malformed` [`Rejection`] naming the field relative to the event.
pub fn parse_item(item: &Value, source: Source) -> Result<AppendRequest, Rejection> {
    let Value::Object(obj) = item else {
        return Err(Rejection::malformed(
            "",
            RULE_SCHEMA,
            "an event must be a JSON object {kind, data, ...}",
        ));
    };
    let allowed: &[&str] = match source {
        Source::Http => &["event_id", "kind", "expected_version", "data"],
        Source::Import => &[
            "event_id",
            "kind",
            "expected_version",
            "data",
            "recorded_at",
            "actor",
        ],
    };
    if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Rejection::malformed(
            unknown.clone(),
            RULE_SCHEMA,
            format!(
                "unknown field `{unknown}`, expected one of {}",
                allowed.join(", ")
            ),
        ));
    }
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k.clone(),
        Some(_) => {
            return Err(Rejection::malformed(
                "kind",
                RULE_SCHEMA,
                "`kind` is a string such as \"attendance_recorded\"",
            ))
        }
        None => {
            return Err(Rejection::malformed(
                "kind",
                RULE_SCHEMA,
                "missing field `kind`",
            ))
        }
    };
    let data = match obj.get("data") {
        Some(d @ Value::Object(_)) => d,
        Some(_) => {
            return Err(Rejection::malformed(
                "data",
                RULE_SCHEMA,
                "`data` must be a JSON object",
            ))
        }
        None => {
            return Err(Rejection::malformed(
                "data",
                RULE_SCHEMA,
                "missing field `data`",
            ))
        }
    };
    check_texts(data, &Place::Key(&Place::Root, "data"))?;
    let event = Event::from_json(&kind, data)?;
    event.validate().map_err(|r| r.under("data"))?;
    Ok(AppendRequest {
        event,
        event_id: optional(
            obj,
            "event_id",
            |v| {
                v.as_str()
                    .and_then(|s| grantledger_domain::parse_uuid(s).ok())
            },
            "a UUID written as 8-4-4-4-12 hex digits",
        )?,
        expected_version: optional(obj, "expected_version", Value::as_u64, "a whole number ≥ 0")?,
        recorded_at: optional(
            obj,
            "recorded_at",
            |v| v.as_str().and_then(|s| s.parse().ok()),
            "an RFC 3339 instant with at most 9 fraction digits, such as 2017-03-02T08:30:00Z",
        )?,
        actor: match optional(
            obj,
            "actor",
            |v| {
                v.as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
            },
            "a non-empty string",
        )? {
            Some(actor) => {
                check_text(&actor, "actor")?;
                Some(actor)
            }
            None => None,
        },
    })
}

/// The longest text accepted in any string field, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// What makes `c` refused in any text, if anything: a control character
/// (C0, DEL, C1); a bidirectional formatting character (embedding, override,
/// isolate, or the marks LRM, RLM, ALM); a line or paragraph separator
/// (U+2028, U+2029: a line break by another name); an invisible character
/// (zero-width space, a byte-order mark inside text); a noncharacter
/// (U+FDD0–U+FDEF, U+FFFE and U+FFFF of every plane: never text). Each makes
/// a text print differently from what is stored, or is not text at all.
fn bad_char(c: char) -> Option<&'static str> {
    match c {
        _ if c.is_control() => Some("the control character"),
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => Some("the bidirectional formatting character"),
        '\u{2028}' | '\u{2029}' => Some("the line or paragraph separator"),
        '\u{200B}' | '\u{FEFF}' => Some("the invisible character"),
        // U+FDD0–U+FDEF and the last two code points of every plane
        '\u{FDD0}'..='\u{FDEF}' => Some("the noncharacter"),
        _ if c as u32 & 0xFFFE == 0xFFFE => Some("the noncharacter"),
        _ => None,
    }
}

/// Whether `c` is refused in any text ([`bad_char`]).
fn is_bad_char(c: char) -> bool {
    bad_char(c).is_some()
}

/// The text rules of every string a client sends (the texts in `data`, an
/// import line's `actor`, a token's name): at most [`MAX_TEXT_CHARS`]
/// characters (rule `range`), no control character (C0, DEL, C1) and no
/// bidirectional override or isolate (rule `schema`; text that would print
/// differently from what is stored).
///
/// # Errors
/// A `Malformed` [`Rejection`] naming `field` (`actor`).
pub fn check_text(text: &str, field: &str) -> Result<(), Rejection> {
    check_text_at(text, || field.to_string())
}

/// [`check_text`], the field's name made only for a refusal.
fn check_text_at(s: &str, field: impl FnOnce() -> String) -> Result<(), Rejection> {
    // a text of at most MAX_TEXT_CHARS bytes has at most as many characters
    if s.len() > MAX_TEXT_CHARS && s.chars().count() > MAX_TEXT_CHARS {
        return Err(Rejection::malformed(
            field(),
            RULE_RANGE,
            format!("text longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    let clean_ascii = s.is_ascii() && !s.bytes().any(|b| b.is_ascii_control());
    if clean_ascii {
        return Ok(());
    }
    if let Some((c, what)) = s.chars().find_map(|c| Some((c, bad_char(c)?))) {
        return Err(Rejection::malformed(
            field(),
            RULE_SCHEMA,
            format!("text contains {what} U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

/// Refuses, anywhere in `value`, a string that breaks the rules of
/// [`check_text`].
fn check_texts(value: &Value, at: &Place<'_>) -> Result<(), Rejection> {
    match value {
        Value::String(s) => check_text_at(s, || at.field()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_texts(v, &Place::Index(at, i))),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| check_texts(v, &Place::Key(at, k))),
        _ => Ok(()),
    }
}

/// An import line that was refused: its JSON, or the event it holds.
#[derive(Debug)]
pub enum LineError {
    /// Not JSON, or JSON with a repeated key ([`parse_json`]).
    Json(JsonError),
    /// JSON that is not an acceptable event ([`parse_item`]).
    Invalid(Rejection),
}

/// As the import names a refused line after `FILE:LINE: `:
/// `not valid JSON: expected value at column 10 (rule schema)`, with the
/// repeated key's place (`(field data.hours, rule schema)`); or the
/// [`Rejection`] (`data.hours: … (rule R1.4)`).
impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Json(e) => {
                let field = e
                    .field
                    .as_ref()
                    .map(|f| format!("field {f}, "))
                    .unwrap_or_default();
                // serde_json says "at line 1 column N" of this one line
                let message = e.error.to_string();
                let position = format!(" at line {} column {}", e.error.line(), e.error.column());
                let message = match message.strip_suffix(&position) {
                    Some(m) => format!("{m} at column {}", e.error.column()),
                    None => message,
                };
                write!(f, "not valid JSON: {message} ({field}rule schema)")
            }
            LineError::Invalid(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for LineError {}

/// Parses one line of an import file (a JSON object as [`parse_item`] reads
/// it with [`Source::Import`]) and runs its stateless validation.
///
/// Most lines take [`parse_line_fast`]; any other line, and every line that
/// is refused, takes [`parse_json`] and [`parse_item`], so the result and
/// every refusal are theirs.
///
/// # Errors
/// [`LineError::Json`] for text that is not JSON or repeats a key,
/// [`LineError::Invalid`] (a `Malformed` [`Rejection`] naming the field) for
/// JSON that is not an acceptable event.
pub fn parse_line(line: &str) -> Result<AppendRequest, LineError> {
    if let Some(request) = parse_line_fast(line) {
        return Ok(request);
    }
    parse_line_slow(line)
}

/// The slow path of [`parse_line`]: [`parse_json`], then [`parse_item`] with
/// [`Source::Import`]. A line that is JSON but not an object is refused as
/// the line, as an HTTP body that is not an object is refused as the body
/// (no field named).
fn parse_line_slow(line: &str) -> Result<AppendRequest, LineError> {
    let value = parse_json(line.as_bytes()).map_err(LineError::Json)?;
    if !value.is_object() {
        return Err(LineError::Invalid(Rejection::malformed(
            "",
            RULE_SCHEMA,
            "the line must be a JSON object: one event {kind, data, ...}",
        )));
    }
    parse_item(&value, Source::Import).map_err(LineError::Invalid)
}

/// The top level of an import line for [`parse_line_fast`], borrowed from
/// the line: `data` kept as its text until `kind` is known. A repeated or
/// unknown key is refused, as a missing `kind` or `data` is.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastLine<'a> {
    kind: &'a str,
    #[serde(borrow)]
    data: &'a serde_json::value::RawValue,
    #[serde(default)]
    event_id: Option<&'a str>,
    #[serde(default)]
    expected_version: Option<u64>,
    #[serde(default)]
    recorded_at: Option<&'a str>,
    #[serde(default)]
    actor: Option<&'a str>,
}

/// The fast path of [`parse_line`]: parses an import line straight into its
/// typed event, with no [`Value`] between. `Some` only when [`parse_json`]
/// then [`parse_item`] with [`Source::Import`] accept the line too, and then
/// with an equal [`AppendRequest`]; `None` for any line it does not take or
/// would refuse (which then goes the slow way, for the same result or the
/// refusal).
///
/// It takes a line that:
/// - has no backslash (so no string in it holds an escape), no control
///   character, bidirectional override or isolate anywhere, and no run of
///   more than [`MAX_TEXT_CHARS`] bytes between two quotes (so every text
///   passes the checks of [`parse_item`]);
/// - is an object of `kind`, `data` (an object) and optionally `event_id`,
///   `expected_version`, `recorded_at`, `actor` (`null` for absent), no key
///   twice;
/// - whose `kind` is not `event_corrected` ([`Event::from_json_str`]), whose
///   `data` deserialises and validates, and whose optional fields are well
///   formed (a UUID, a whole number ≥ 0, an RFC 3339 instant, a non-blank
///   actor).
pub fn parse_line_fast(line: &str) -> Option<AppendRequest> {
    // With no backslash, every string's text is one of the runs between
    // two quotes, and has no more characters than bytes.
    if line.len() > MAX_TEXT_CHARS && line.split('"').any(|run| run.len() > MAX_TEXT_CHARS) {
        return None;
    }
    let clean = if line.is_ascii() {
        !line.bytes().any(|b| b == b'\\' || b.is_ascii_control())
    } else {
        !line.chars().any(|c| c == '\\' || is_bad_char(c))
    };
    if !clean {
        return None;
    }
    // a derived struct would also take an array, field by field
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let top: FastLine<'_> = serde_json::from_str(line).ok()?;
    let data = top.data.get();
    // a derived struct would also take an array, field by field
    if !data.starts_with('{') {
        return None;
    }
    let event = Event::from_json_str(top.kind, data)?;
    event.validate().ok()?;
    let event_id = match top.event_id {
        None => None,
        Some(s) => Some(grantledger_domain::parse_uuid(s).ok()?),
    };
    let recorded_at = match top.recorded_at {
        None => None,
        Some(s) => Some(s.parse().ok()?),
    };
    let actor = match top.actor {
        None => None,
        Some(s) if s.trim().is_empty() => return None,
        Some(s) => Some(s.to_string()),
    };
    Some(AppendRequest {
        event_id,
        expected_version: top.expected_version,
        event,
        recorded_at,
        actor,
    })
}

fn optional<T>(
    obj: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&Value) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, Rejection> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => parse(v).map(Some).ok_or_else(|| {
            Rejection::malformed(field, RULE_SCHEMA, format!("`{field}` must be {expected}"))
        }),
    }
}

// The generator of `grantledger gen`, for the tests of the import's fast path.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../cli/commands/gen.rs"]
pub(crate) mod gen;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_repeated_in_one_object_is_refused_wherever_it_is() {
        let one = r#"{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"9","hours":"1"}}"#;
        let top = r#"{"kind":"attendance_recorded","kind":"session_held","data":{}}"#;
        let batch = format!(r#"{{"events":[{one}]}}"#);
        for (body, key, field) in [
            (one, "hours", "data.hours"),
            (top, "kind", "kind"),
            (batch.as_str(), "hours", "events[0].data.hours"),
        ] {
            let e = parse_body(body.as_bytes(), 10).unwrap_err();
            assert_eq!(
                (e.status, e.rule.as_deref()),
                (400, Some(RULE_SCHEMA)),
                "{body}"
            );
            assert!(
                e.detail.contains(&format!("the key `{key}` appears twice")),
                "{}",
                e.detail
            );
            assert_eq!(e.field.as_deref(), Some(field), "{body}");
        }
        let deep = parse_json(br#"{"a":[{"b":1},{"b":2,"c":[{},{"d":0,"d":1}]}]}"#).unwrap_err();
        assert_eq!(deep.field.as_deref(), Some("a[1].c[1].d"));
        assert!(parse_json(b"{").unwrap_err().field.is_none());
        assert!(parse_json(b"{} x").is_err(), "trailing characters");
        // the same key in different objects is fine, and so is every value kind
        let v = parse_json(br#"{"a":{"x":1},"b":{"x":[true,null,-2,2.5,"s"]}}"#).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a":{"x":1},"b":{"x":[true,null,-2,2.5,"s"]}})
        );
    }

    /// Texts anywhere in `data`: control characters (ASCII or not), bidi
    /// overrides and more than 2 000 characters (not bytes) are refused,
    /// naming the text's place.
    #[test]
    fn a_bad_text_is_refused_naming_its_place() {
        let long_ok = "é".repeat(MAX_TEXT_CHARS); // 4 000 bytes, 2 000 characters
        let long_bad = "a".repeat(MAX_TEXT_CHARS + 1);
        let cases = [
            (
                serde_json::json!({"note": "tab\there"}),
                Some("data.note"),
                RULE_SCHEMA,
            ),
            (
                serde_json::json!({"a": [{"b": "ok"}, {"b": "del\u{7f}"}]}),
                Some("data.a[1].b"),
                RULE_SCHEMA,
            ),
            (
                serde_json::json!({"x": "Příliš\u{202E}žluťoučký"}),
                Some("data.x"),
                RULE_SCHEMA,
            ),
            (
                serde_json::json!({"x": "c1 \u{85} control"}),
                Some("data.x"),
                RULE_SCHEMA,
            ),
            (
                serde_json::json!({"x": long_bad}),
                Some("data.x"),
                RULE_RANGE,
            ),
            (
                serde_json::json!({"x": long_ok, "y": ["Žďár nad Sázavou", 3]}),
                None,
                "",
            ),
        ];
        for (data, field, rule) in cases {
            let got = check_texts(&data, &Place::Key(&Place::Root, "data"));
            match field {
                None => assert!(got.is_ok(), "{data}"),
                Some(f) => {
                    let e = got.expect_err("refused");
                    assert_eq!((e.field.as_str(), e.rule.as_str()), (f, rule), "{data}");
                }
            }
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_names_no_field() {
        for body in ["[]", "null", "3"] {
            let e = parse_body(body.as_bytes(), 10).unwrap_err();
            assert_eq!((e.status, e.field.as_deref()), (400, None), "{body}");
        }
    }

    #[test]
    fn single_event_body_parses() {
        let body = br#"{"kind":"attendance_recorded","expected_version":3,
            "data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"K03-1-S2","hours":"6","sheet_ref":"PL-K03-1-S2"}}"#;
        let r = parse_body(body, 10).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].expected_version, Some(3));
    }

    #[test]
    fn batch_item_errors_name_the_index() {
        let body = br#"{"events":[{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6","sheet_ref":"PL-S"}},
            {"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"x"}}]}"#;
        let e = parse_body(body, 10).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (400, Some("events[1].data.hours"))
        );
    }

    #[test]
    fn recorded_at_is_refused_over_http() {
        let body =
            br#"{"kind":"attendance_recorded","recorded_at":"2017-01-01T00:00:00Z","data":{}}"#;
        let e = parse_body(body, 10).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("recorded_at"));
    }

    #[test]
    fn oversized_batch_is_413() {
        let item = r#"{"kind":"x","data":{}}"#;
        let body = format!("{{\"events\":[{item},{item},{item}]}}");
        assert_eq!(parse_body(body.as_bytes(), 2).unwrap_err().status, 413);
    }

    #[test]
    fn control_characters_and_overlong_text_are_refused() {
        let body = r#"{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"1","sheet_ref":"a\u0000b"}}"#;
        let e = parse_body(body.as_bytes(), 10).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("data.sheet_ref"));
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let body = format!(
            r#"{{"kind":"attendance_recorded","data":{{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"1","sheet_ref":"{long}"}}}}"#
        );
        let e = parse_body(body.as_bytes(), 10).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.rule.as_deref()),
            (Some("data.sheet_ref"), Some("range"))
        );
    }

    #[test]
    fn malformed_json_is_400() {
        assert_eq!(parse_body(b"{\"kind\":", 10).unwrap_err().status, 400);
    }

    /// The slow path alone.
    fn slow(line: &str) -> Result<AppendRequest, LineError> {
        parse_line_slow(line)
    }

    /// `parse_line` gives what the slow path gives: the same request, or the
    /// same refusal (the same rejection; for JSON, the same place and
    /// message, as the import prints them); and the fast path takes only
    /// lines the slow path takes, with the same request.
    fn assert_same(line: &str) {
        let want = slow(line);
        if let Some(fast) = parse_line_fast(line) {
            match &want {
                Ok(w) => assert_eq!(&fast, w, "{line}"),
                Err(e) => panic!("the fast path took a line the slow path refuses ({e}): {line}"),
            }
        }
        match (parse_line(line), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{line}"),
            (Err(LineError::Invalid(got)), Err(LineError::Invalid(want))) => {
                assert_eq!(got, want, "{line}")
            }
            (Err(LineError::Json(got)), Err(LineError::Json(want))) => {
                assert_eq!(got.field, want.field, "{line}");
                assert_eq!(got.error.to_string(), want.error.to_string(), "{line}");
                assert_eq!(
                    LineError::Json(got).to_string(),
                    LineError::Json(want).to_string()
                );
            }
            (got, want) => panic!("{line}\n got {got:?}\nwant {want:?}"),
        }
    }

    const SINEC: &str = include_str!("../../../fixtures/sinec/events.jsonl");

    /// The lines of a generated project (`grantledger gen`).
    fn generated(participants: u32, seed: u64) -> String {
        let mut out = Vec::new();
        gen::generate(participants, seed, &mut out).expect("the generator writes");
        String::from_utf8(out).expect("the generator writes UTF-8")
    }

    /// Lines the fast path must take: every line of the SINEC fixture and of
    /// generated projects but the corrections; and it gives the slow path's
    /// request for each.
    #[test]
    fn the_fast_path_takes_every_plain_line_of_real_projects_with_the_same_request() {
        let texts = [SINEC.to_string(), generated(150, 1), generated(150, 7)];
        let (mut fast, mut slow_only) = (0, 0);
        for text in &texts {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let want = slow(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                let corrected = matches!(want.event, Event::EventCorrected(_));
                match parse_line_fast(line) {
                    Some(got) => {
                        assert_eq!(got, want, "{line}");
                        fast += 1;
                    }
                    None => {
                        assert!(corrected, "the fast path left a plain line: {line}");
                        slow_only += 1;
                    }
                }
                assert_eq!(parse_line(line).expect("parses"), want, "{line}");
            }
        }
        assert!(fast > 20 * slow_only, "{fast} fast, {slow_only} slow");
    }

    /// An import line with every optional field, and non-ASCII texts.
    const FULL: &str = r#"{"event_id":"0191e0a0-0000-7000-8000-000000000101","recorded_at":"2017-03-02T08:30:00Z","actor":"manager:test","expected_version":2,"kind":"participant_registered","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","given_name":"Alena","family_name":"Nováková","birth_date":"1980-02-29","gender":"female","education_isced":3,"labour_status":"employed","disadvantages":["disability"],"organization_id":"ORG-Ž","entry_date":"2016-11-02"}}"#;
    const ATTENDANCE: &str = r#"{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6","sheet_ref":"AL-1"}}"#;

    /// Lines the slow path refuses, and lines near them: each gives the very
    /// same result through [`parse_line`] (the refusals never through the
    /// fast path).
    #[test]
    fn a_refused_line_gets_the_slow_paths_refusal() {
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let refused: Vec<String> = vec![
            // repeated keys: at the top, in data, in a nested object
            ATTENDANCE.replace(r#"{"kind""#, r#"{"kind":"session_held","kind""#),
            ATTENDANCE.replace(r#""hours":"6""#, r#""hours":"6","hours":"1""#),
            ATTENDANCE.replace(r#""hours":"6""#, r#""hours":"6","hours":"6""#),
            FULL.replace(r#""actor""#, r#""actor":"x","actor""#),
            FULL.replace(r#""gender":"female""#, r#""gender":{"female":null,"female":null}"#),
            r#"{"kind":"internship_completed","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","host":{"name":"H","ico":"25379631","name":"I"},"start":"2017-03-01","end":"2017-03-02","hours":"8"}}"#.to_string(),
            // unknown fields, at the top and in data
            ATTENDANCE.replace(r#"{"kind""#, r#"{"seq":3,"kind""#),
            ATTENDANCE.replace(r#""hours":"6""#, r#""hours":"6","minutes":5"#),
            // the line not an object (a struct would take an array field by field)
            r#"["attendance_recorded",{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6"}]"#.to_string(),
            r#"["attendance_recorded",{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6"},"0191e0a0-0000-7000-8000-000000000101",null,"2017-03-02T08:30:00Z","manager:test"]"#.to_string(),
            // data not an object; kind not a string; missing fields
            r#"{"kind":"attendance_recorded","data":["0191e0a0-0000-7000-8000-000000000001","S","6",null,null]}"#.to_string(),
            r#"{"kind":"attendance_recorded","data":null}"#.to_string(),
            r#"{"kind":"attendance_recorded","data":"{}"}"#.to_string(),
            r#"{"kind":"attendance_recorded"}"#.to_string(),
            r#"{"data":{}}"#.to_string(),
            ATTENDANCE.replace(r#""attendance_recorded""#, "11"),
            ATTENDANCE.replace(r#""attendance_recorded""#, r#""attendance_guessed""#),
            ATTENDANCE.replace(r#","sheet_ref":"AL-1""#, "").replace(r#","hours":"6""#, ""),
            // an attendance names its attendance list (EVENTS.md: no `?`)
            ATTENDANCE.replace(r#","sheet_ref":"AL-1""#, ""),
            ATTENDANCE.replace(r#","sheet_ref":"AL-1""#, r#","sheet_ref":null,"mode":"online""#),
            // the optional fields, badly
            FULL.replace("0191e0a0-0000-7000-8000-000000000101", "not-a-uuid"),
            FULL.replace(r#""event_id":"0191e0a0-0000-7000-8000-000000000101""#, r#""event_id":7"#),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":1.0"#),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":-1"#),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":-0"#),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":"2""#),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":18446744073709551616"#),
            FULL.replace("2017-03-02T08:30:00Z", "2017-03-02"),
            FULL.replace("2017-03-02T08:30:00Z", "yesterday"),
            FULL.replace(r#""manager:test""#, r#""  ""#),
            FULL.replace(r#""manager:test""#, r#""""#),
            FULL.replace(r#""manager:test""#, "[]"),
            // the actor has the text rules of data's texts
            FULL.replace("manager:test", r"manager:\u0007test"),
            FULL.replace("manager:test", r"manager:te\u202Est"),
            FULL.replace("manager:test", "manager:te\u{202E}st"),
            FULL.replace("manager:test", "manager:te\u{85}st"),
            FULL.replace("manager:test", &"x".repeat(3000)),
            // numbers where the payload wants other numbers
            FULL.replace(r#""education_isced":3"#, r#""education_isced":3.0"#),
            FULL.replace(r#""education_isced":3"#, r#""education_isced":-3"#),
            FULL.replace(r#""education_isced":3"#, r#""education_isced":300"#),
            FULL.replace(r#""education_isced":3"#, r#""education_isced":9"#),
            ATTENDANCE.replace(r#""6""#, "6"),
            // texts: control characters as escapes or raw, bidi, too long
            ATTENDANCE.replace("AL-1", r"AL\u0007-1"),
            ATTENDANCE.replace("AL-1", r"AL\t1"),
            ATTENDANCE.replace("AL-1", "AL\u{7f}1"),
            ATTENDANCE.replace("AL-1", "AL\u{85}1"),
            ATTENDANCE.replace("AL-1", "AL\u{202e}1"),
            ATTENDANCE.replace("AL-1", r"AL\u202e1"),
            ATTENDANCE.replace("AL-1", "AL\u{2069}1"),
            ATTENDANCE.replace("AL-1", "AL\u{200f}1"),
            ATTENDANCE.replace("AL-1", r"AL\u200e1"),
            ATTENDANCE.replace("AL-1", "AL\u{61c}1"),
            ATTENDANCE.replace("AL-1", "AL\u{2028}1"),
            ATTENDANCE.replace("AL-1", r"AL\u20291"),
            ATTENDANCE.replace("AL-1", "AL\u{200b}1"),
            ATTENDANCE.replace("AL-1", "AL\u{feff}1"),
            ATTENDANCE.replace("AL-1", r"AL\uffff1"),
            ATTENDANCE.replace("AL-1", "AL\u{fdd0}1"),
            ATTENDANCE.replace("AL-1", "AL\u{10ffff}1"),
            ATTENDANCE.replace("AL-1", "AL\t1"),
            ATTENDANCE.replace("AL-1", &long),
            FULL.replace("Alena", &"Á".repeat(MAX_TEXT_CHARS + 1)),
            // forms serde's derive takes and the schema does not allow: a
            // unit variant as an object, a struct as an array (nested, in an
            // array, in a correction's replacement)
            FULL.replace(r#""gender":"female""#, r#""gender":{"female":null}"#),
            FULL.replace(r#""disadvantages":["disability"]"#, r#""disadvantages":[{"disability":null}]"#),
            ATTENDANCE.replace(r#""sheet_ref":"AL-1""#, r#""mode":{"online":null}"#),
            r#"{"kind":"internship_completed","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","host":["H","25379631"],"start":"2017-03-01","end":"2017-03-02","hours":"8"}}"#.to_string(),
            r#"{"kind":"timesheet_filed","data":{"staff_id":"L-1","month":"2017-03","entries":[["teaching","Lekce","2",null]]}}"#.to_string(),
            r#"{"kind":"timesheet_filed","data":{"staff_id":"L-1","month":"2017-03","entries":[{"activity":"teaching","description":"Lekce","hours":"2"},["teaching","Lekce","2"]]}}"#.to_string(),
            r#"{"kind":"event_corrected","data":{"target_event_id":"0191e0a0-0000-7000-8000-000000000009","reason":"typo","replacement":{"kind":"internship_completed","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","host":["H","25379631"],"start":"2017-03-01","end":"2017-03-02","hours":"8"}}}}"#.to_string(),
            r#"{"kind":"event_corrected","data":{"target_event_id":"0191e0a0-0000-7000-8000-000000000009","reason":"typo","replacement":["attendance_recorded",{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6"}]}}"#.to_string(),
            // a validation rule, in ASCII and not
            ATTENDANCE.replace(r#""6""#, r#""25""#),
            FULL.replace("1980-02-29", "2017-02-28"),
            FULL.replace("Nováková", "[sealed]"),
            // a correction whose replacement repeats a key
            r#"{"kind":"event_corrected","data":{"target_event_id":"0191e0a0-0000-7000-8000-000000000009","reason":"typo","replacement":{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6","hours":"2"}}}}"#.to_string(),
            // not JSON, or more than one value
            r#"{"kind": oops}"#.to_string(),
            format!("{ATTENDANCE} {{}}"),
            format!("{ATTENDANCE},"),
            ATTENDANCE[..40].to_string(),
        ];
        for line in &refused {
            assert!(slow(line).is_err(), "the slow path takes {line}");
            assert!(parse_line_fast(line).is_none(), "{line}");
            assert_same(line);
        }
        // near misses the slow path takes: the same request either way
        let taken = [
            FULL.to_string(),
            ATTENDANCE.to_string(),
            format!("  {ATTENDANCE}  "),
            ATTENDANCE.replace(r#"{"kind""#, r#"{"event_id":null,"expected_version":null,"recorded_at":null,"actor":null,"kind""#),
            ATTENDANCE.replace(r#","sheet_ref":"AL-1""#, r#","sheet_ref":"AL-1","mode":"online""#),
            ATTENDANCE.replace("AL-1", "Žďár nad Sázavou"),
            ATTENDANCE.replace("AL-1", &"a".repeat(MAX_TEXT_CHARS - 200)),
            ATTENDANCE.replace("AL-1", r"AL\u00e91"),
            ATTENDANCE.replace("AL-1", &"x".repeat(MAX_TEXT_CHARS)),
            FULL.replace(r#""expected_version":2"#, r#""expected_version":0"#),
            r#"{"kind":"event_corrected","data":{"target_event_id":"0191e0a0-0000-7000-8000-000000000009","reason":"typo","replacement":{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"2","sheet_ref":"PL-S"}}}}"#.to_string(),
        ];
        for line in &taken {
            assert!(slow(line).is_ok(), "the slow path refuses {line}");
            assert_same(line);
        }
        // a long line of short texts goes the fast way; a long text the slow one
        let entry = r#"{"activity":"teaching","description":"Lekce Účetnictví","hours":"2"}"#;
        let timesheet = format!(
            r#"{{"kind":"timesheet_filed","data":{{"staff_id":"L-1","month":"2017-03","entries":[{}]}}}}"#,
            [entry; 60].join(",")
        );
        assert!(timesheet.len() > 2 * MAX_TEXT_CHARS);
        assert!(parse_line_fast(&timesheet).is_some());
        assert_same(&timesheet);
        let long_text = ATTENDANCE.replace("AL-1", &"é".repeat(MAX_TEXT_CHARS - 1));
        assert!(parse_line_fast(&long_text).is_none());
        assert_same(&long_text);
        // such a form is named with its place and what the schema allows,
        // by the import (either path) as over HTTP
        let forms = [
            (
                FULL.replace(r#""gender":"female""#, r#""gender":{"female":null}"#),
                "data.gender",
                "must be a string, not an object",
            ),
            (
                r#"{"kind":"timesheet_filed","data":{"staff_id":"L-1","month":"2017-03","entries":[{"activity":"teaching","description":"Lekce","hours":"2"},["teaching","Lekce","2"]]}}"#.to_string(),
                "data.entries[1]",
                "must be an object, not an array",
            ),
            (
                r#"{"kind":"event_corrected","data":{"target_event_id":"0191e0a0-0000-7000-8000-000000000009","reason":"typo","replacement":{"kind":"internship_completed","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","host":["H","25379631"],"start":"2017-03-01","end":"2017-03-02","hours":"8"}}}}"#.to_string(),
                "data.replacement.data.host",
                "must be an object, not an array",
            ),
        ];
        for (line, field, message) in forms {
            assert_eq!(
                parse_line(&line).unwrap_err().to_string(),
                format!("{field}: {message} (rule schema)")
            );
            let http = line
                .replace(r#""actor":"manager:test","#, "")
                .replace(r#""recorded_at":"2017-03-02T08:30:00Z","#, "");
            let e = parse_body(http.as_bytes(), 10).unwrap_err();
            assert_eq!(
                (
                    e.status,
                    e.field.as_deref(),
                    e.rule.as_deref(),
                    e.detail.as_str()
                ),
                (400, Some(field), Some(RULE_SCHEMA), message),
                "{http}"
            );
        }
        // the actor is named with the rule it breaks
        for (line, want) in [
            (
                FULL.replace("manager:test", r"manager:te\u202Est"),
                "actor: text contains the bidirectional formatting character U+202E (rule schema)",
            ),
            (
                FULL.replace("manager:test", "manager:te\u{9b}st"),
                "actor: text contains the control character U+009B (rule schema)",
            ),
            (
                FULL.replace("manager:test", &"x".repeat(3000)),
                "actor: text longer than 2000 characters (rule range)",
            ),
            (
                FULL.replace("manager:test", "manager:tr\u{200f}ial"),
                "actor: text contains the bidirectional formatting character U+200F (rule schema)",
            ),
            (
                FULL.replace("manager:test", r"manager:t\u2028est"),
                "actor: text contains the line or paragraph separator U+2028 (rule schema)",
            ),
            (
                FULL.replace("manager:test", "manager:te\u{feff}st"),
                "actor: text contains the invisible character U+FEFF (rule schema)",
            ),
            (
                FULL.replace("manager:test", r"manager:t\uD83F\uDFFFest"),
                "actor: text contains the noncharacter U+1FFFF (rule schema)",
            ),
        ] {
            assert_eq!(parse_line(&line).unwrap_err().to_string(), want);
        }
        // a line that is not an object is refused as the line, with no
        // empty field name in front (regression: `: an event must be …`)
        for line in ["[]", "null", "3", r#""attendance_recorded""#, &refused[8]] {
            assert_eq!(
                parse_line(line).unwrap_err().to_string(),
                "the line must be a JSON object: one event {kind, data, ...} (rule schema)",
                "{line}"
            );
        }
        // the import's message for a line that is not JSON, as before
        assert_eq!(
            parse_line(r#"{"kind": oops}"#).unwrap_err().to_string(),
            "not valid JSON: expected value at column 10 (rule schema)"
        );
        let repeated = parse_line(&refused[1]).unwrap_err().to_string();
        assert!(
            repeated.starts_with(
                "not valid JSON: the key `hours` appears twice in one object at column "
            ) && repeated.ends_with(" (field data.hours, rule schema)"),
            "{repeated}"
        );
    }

    mod mutated {
        //! Any line, mutated: `parse_line` always gives the slow path's
        //! result, and the fast path never takes a line the slow one refuses.

        use std::sync::OnceLock;

        use proptest::prelude::*;
        use serde_json::{json, Value};

        use super::*;

        /// Lines to mutate: the fixture's, a generated project's, and two
        /// with every optional field.
        fn corpus() -> &'static [String] {
            static LINES: OnceLock<Vec<String>> = OnceLock::new();
            LINES.get_or_init(|| {
                let generated = generated(40, 3);
                SINEC
                    .lines()
                    .chain(generated.lines())
                    .chain([FULL, ATTENDANCE])
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect()
            })
        }

        /// Values to put anywhere.
        fn odd_values() -> Vec<Value> {
            vec![
                json!(null),
                json!(true),
                json!(0),
                json!(1),
                json!(-1),
                json!(1.0),
                json!(-0.0),
                json!(u64::MAX),
                json!(""),
                json!("  "),
                json!("x"),
                json!("é"),
                json!("6"),
                json!("6.5"),
                json!("25"),
                json!("female"),
                json!("2017-03-01"),
                json!("2017-03-01T08:00:00Z"),
                json!("0191e0a0-0000-7000-8000-000000000001"),
                json!("a\u{7}b"),
                json!("a\u{7f}b"),
                json!("a\u{85}b"),
                json!("a\u{202e}b"),
                json!("a\u{2066}b"),
                json!("x".repeat(MAX_TEXT_CHARS + 1)),
                json!([]),
                json!(["x"]),
                json!({}),
                json!({"female": null}),
            ]
        }

        /// How to change one object of a line.
        #[derive(Clone, Debug)]
        enum Change {
            /// Sets its `n`-th key (or a new key `extra`) to a value.
            Set(usize, usize),
            /// Removes its `n`-th key.
            Remove(usize),
            /// Writes its `n`-th key twice, first with a value.
            Repeat(usize, usize),
        }

        fn change() -> impl Strategy<Value = Change> {
            prop_oneof![
                (0..12usize, 0..40usize).prop_map(|(k, v)| Change::Set(k, v)),
                (0..12usize).prop_map(Change::Remove),
                (0..12usize, 0..40usize).prop_map(|(k, v)| Change::Repeat(k, v)),
            ]
        }

        /// The JSON pointers of the objects in `v`, depth first, the top first.
        fn objects(v: &Value, at: &str, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    out.push(at.to_string());
                    for (k, x) in m {
                        let k = k.replace('~', "~0").replace('/', "~1");
                        objects(x, &format!("{at}/{k}"), out);
                    }
                }
                Value::Array(xs) => {
                    for (i, x) in xs.iter().enumerate() {
                        objects(x, &format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }

        /// The line with one object changed (the `at`-th of [`objects`]).
        fn mutate(line: &str, at: usize, change: &Change) -> String {
            const MARK: &str = "REPEATED-KEY-MARK";
            let mut v: Value = serde_json::from_str(line).expect("corpus lines are JSON");
            let mut found = Vec::new();
            objects(&v, "", &mut found);
            let Some(Value::Object(obj)) = v.pointer_mut(&found[at % found.len()]) else {
                unreachable!("a pointer to an object")
            };
            let values = odd_values();
            let value = |i: usize| {
                if i < values.len() {
                    values[i].clone()
                } else {
                    Value::String(format!("v{i}"))
                }
            };
            let key = |n: usize| obj.keys().nth(n).cloned();
            let mut repeated = None;
            match change {
                Change::Set(n, i) => {
                    let k = key(*n).unwrap_or_else(|| "extra".to_string());
                    obj.insert(k, value(*i));
                }
                Change::Remove(n) => {
                    if let Some(k) = key(*n) {
                        obj.remove(&k);
                    }
                }
                Change::Repeat(n, i) => {
                    if let Some(k) = key(*n) {
                        obj.insert(MARK.to_string(), value(*i));
                        repeated = Some(k);
                    }
                }
            }
            let text = v.to_string();
            match repeated {
                Some(k) => text.replace(&format!("\"{MARK}\""), &format!("\"{k}\"")),
                None => text,
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn a_changed_object_gets_the_slow_paths_answer(
                i in any::<prop::sample::Index>(),
                at in 0..64usize,
                change in change(),
            ) {
                let lines = corpus();
                let line = &lines[i.index(lines.len())];
                assert_same(&mutate(line, at, &change));
            }

            #[test]
            fn a_changed_byte_gets_the_slow_paths_answer(
                i in any::<prop::sample::Index>(),
                at in any::<prop::sample::Index>(),
                byte in prop::sample::select(b" \t{}[],:\"\\0-1.eE9an".to_vec()),
                delete in any::<bool>(),
            ) {
                let lines = corpus();
                let line = &lines[i.index(lines.len())];
                let mut bytes = line.as_bytes().to_vec();
                let at = at.index(bytes.len());
                if delete {
                    bytes.remove(at);
                } else {
                    bytes.insert(at, byte);
                }
                // only whole characters: the import reads lines as UTF-8
                if let Ok(text) = String::from_utf8(bytes) {
                    assert_same(&text);
                }
            }
        }
    }
}
