//! Holds JSON responses against the schemas of `tests/spec/mastodon-openapi.json`:
//! types, required properties, nested objects and arrays, `$ref`s, `enum`s and `anyOf`/`oneOf`.

use serde_json::Value;
use std::sync::OnceLock;

/// Known mistakes of the description, as `(schema path, property, reason)`. None is needed
/// yet; add one here, with its reason, rather than loosening the check.
const KNOWN_SPEC_BUGS: &[(&str, &str, &str)] = &[];

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/spec/mastodon-openapi.json"
        );
        let text = std::fs::read_to_string(path).expect("read the OpenAPI description");
        serde_json::from_str(&text).expect("parse the OpenAPI description")
    })
}

/// Panics with every mismatch between `value` and the component schema `name`.
pub fn assert_matches(name: &str, value: &Value) {
    let schema = &spec()["components"]["schemas"][name];
    assert!(
        !schema.is_null(),
        "no schema named {name} in the description"
    );
    let mut errors = Vec::new();
    check(schema, value, name, &mut errors);
    errors.retain(|e| {
        !KNOWN_SPEC_BUGS
            .iter()
            .any(|(path, prop, _)| e.starts_with(&format!("{path}.{prop}")))
    });
    assert!(
        errors.is_empty(),
        "{name} does not match the description:\n{}\nvalue: {value:#}",
        errors.join("\n")
    );
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(&spec()["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn check(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|option| {
                let mut sub = Vec::new();
                check(option, value, path, &mut sub);
                sub.is_empty()
            });
            if !fits {
                errors.push(format!("{path}: matches none of {key}"));
            }
            return;
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check(part, value, path, errors);
        }
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !kinds.is_empty() && !kinds.iter().any(|kind| type_matches(kind, value)) {
        errors.push(format!("{path}: expected {kinds:?}, got {value}"));
        return;
    }
    if let (Some(allowed), false) = (
        schema.get("enum").and_then(Value::as_array),
        value.is_null(),
    ) {
        if !allowed.contains(value) {
            errors.push(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                errors.push(format!("{path}.{key}: required but missing"));
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, sub) in properties {
                if let Some(item) = object.get(key) {
                    check(sub, item, &format!("{path}.{key}"), errors);
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(items, item, &format!("{path}[{i}]"), errors);
        }
    }
}
