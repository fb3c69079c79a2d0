//! The shapes of JSON the published schema allows ([`crate::schema`]), checked
//! before typed deserialisation.
//!
//! serde's derive is more lenient than the schema: it builds a struct from a
//! JSON array (field by field, in declaration order) and a unit enum variant
//! from an object (`{"female": null}`). The schema allows neither, so what a
//! client may send would depend on serde's leniency, not on the contract.
//! [`check`] walks a `data` value beside its kind's schema and refuses an
//! array or an object where the schema allows none, naming its place
//! (`data.entries[0]`); scalars are left to the typed parse and its messages.
//! [`text_may_pass`] is the cheap guard of the import's fast path: it says
//! `true` only for a text whose every array and object stands where the
//! schema allows one, so that [`check`] takes its value.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::validate::RULE_SCHEMA;
use crate::{Kind, Rejection};

/// JSON types, as bits.
const OBJECT: u8 = 1;
const ARRAY: u8 = 2;
const STRING: u8 = 4;
const NUMBER: u8 = 8;
const BOOLEAN: u8 = 16;
const NULL: u8 = 32;
const ANY: u8 = 63;

/// How deep [`text_may_pass`] follows nesting before it gives up (`false`).
const MAX_DEPTH: usize = 32;

fn type_of(v: &Value) -> u8 {
    match v {
        Value::Object(_) => OBJECT,
        Value::Array(_) => ARRAY,
        Value::String(_) => STRING,
        Value::Number(_) => NUMBER,
        Value::Bool(_) => BOOLEAN,
        Value::Null => NULL,
    }
}

fn type_named(name: &str) -> u8 {
    match name {
        "object" => OBJECT,
        "array" => ARRAY,
        "string" => STRING,
        "number" | "integer" => NUMBER,
        "boolean" => BOOLEAN,
        "null" => NULL,
        _ => ANY,
    }
}

/// `an object or null`, as a message says what is allowed.
fn describe(types: u8) -> String {
    let names = [
        (OBJECT, "an object"),
        (ARRAY, "an array"),
        (STRING, "a string"),
        (NUMBER, "a number"),
        (BOOLEAN, "true or false"),
        (NULL, "null"),
    ];
    let parts: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| types & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(" or ")
    }
}

/// One kind's `data` schema (standalone, with its `$defs`) and, for
/// [`text_may_pass`], which property names may hold what.
struct KindShape {
    schema: Value,
    keys: Keys,
}

/// Property names by what every occurrence of the name in one kind's schema
/// allows (a name allowed an array in one struct and not in another is in
/// no set: the guard cannot tell the structs apart).
#[derive(Default)]
struct Keys {
    /// May hold an array.
    array: HashSet<String>,
    /// May hold an object.
    object: HashSet<String>,
    /// May hold an array whose items may be objects.
    item_object: HashSet<String>,
    /// May hold an array whose items may be arrays.
    item_array: HashSet<String>,
}

fn shapes() -> &'static [KindShape] {
    static SHAPES: OnceLock<Vec<KindShape>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|k| {
                let schema = serde_json::to_value(k.schema()).unwrap_or(Value::Bool(true));
                let keys = Walker::new(&schema).keys();
                KindShape { schema, keys }
            })
            .collect()
    })
}

fn shape_of(kind: Kind) -> Option<&'static KindShape> {
    let i = Kind::ALL.iter().position(|k| *k == kind)?;
    shapes().get(i)
}

/// A schema and its `$defs`.
struct Walker<'a> {
    defs: Option<&'a Map<String, Value>>,
    root: &'a Value,
}

