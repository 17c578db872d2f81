//! Cutting the Token API (or any chosen operations) out of Cakemail's full
//! OpenAPI document.
//!
//! The result holds `openapi`, `info`, `servers`, `jsonSchemaDialect` and
//! top-level `security` when upstream has them, the selected operations (path
//! items keep their own keys, such as `parameters`, and only the selected
//! methods), and every component those reference, transitively: schemas,
//! parameters, responses, request bodies, headers, and the security schemes
//! named in an operation's or the document's `security`. Nothing else is
//! kept (`tags`, `webhooks`, `externalDocs`, extensions) and no value is
//! changed: key order and component order are upstream's, so an imported
//! document is a faithful excerpt and re-importing it changes no byte.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, push_pointer};
use crate::document::METHODS;

/// Which operations to keep. An operation is kept when it matches any filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Keep operations listing one of these tags (exact, case-sensitive).
    pub tags: Vec<String>,
    /// Keep operations under one of these paths: the path itself and the
    /// paths below it (`/token` also selects `/token/challenge`).
    pub paths: Vec<String>,
}

impl Default for Selection {
    /// The Token API: `--tag Token`.
    fn default() -> Self {
        Self {
            tags: vec!["Token".into()],
            paths: Vec::new(),
        }
    }
}

impl Selection {
    /// The given filters, or the default (`Token` tag) when both are empty.
    pub fn new(tags: Vec<String>, paths: Vec<String>) -> Self {
        if tags.is_empty() && paths.is_empty() {
            Self::default()
        } else {
            Self { tags, paths }
        }
    }

    /// Whether the operation `op` at `path` is selected.
    pub fn matches(&self, path: &str, op: &Value) -> bool {
        let by_path = self.paths.iter().any(|p| {
            let p = p.trim_end_matches('/');
            path == p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        let by_tag = op
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .any(|t| self.tags.iter().any(|want| want == t))
            });
        by_path || by_tag
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self.tags.iter().map(|t| format!("--tag {t}")).collect();
        parts.extend(self.paths.iter().map(|p| format!("--path {p}")));
        parts.join(" ")
    }
}

/// Top-level keys an excerpt keeps besides `paths` and `components`.
const KEPT_TOP_LEVEL: &[&str] = &[
    "openapi",
    "info",
    "servers",
    "jsonSchemaDialect",
    "security",
];

/// Cuts the selected operations and what they reference out of `doc`.
///
/// `file` names the document in diagnostics. Fails when the document is not
/// an OpenAPI 3.x object with `paths`, when nothing matches, or when a kept
/// construct holds an external, dangling or malformed `$ref`.
pub fn import(doc: &Value, file: &Path, selection: &Selection) -> Result<Value, Diagnostic> {
    let root = doc
        .as_object()
        .ok_or_else(|| Diagnostic::at(file, "", "an OpenAPI document must be an object"))?;
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => {}
        Some(v) => {
            return Err(Diagnostic::at(
                file,
                "/openapi",
                format!("unsupported OpenAPI version `{v}`: expected 3.0.x or 3.1.x"),
            ));
        }
        None => {
            return Err(Diagnostic::at(
                file,
                "/openapi",
                "missing `openapi` version string",
            ));
        }
    }
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| Diagnostic::at(file, "/paths", "missing `paths` object"))?;

    let mut kept_paths = Map::new();
    for (path, item) in paths {
        let item_at = push_pointer("/paths", path);
        let Some(item) = item.as_object() else {
            return Err(Diagnostic::at(
                file,
                item_at,
                "a path item must be an object",
            ));
        };
        if item.contains_key("$ref") {
            return Err(Diagnostic::at(
                file,
                push_pointer(&item_at, "$ref"),
                "path items given by reference are not supported",
            ));
        }
        let mut kept = Map::new();
        let mut any = false;
        for (key, value) in item {
            if METHODS.contains(&key.as_str()) {
                if !value.is_object() {
                    return Err(Diagnostic::at(
                        file,
                        push_pointer(&item_at, key),
                        "an operation must be an object",
                    ));
                }
                if selection.matches(path, value) {
                    kept.insert(key.clone(), value.clone());
                    any = true;
                }
            } else {
                kept.insert(key.clone(), value.clone());
            }
        }
        if any {
            kept_paths.insert(path.clone(), Value::Object(kept));
        }
    }
    if kept_paths.is_empty() {
        return Err(Diagnostic::document(
            file,
            format!("no operation matches {}", selection.describe()),
        ));
    }

    // Which components are referenced, transitively: `(kind, name)`.
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let paths_value = Value::Object(kept_paths);
    let mut pending = Vec::new();
    references(&paths_value, "/paths", &mut pending);
    security_schemes(&paths_value, root.get("security"), &mut pending);
    while let Some((pointer_at, reference)) = pending.pop() {
        let (kind, name) = component_of(&reference).ok_or_else(|| {
                let message = if reference.starts_with('#') {
                    format!(
                        "reference `{reference}` does not point into `components`; import cannot keep it"
                    )
                } else {
                    format!(
                        "external reference `{reference}` is not supported; bundle the document first"
                    )
                };
                Diagnostic::at(file, pointer_at.clone(), message)
            })?;
        let target = doc
            .get("components")
            .and_then(|c| c.get(&kind))
            .and_then(|k| k.get(&name))
            .ok_or_else(|| {
                Diagnostic::at(
                    file,
                    pointer_at.clone(),
                    format!("dangling reference `{reference}`: nothing at that pointer"),
                )
            })?;
        if let Some(rest) = reference.strip_prefix('#')
            && doc.pointer(rest).is_none()
        {
            return Err(Diagnostic::at(
                file,
                pointer_at,
                format!("dangling reference `{reference}`: nothing at that pointer"),
            ));
        }
        if wanted.contains(&(kind.clone(), name.clone())) {
            continue;
        }
        let target_at = push_pointer(&push_pointer("/components", &kind), &name);
        references(target, &target_at, &mut pending);
        wanted.insert((kind, name));
    }

    let mut out = Map::new();
    for (key, value) in root {
        match key.as_str() {
            "paths" => {
                out.insert(key.clone(), paths_value.clone());
            }
            "components" => {
                let components = filter_components(value, &wanted);
                if !components.is_empty() {
                    out.insert(key.clone(), Value::Object(components));
                }
            }
            k if KEPT_TOP_LEVEL.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Ok(Value::Object(out))
}

/// What [`import_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Number of operations kept.
    pub operations: usize,
    /// Number of components kept, all kinds together.
    pub components: usize,
    /// Whether the destination's bytes changed.
    pub changed: bool,
}

