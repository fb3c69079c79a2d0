//! JSON Schemas of the event catalogue, generated from the Rust types
//! (schemars), committed under `schemas/events/` and checked for drift.

use crate::Kind;

/// `(file name, pretty JSON)` of every schema: one per kind
/// (`attendance_recorded.schema.json`, the schema of its `data`) and
/// `event.schema.json`, any event as `{kind, data}` (one `oneOf` branch per kind).
pub fn all_schemas() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| {
            let mut s = serde_json::to_value(k.schema()).unwrap_or_default();
            s["title"] = k.as_str().into();
            (format!("{}.schema.json", k.as_str()), pretty(&s))
        })
        .collect();
    let event = schemars::schema_for!(crate::Event);
    out.push((
        "event.schema.json".to_string(),
        pretty(&serde_json::to_value(event).unwrap_or_default()),
    ));
    out
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