impl<'a> Walker<'a> {
    fn new(root: &'a Value) -> Walker<'a> {
        Walker {
            defs: root.get("$defs").and_then(Value::as_object),
            root,
        }
    }

    /// The schema a `$ref` names (`#/$defs/Name`).
    fn target(&self, s: &'a Map<String, Value>) -> Option<&'a Value> {
        let r = s.get("$ref")?.as_str()?;
        match r.strip_prefix("#/$defs/") {
            Some(name) => self.defs?.get(name),
            None if r == "#" => Some(self.root),
            None => None,
        }
    }

    /// The JSON types `s` allows (`$ref`, `type`, `const`, `enum`, `anyOf`,
    /// `oneOf`, `allOf`; anything else allows every type).
    fn allowed(&self, s: &'a Value, depth: usize) -> u8 {
        let Value::Object(m) = s else {
            return if s == &Value::Bool(false) { 0 } else { ANY };
        };
        if depth > MAX_DEPTH {
            return ANY;
        }
        let mut types = ANY;
        if let Some(t) = self.target(m) {
            types &= self.allowed(t, depth + 1);
        }
        match m.get("type") {
            Some(Value::String(name)) => types &= type_named(name),
            Some(Value::Array(names)) => {
                types &= names
                    .iter()
                    .map(|n| n.as_str().map_or(ANY, type_named))
                    .fold(0, |a, b| a | b)
            }
            _ => {}
        }
        if let Some(c) = m.get("const") {
            types &= type_of(c);
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            types &= values.iter().map(type_of).fold(0, |a, b| a | b);
        }
        for union in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(union) {
                types &= branches
                    .iter()
                    .map(|b| self.allowed(b, depth + 1))
                    .fold(0, |a, b| a | b);
            }
        }
        if let Some(Value::Array(all)) = m.get("allOf") {
            for b in all {
                types &= self.allowed(b, depth + 1);
            }
        }
        types
    }

    /// The schema objects that apply to a value of type `ty` under `s`: `s`
    /// itself, what its `$ref` and `allOf` name, and of an `anyOf` / `oneOf`
    /// the one branch that allows `ty`. `false` when a union has several
    /// such branches (a correction's `replacement`, one branch per kind,
    /// whose `data` [`crate::Event::from_json`] checks itself): nothing
    /// under it is checked here.
    fn applying(
        &self,
        s: &'a Value,
        ty: u8,
        depth: usize,
        out: &mut Vec<&'a Map<String, Value>>,
    ) -> bool {
        let Value::Object(m) = s else {
            return true;
        };
        if depth > MAX_DEPTH {
            return false;
        }
        out.push(m);
        if let Some(t) = self.target(m) {
            if !self.applying(t, ty, depth + 1, out) {
                return false;
            }
        }
        if let Some(Value::Array(all)) = m.get("allOf") {
            for b in all {
                if !self.applying(b, ty, depth + 1, out) {
                    return false;
                }
            }
        }
        for union in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(union) {
                let mut matching = branches
                    .iter()
                    .filter(|b| self.allowed(b, depth + 1) & ty != 0);
                match (matching.next(), matching.next()) {
                    (Some(b), None) => {
                        if !self.applying(b, ty, depth + 1, out) {
                            return false;
                        }
                    }
                    (None, _) => {}
                    (Some(_), Some(_)) => return false,
                }
            }
        }
        true
    }

