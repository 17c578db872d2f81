//! Property: whatever is done to the Token document (nodes deleted or
//! replaced, types changed, odd values inserted, references broken), import,
//! normalization, generation and diff answer `Ok` or a `Diagnostic`: never a
//! panic, never a hang.

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cakemail_codegen::diagnostic::push_pointer;
use cakemail_codegen::import::{Selection, import};
use cakemail_codegen::{Target, run_document};
use proptest::prelude::*;
use serde_json::{Value, json};

fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, push_pointer(&at, k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, push_pointer(&at, &i.to_string()), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Read once: cases must not depend on the file system.
fn token() -> &'static Value {
    static TOKEN: OnceLock<Value> = OnceLock::new();
    TOKEN.get_or_init(common::token)
}

fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e300),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!({"$ref": "#/components/schemas/Nope"}),
        json!({"$ref": "https://example.com/other.json#/X"}),
        json!({"$ref": "#/paths"}),
        json!({"$ref": 3}),
        json!({"$ref": "#/components/schemas/TokenResponse"}),
        json!({"type": "null"}),
        json!({"type": ["string", "null"]}),
        json!({"type": ["integer", "string", "null"], "minimum": 0.5}),
        json!({"type": "object", "additionalProperties": false}),
        json!({"allOf": []}),
        json!({"allOf": [true]}),
        json!({"anyOf": [{"type": "null"}]}),
        json!({"oneOf": [{"$ref": "#/components/schemas/Scope"}, {"type": "null"}]}),
        json!({"const": {"a": [1]}}),
        json!({"enum": []}),
        json!({"type": "integer", "maximum": -1e20}),
        json!({"type": "array"}),
        json!({"prefixItems": [{}]}),
        json!({"content": {"multipart/form-data": {}}}),
        json!({"content": {"text/html": {"schema": {"type": "string"}}}}),
        json!({"description": "d"}),
        json!({"default": {"$ref": "#/x"}}),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Replace(usize, usize),
    InsertKey(usize, usize, usize),
    ChangeType(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::InsertKey(a, b, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::ChangeType(a, b)),
    ]
}

const KEYS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "default",
    "enum",
    "allOf",
    "anyOf",
    "oneOf",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "responses",
    "requestBody",
    "security",
    "deprecated",
    "operationId",
    "content",
    "schema",
    "minimum",
    "format",
    "discriminator",
];
const TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "array", "object", "null", "file",
];

fn apply(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |i: usize| all[i % all.len()].clone();
    let odd = odd_values();
    match *m {
        Mutation::Delete(i) => {
            let p = pick(i);
            let Some((parent, last)) = p.rsplit_once('/') else {
                return;
            };
            let key = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&key);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(target) = doc.pointer_mut(&pick(i)) {
                *target = odd[v % odd.len()].clone();
            }
        }
        Mutation::InsertKey(i, k, v) => {
            if let Some(Value::Object(map)) = doc.pointer_mut(&pick(i)) {
                map.insert(KEYS[k % KEYS.len()].into(), odd[v % odd.len()].clone());
            }
        }
        Mutation::ChangeType(i, t) => {
            let typed: Vec<&String> = all.iter().filter(|p| p.ends_with("/type")).collect();
            if typed.is_empty() {
                return;
            }
            let p = typed[i % typed.len()].clone();
            if let Some(target) = doc.pointer_mut(&p) {
                *target = json!(TYPES[t % TYPES.len()]);
            }
        }
    }
}

proptest! {
    // 64 cases in the normal suite; PROPTEST_CASES=5000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_documents_give_ok_or_a_diagnostic(mutations in proptest::collection::vec(mutation(), 1..5)) {
        let token = token();
        let mut doc = token.clone();
        for m in &mutations {
            apply(&mut doc, m);
        }
        let file = Path::new("mutated.json");
        let start = Instant::now();
        // Straight through the pipeline, and through import first.
        let _ = run_document(&doc, file, &Target::sdk());
        if let Ok(excerpt) = import(&doc, file, &Selection::default()) {
            let _ = run_document(&excerpt, file, &Target::sdk());
        }
        let _ = import(&doc, file, &Selection::new(vec![], vec!["/token".into()]));
        let report = cakemail_codegen::diff::diff(token, &doc);
        let _ = report.to_text();
        let _ = report.to_json();
        prop_assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    }
}