/// Imports `source` (JSON or YAML) into `dest` as pretty JSON, atomically;
/// leaves `dest` untouched when its bytes would not change.
pub fn import_file(
    source: &Path,
    dest: &Path,
    selection: &Selection,
) -> Result<Imported, Diagnostic> {
    let doc = crate::document::load(source)?;
    let excerpt = import(&doc, source, selection)?;
    let text = to_json(&excerpt);
    let changed = std::fs::read(dest).ok().as_deref() != Some(text.as_bytes());
    if changed {
        crate::write_atomic(dest, text.as_bytes())
            .map_err(|e| Diagnostic::document(dest, format!("cannot write: {e}")))?;
    }
    Ok(Imported {
        operations: count_operations(&excerpt),
        components: excerpt
            .get("components")
            .and_then(Value::as_object)
            .map_or(0, |c| {
                c.values().filter_map(Value::as_object).map(Map::len).sum()
            }),
        changed,
    })
}

/// The committed form of an imported document: pretty JSON with two-space
/// indentation and a final newline, non-ASCII characters unescaped.
pub fn to_json(doc: &Value) -> String {
    crate::normalize::to_pretty_json(doc)
}

/// Number of operations in a document.
pub fn count_operations(doc: &Value) -> usize {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

fn filter_components(
    components: &Value,
    wanted: &BTreeSet<(String, String)>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (kind, entries) in components.as_object().into_iter().flatten() {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        let kept: Map<String, Value> = entries
            .iter()
            .filter(|(name, _)| wanted.contains(&(kind.clone(), (*name).clone())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            out.insert(kind.clone(), Value::Object(kept));
        }
    }
    out
}

/// `(kind, name)` of the component a local reference points into, e.g.
/// `#/components/schemas/A/properties/b` → `(schemas, A)`.
fn component_of(reference: &str) -> Option<(String, String)> {
    let rest = reference.strip_prefix("#/components/")?;
    let mut tokens = rest.split('/');
    let kind = unescape(tokens.next()?);
    let name = unescape(tokens.next()?);
    (!kind.is_empty() && !name.is_empty()).then_some((kind, name))
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Every `$ref` under `value` with the pointer where it sits, plus the
/// component names a discriminator `mapping` refers to.
fn references(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_at = push_pointer(at, key);
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => out.push((child_at, r.clone())),
                    ("$ref", _) => out.push((child_at, String::new())),
                    ("mapping", Value::Object(mapping)) if map.contains_key("propertyName") => {
                        for (name, target) in mapping {
                            if let Some(t) = target.as_str() {
                                let reference = if t.starts_with('#') {
                                    t.to_string()
                                } else {
                                    format!("#/components/schemas/{t}")
                                };
                                out.push((push_pointer(&child_at, name), reference));
                            }
                        }
                    }
                    _ => references(child, &child_at, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                references(child, &push_pointer(at, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// Security schemes named in the kept operations' `security` and in the
/// document's, as references with the pointer of the requirement.
fn security_schemes(paths: &Value, global: Option<&Value>, out: &mut Vec<(String, String)>) {
    let mut push = |requirements: &Value, at: &str| {
        for (i, requirement) in requirements.as_array().into_iter().flatten().enumerate() {
            for name in requirement.as_object().into_iter().flat_map(|r| r.keys()) {
                out.push((
                    push_pointer(&push_pointer(at, &i.to_string()), name),
                    format!(
                        "#/components/securitySchemes/{}",
                        name.replace('~', "~0").replace('/', "~1")
                    ),
                ));
            }
        }
    };
    if let Some(global) = global {
        push(global, "/security");
    }
    for (path, item) in paths.as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(security) = item.get(method).and_then(|op| op.get("security")) {
                let at = push_pointer(
                    &push_pointer(&push_pointer("/paths", path), method),
                    "security",
                );
                push(security, &at);
            }
        }
    }
}