    /// Refuses an array or object in `v` where `s` allows none; `at` is
    /// `v`'s place (`data.entries[0]`).
    fn check(&self, v: &Value, s: &'a Value, at: &mut String) -> Result<(), Rejection> {
        let ty = type_of(v);
        if ty != OBJECT && ty != ARRAY {
            return Ok(());
        }
        let allowed = self.allowed(s, 0);
        if allowed & ty == 0 {
            return Err(Rejection::malformed(
                at.clone(),
                RULE_SCHEMA,
                format!("must be {}, not {}", describe(allowed), describe(ty)),
            ));
        }
        let mut applying = Vec::new();
        if !self.applying(s, ty, 0, &mut applying) {
            return Ok(());
        }
        let len = at.len();
        match v {
            Value::Object(fields) => {
                for (key, child) in fields {
                    for m in &applying {
                        if let Some(p) = m.get("properties").and_then(|p| p.get(key)) {
                            at.push('.');
                            at.push_str(key);
                            let r = self.check(child, p, at);
                            at.truncate(len);
                            r?;
                        }
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    for m in &applying {
                        if let Some(p) = m.get("items") {
                            at.push_str(&format!("[{i}]"));
                            let r = self.check(child, p, at);
                            at.truncate(len);
                            r?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// [`Keys`] of every property anywhere in the schema.
    fn keys(&self) -> Keys {
        // per name: (array, object, item_object, item_array) over every occurrence
        let mut seen: HashMap<String, [bool; 4]> = HashMap::new();
        let mut visited = HashSet::new();
        self.collect(self.root, 0, &mut visited, &mut seen);
        let mut keys = Keys::default();
        for (name, [array, object, item_object, item_array]) in seen {
            for (yes, set) in [
                (array, &mut keys.array),
                (object, &mut keys.object),
                (item_object, &mut keys.item_object),
                (item_array, &mut keys.item_array),
            ] {
                if yes {
                    set.insert(name.clone());
                }
            }
        }
        keys
    }

    /// The types the items of an array under `s` may have.
    fn item_types(&self, s: &'a Value) -> u8 {
        let mut applying = Vec::new();
        if !self.applying(s, ARRAY, 0, &mut applying) {
            return ANY;
        }
        applying
            .iter()
            .filter_map(|m| m.get("items"))
            .fold(ANY, |t, items| t & self.allowed(items, 0))
    }

    fn collect(
        &self,
        s: &'a Value,
        depth: usize,
        visited: &mut HashSet<*const Value>,
        seen: &mut HashMap<String, [bool; 4]>,
    ) {
        let Value::Object(m) = s else {
            return;
        };
        if depth > MAX_DEPTH || !visited.insert(s as *const Value) {
            return;
        }
        if let Some(t) = self.target(m) {
            self.collect(t, depth + 1, visited, seen);
        }
        if let Some(Value::Object(props)) = m.get("properties") {
            for (name, p) in props {
                let allowed = self.allowed(p, 0);
                let items = if allowed & ARRAY != 0 {
                    self.item_types(p)
                } else {
                    0
                };
                let here = [
                    allowed & ARRAY != 0,
                    allowed & OBJECT != 0,
                    items & OBJECT != 0,
                    items & ARRAY != 0,
                ];
                let all = seen.entry(name.clone()).or_insert([true; 4]);
                for (a, h) in all.iter_mut().zip(here) {
                    *a &= h;
                }
                self.collect(p, depth + 1, visited, seen);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = m.get(key) {
                self.collect(sub, depth + 1, visited, seen);
            }
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                for b in branches {
                    self.collect(b, depth + 1, visited, seen);
                }
            }
        }
    }
}

/// Refuses an array or an object anywhere in `data` where the schema of
/// `kind` allows none (a struct written as an array, a unit enum variant
/// written as `{"variant": null}`).
///
/// # Errors
/// A `Malformed` [`Rejection`], rule `schema`, naming the place
/// (`data.entries[0]: must be an object, not an array`).
pub(crate) fn check(kind: Kind, data: &Value) -> Result<(), Rejection> {
    let Some(shape) = shape_of(kind) else {
        return Ok(());
    };
    let mut at = String::from("data");
    Walker::new(&shape.schema).check(data, &shape.schema, &mut at)
}

/// Whether every array and object in `text` (the JSON text of an object,
/// `data` of `kind`) stands where the schema allows one: then [`check`]
/// takes the text's value. `false` also for a text with a backslash, an
/// array or object nested more than 32 deep, or one under a property name
/// that may not hold it everywhere in the kind's schema; it says nothing
/// about why (the caller asks [`check`]). Reads the bytes once, with no
/// allocation.
pub(crate) fn text_may_pass(kind: Kind, text: &str) -> bool {
    let b = text.as_bytes();
    // most lines have no array or object inside `data`
    if !b.iter().skip(1).any(|&c| c == b'[' || c == b'{') {
        return b.first() == Some(&b'{');
    }
    let Some(shape) = shape_of(kind) else {
        return false;
    };
    let keys = &shape.keys;
    // each open array: the key it stands under (None: unknown, so its
    // items may be no array or object)
    let mut arrays: [Option<&str>; MAX_DEPTH] = [None; MAX_DEPTH];
    let mut is_array = [false; MAX_DEPTH];
    let mut depth = 0usize;
    let mut last_string = "";
    let mut key: Option<&str> = None;
    let mut prev = 0u8;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let Some(len) = b[i + 1..].iter().position(|&x| x == b'"' || x == b'\\') else {
                    return false;
                };
                if b[i + 1 + len] == b'\\' {
                    return false;
                }
                last_string = &text[i + 1..i + 1 + len];
                prev = b'"';
                i += len + 2;
                continue;
            }
            b'\\' => return false,
            b':' => {
                key = Some(last_string);
                prev = c;
            }
            b'{' | b'[' => {
                let ok = if depth == 0 {
                    c == b'{'
                } else if prev == b':' {
                    let k = key.unwrap_or("");
                    if c == b'{' {
                        keys.object.contains(k)
                    } else {
                        keys.array.contains(k)
                    }
                } else if is_array[depth - 1] {
                    match arrays[depth - 1] {
                        Some(k) if c == b'{' => keys.item_object.contains(k),
                        Some(k) => keys.item_array.contains(k),
                        None => false,
                    }
                } else {
                    false
                };
                if !ok || depth == MAX_DEPTH {
                    return false;
                }
                is_array[depth] = c == b'[';
                arrays[depth] = if c == b'[' && prev == b':' { key } else { None };
                depth += 1;
                prev = c;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                prev = c;
            }
            b',' => prev = c,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn timesheet(entries: Value) -> Value {
        json!({"staff_id": "L-1", "month": "2017-03", "entries": entries})
    }

    /// Forms serde's derive took and the schema does not allow, refused with
    /// their place; the text guard never passes them.
    #[test]
    fn a_struct_as_an_array_and_a_unit_variant_as_an_object_are_refused_with_their_place() {
        let registration = |gender: Value| {
            json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "given_name": "Alena",
                "family_name": "Nováková", "birth_date": "1980-02-29", "gender": gender,
                "education_isced": 3, "labour_status": "employed", "disadvantages": ["disability"],
                "organization_id": "ORG-01", "entry_date": "2016-11-02"})
        };
        let cases = [
            (
                Kind::TimesheetFiled,
                timesheet(json!([["teaching", "Lekce", "2", null]])),
                "data.entries[0]",
                "must be an object, not an array",
            ),
            (
                Kind::ParticipantRegistered,
                registration(json!({"female": null})),
                "data.gender",
                "must be a string, not an object",
            ),
            (
                Kind::InternshipCompleted,
                json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "host": ["H", "25379631"],
                    "start": "2017-03-01", "end": "2017-03-02", "hours": "8"}),
                "data.host",
                "must be an object, not an array",
            ),
            (
                Kind::AttendanceRecorded,
                json!({"participant_id": "0191e0a0-0000-7000-8000-000000000001", "session_id": "S",
                    "hours": "6", "mode": {"online": null}}),
                "data.mode",
                "must be a string or null, not an object",
            ),
            (
                Kind::SessionHeld,
                json!(["S", "R", "2017-02-28", "2"]),
                "data",
                "must be an object, not an array",
            ),
        ];
        for (kind, data, field, message) in cases {
            let r = check(kind, &data).unwrap_err();
            assert_eq!(
                (r.field.as_str(), r.rule.as_str(), r.message.as_str()),
                (field, "schema", message),
                "{data}"
            );
            assert!(!text_may_pass(kind, &data.to_string()), "{data}");
        }
        // the forms the schema allows pass both
        for (kind, data) in [
            (
                Kind::TimesheetFiled,
                timesheet(json!([{"activity": "teaching", "description": "Lekce", "hours": "2"}])),
            ),
            (Kind::ParticipantRegistered, registration(json!("female"))),
        ] {
            assert_eq!(check(kind, &data), Ok(()), "{data}");
            assert!(text_may_pass(kind, &data.to_string()), "{data}");
            assert!(text_may_pass(
                kind,
                &serde_json::to_string_pretty(&data).unwrap()
            ));
        }
    }

    /// A correction's replacement may be any kind: its data is checked by
    /// the nested parse, and the replacement itself must be an object.
    #[test]
    fn a_replacement_as_an_array_is_refused() {
        let data = json!({"target_event_id": "0191e0a0-0000-7000-8000-000000000009", "reason": "typo",
            "replacement": ["attendance_recorded", {"participant_id": "0191e0a0-0000-7000-8000-000000000001", "session_id": "S", "hours": "6"}]});
        let r = check(Kind::EventCorrected, &data).unwrap_err();
        assert_eq!(
            (r.field.as_str(), r.message.as_str()),
            ("data.replacement", "must be an object, not an array")
        );
    }
}
