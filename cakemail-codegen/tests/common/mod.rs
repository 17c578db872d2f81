//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The committed Token document.
pub fn token() -> Value {
    cakemail_codegen::document::load(&root().join(cakemail_codegen::UPSTREAM))
        .unwrap_or_else(|d| panic!("{d}"))
}

/// The committed Token document's bytes.
pub fn token_bytes() -> String {
    std::fs::read_to_string(root().join(cakemail_codegen::UPSTREAM)).unwrap()
}

/// `map` with `extra` entries inserted before the key named by each entry's
/// first element (`None`: at the end), keeping every other key in place.
pub fn interleave(map: &Value, extra: &[(Option<&str>, &str, Value)]) -> Value {
    let map = map.as_object().expect("an object");
    let mut out = Map::new();
    for (key, value) in map {
        for (before, k, v) in extra {
            if *before == Some(key.as_str()) {
                out.insert((*k).to_string(), v.clone());
            }
        }
        out.insert(key.clone(), value.clone());
    }
    for (before, k, v) in extra {
        if before.is_none() {
            out.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(out)
}
