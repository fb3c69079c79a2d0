//! JSON Schemas of the event catalogue, generated from the Rust types
//! (schemars), committed under `schemas/events/` and checked for drift.

use crate::Kind;

/// `(file name, pretty JSON)` of every schema: one per kind
/// (`attendance_recorded.schema.json`, the schema of its `data`) and
/// `event.schema.json`, any event as `{kind, data}` (one `oneOf` branch per
/// kind; the shape of a correction's `replacement`), and
/// `append_request.schema.json`, the body of `POST /api/v1/events`: one item
/// `{event_id?, kind, expected_version?, data}` or `{"events": [items]}`.
pub fn all_schemas() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| {
            let mut s = serde_json::to_value(k.schema()).unwrap_or_default();
            s["title"] = k.as_str().into();
            s["x-schema-version"] = k.schema_version().into();
            (format!("{}.schema.json", k.as_str()), pretty(&s))
        })
        .collect();
    let event = schemars::schema_for!(crate::Event);
    out.push((
        "event.schema.json".to_string(),
        pretty(&serde_json::to_value(event).unwrap_or_default()),
    ));
    out.push((
        "append_request.schema.json".to_string(),
        pretty(&append_request_schema()),
    ));
    out
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON Schema of a `POST /api/v1/events` body (EVENTS.md "Appending").
fn append_request_schema() -> serde_json::Value {
    let mut generator = schemars::SchemaGenerator::default();
    let items: Vec<serde_json::Value> = Kind::ALL
        .iter()
        .map(|k| {
            let data = serde_json::to_value(k.data_schema(&mut generator)).unwrap_or_default();
            serde_json::json!({
                "type": "object",
                "properties": {
                    "event_id": {"type": "string", "format": "uuid", "description": "Idempotency key; the server makes a UUIDv7 when absent."},
                    "kind": {"const": k.as_str()},
                    "expected_version": {"type": "integer", "minimum": 0, "description": "The stream's version before this event; 0 = a new stream."},
                    "data": data,
                },
                "required": ["kind", "data"],
                "additionalProperties": false,
            })
        })
        .collect();
    let mut defs = serde_json::to_value(generator.take_definitions(true)).unwrap_or_default();
    defs["item"] = serde_json::json!({"oneOf": items});
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "append_request",
        "$defs": defs,
        "oneOf": [
            {"$ref": "#/$defs/item"},
            {"type": "object", "properties": {"events": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}}},
             "required": ["events"], "additionalProperties": false},
        ],
    })
}
