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
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                parse_item(item, Source::Http)
                    .map_err(|r| ApiError::from(r.under(&format!("events[{i}]"))))
            })
            .collect()
    } else {
        Ok(vec![
            parse_item(&Value::Object(obj), Source::Http).map_err(ApiError::from)?
        ])
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
            |v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()),
            "a UUID",
        )?,
        expected_version: optional(obj, "expected_version", Value::as_u64, "a whole number ≥ 0")?,
        recorded_at: optional(
            obj,
            "recorded_at",
            |v| v.as_str().and_then(|s| s.parse().ok()),
            "an RFC 3339 instant",
        )?,
        actor: optional(
            obj,
            "actor",
            |v| {
                v.as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
            },
            "a non-empty string",
        )?,
    })
}

/// The longest text accepted in any string field, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Refuses, anywhere in `value`, a string longer than [`MAX_TEXT_CHARS`] or
/// holding control characters or bidirectional overrides (text that would
/// print differently from what is stored).
fn check_texts(value: &Value, at: &Place<'_>) -> Result<(), Rejection> {
    match value {
        Value::String(s) => {
            // a text of at most MAX_TEXT_CHARS bytes has at most as many characters
            if s.len() > MAX_TEXT_CHARS && s.chars().count() > MAX_TEXT_CHARS {
                return Err(Rejection::malformed(
                    at.field(),
                    RULE_RANGE,
                    format!("text longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            let bad = |c: char| {
                c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            };
            let clean_ascii = s.is_ascii() && !s.bytes().any(|b| b.is_ascii_control());
            if clean_ascii {
                return Ok(());
            }
            if let Some(c) = s.chars().find(|c| bad(*c)) {
                return Err(Rejection::malformed(
                    at.field(),
                    RULE_SCHEMA,
                    format!("text contains the control character U+{:04X}", c as u32),
                ));
            }
            Ok(())
        }
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
            "data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"K03-1-S2","hours":"6"}}"#;
        let r = parse_body(body, 10).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].expected_version, Some(3));
    }

    #[test]
    fn batch_item_errors_name_the_index() {
        let body = br#"{"events":[{"kind":"attendance_recorded","data":{"participant_id":"0191e0a0-0000-7000-8000-000000000001","session_id":"S","hours":"6"}},
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
}
