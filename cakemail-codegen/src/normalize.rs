//! Upstream document → a document progenitor 0.15 accepts, by rules.
//!
//! Each rule is a small function over the whole document with its own tests.
//! Rules never guess: what they cannot rewrite faithfully they report as a
//! [`RuleError`] with the JSON pointer of the construct.

use std::collections::BTreeSet;
use std::path::Path;

use heck::ToUpperCamelCase;
use serde_json::{Map, Value, json};

use crate::diagnostic::{Diagnostic, RuleError, push_pointer};
use crate::document::{METHODS, check_refs, for_each_schema, resolve};

/// Name of the component that stands for a secret string; the generator maps
/// it to the SDK's redacting `SecretString`.
pub const SECRET_SCHEMA: &str = "SecretString";

/// String properties holding a password, a token, an MFA challenge or code.
pub const SECRET_PROPERTIES: &[&str] = &[
    "password",
    "access_token",
    "refresh_token",
    "challenge",
    "code",
];

/// A named normalization step.
pub struct Rule {
    /// Short name, used in messages and docs.
    pub name: &'static str,
    /// The rewrite.
    pub apply: fn(&mut Value) -> Result<(), RuleError>,
}

/// The rules, in the order they run.
pub const RULES: &[Rule] = &[
    Rule {
        name: "openapi_version",
        apply: openapi_version,
    },
    Rule {
        name: "json_schema_2020_to_openapi_3_0",
        apply: json_schema_2020_to_openapi_3_0,
    },
    Rule {
        name: "boolean_schemas",
        apply: boolean_schemas,
    },
    Rule {
        name: "single_all_of_and_ref_siblings",
        apply: single_all_of_and_ref_siblings,
    },
    Rule {
        name: "integer_bounds",
        apply: integer_bounds,
    },
    Rule {
        name: "scalar_any_of",
        apply: scalar_any_of,
    },
    Rule {
        name: "exclusive_any_of",
        apply: exclusive_any_of,
    },
    Rule {
        name: "one_media_type_per_body",
        apply: one_media_type_per_body,
    },
    Rule {
        name: "hoist_inline_responses",
        apply: hoist_inline_responses,
    },
    Rule {
        name: "merge_error_responses",
        apply: merge_error_responses,
    },
    Rule {
        name: "secret_properties",
        apply: secret_properties,
    },
    Rule {
        name: "default_response_as_errors",
        apply: default_response_as_errors,
    },
    Rule {
        name: "one_error_body_kind",
        apply: one_error_body_kind,
    },
    Rule {
        name: "one_success_body_kind",
        apply: one_success_body_kind,
    },
    Rule {
        name: "supported_constructs",
        apply: supported_constructs,
    },
];

/// Normalizes `upstream` (read from `file`) for the generator.
pub fn normalize(upstream: &Value, file: &Path) -> Result<Value, Diagnostic> {
    check_refs(upstream).map_err(|e| e.in_file(file))?;
    let mut doc = upstream.clone();
    for rule in RULES {
        (rule.apply)(&mut doc).map_err(|e| e.in_file(file))?;
    }
    // A rule that left a dangling reference is a bug here, not upstream.
    check_refs(&doc).map_err(|e| {
        Diagnostic::at(
            file,
            e.pointer,
            format!("normalization left a bad reference: {}", e.message),
        )
    })?;
    Ok(doc)
}

/// Serializes a document the way it is committed: pretty, trailing newline.
pub fn to_pretty_json(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------
// Rules

/// `openapi: 3.1.x` → `3.0.3`, and the 3.1-only top-level keys go.
///
/// progenitor accepts only `3.0.*`; the schema-level differences are handled
/// by [`json_schema_2020_to_openapi_3_0`].
pub fn openapi_version(doc: &mut Value) -> Result<(), RuleError> {
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| RuleError::new("/openapi", "missing `openapi` version string"))?;
    if version.starts_with("3.1.") {
        doc["openapi"] = json!("3.0.3");
    } else if !version.starts_with("3.0.") {
        return Err(RuleError::new(
            "/openapi",
            format!("unsupported OpenAPI version `{version}`: expected 3.0.x or 3.1.x"),
        ));
    }
    if let Some(root) = doc.as_object_mut() {
        root.remove("webhooks");
        root.remove("jsonSchemaDialect");
    }
    if let Some(license) = doc
        .pointer_mut("/info/license")
        .and_then(Value::as_object_mut)
    {
        license.remove("identifier");
    }
    Ok(())
}

/// JSON Schema 2020-12 (OpenAPI 3.1) keywords → their OpenAPI 3.0 forms.
///
/// `type: [T, "null"]` and `anyOf`/`oneOf` with a `null` member become
/// `nullable: true`; `const` becomes a one-value `enum`; `examples` becomes
/// `example`; numeric `exclusiveMinimum`/`exclusiveMaximum` become a bound
/// plus the 3.0 boolean; annotations 3.0 lacks are dropped.
pub fn json_schema_2020_to_openapi_3_0(doc: &mut Value) -> Result<(), RuleError> {
    for_each_schema(doc, &mut |schema, at| {
        let Some(map) = schema.as_object_mut() else {
            return Ok(());
        };
        for key in [
            "$schema",
            "$id",
            "$comment",
            "$anchor",
            "contentMediaType",
            "contentEncoding",
        ] {
            map.remove(key);
        }
        if let Some(Value::Array(types)) = map.get("type").cloned() {
            let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if non_null.len() < types.len() {
                map.insert("nullable".into(), json!(true));
            }
            match non_null.len() {
                0 => {
                    map.remove("type");
                }
                1 => {
                    map.insert("type".into(), non_null[0].clone());
                }
                _ => {
                    map.remove("type");
                    let members = non_null.into_iter().map(|t| json!({ "type": t })).collect();
                    map.insert("anyOf".into(), Value::Array(members));
                }
            }
        }
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(members)) = map.get_mut(key) else {
                continue;
            };
            let before = members.len();
            members.retain(|m| m.get("type") != Some(&json!("null")));
            if members.len() < before {
                map.insert("nullable".into(), json!(true));
                lift_single_member(map, key);
            }
        }
        if let Some(value) = map.remove("const") {
            map.insert("enum".into(), json!([value]));
        }
        if let Some(examples) = map.remove("examples")
            && let Some(first) = examples.as_array().and_then(|e| e.first())
        {
            map.entry("example").or_insert_with(|| first.clone());
        }
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if let Some(n) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
                map.insert(bound.into(), n);
                map.insert(exclusive.into(), json!(true));
            }
        }
        for key in [
            "prefixItems",
            "if",
            "then",
            "else",
            "dependentSchemas",
            "unevaluatedProperties",
        ] {
            if map.contains_key(key) {
                return Err(RuleError::new(
                    push_pointer(at, key),
                    format!(
                        "JSON Schema keyword `{key}` has no OpenAPI 3.0 form and is not supported"
                    ),
                ));
            }
        }
        Ok(())
    })
}

// After removing `null` members, a one-member `anyOf` is just that member.
fn lift_single_member(map: &mut Map<String, Value>, key: &str) {
    let single = match map.get(key) {
        Some(Value::Array(members)) if members.len() == 1 => members[0].clone(),
        _ => return,
    };
    map.remove(key);
    if single.get("$ref").is_some() {
        // Keep the reference and its siblings apart; the next rule decides.
        map.insert("allOf".into(), json!([single]));
    } else if let Value::Object(inner) = single {
        for (k, v) in inner {
            map.entry(k).or_insert(v);
        }
    }
}

const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "xml",
];

/// `allOf: [X]` wrappers and `$ref` with sibling keys, made explicit.
///
/// OpenAPI 3.0 ignores the siblings of `$ref`, so a `default` or `nullable`
/// written beside one would be lost: such a reference becomes
/// `allOf: [{$ref}]` plus those keys, which the generator honours. Pure
/// annotations beside a reference are dropped (the referenced schema carries
/// its own). A one-member `allOf` of an inline schema is merged into its
/// parent.
pub fn single_all_of_and_ref_siblings(doc: &mut Value) -> Result<(), RuleError> {
    for_each_schema(doc, &mut |schema, at| {
        let Some(map) = schema.as_object_mut() else {
            return Ok(());
        };
        // Collapse `allOf: [one]` into `$ref` + siblings first.
        if let Some(Value::Array(members)) = map.get("allOf")
            && members.len() == 1
        {
            let member = members[0].clone();
            map.remove("allOf");
            match member {
                Value::Object(inner) if inner.contains_key("$ref") => {
                    for (k, v) in inner {
                        map.insert(k, v);
                    }
                }
                Value::Object(inner) => {
                    for (k, v) in inner {
                        if map.contains_key(&k)
                            && map.get(&k) != Some(&v)
                            && !ANNOTATIONS.contains(&k.as_str())
                        {
                            return Err(RuleError::new(
                                push_pointer(at, "allOf"),
                                format!("`allOf` member and its parent disagree on `{k}`"),
                            ));
                        }
                        map.entry(k).or_insert(v);
                    }
                }
                _ => {
                    return Err(RuleError::new(
                        push_pointer(at, "allOf/0"),
                        "`allOf` member is not a schema",
                    ));
                }
            }
        }
        let Some(reference) = map.get("$ref").cloned() else {
            return Ok(());
        };
        map.retain(|k, _| k == "$ref" || !ANNOTATIONS.contains(&k.as_str()));
        if map.len() == 1 {
            return Ok(());
        }
        map.remove("$ref");
        map.insert("allOf".into(), json!([{ "$ref": reference }]));
        Ok(())
    })
}

/// Integer schemas with float bounds (`minimum: 600.0`) get integer bounds.
///
/// A fractional bound rounds inward (`minimum` up, `maximum` down), which
/// admits exactly the same integers.
pub fn integer_bounds(doc: &mut Value) -> Result<(), RuleError> {
    for_each_schema(doc, &mut |schema, at| {
        if schema.get("type") != Some(&json!("integer")) {
            return Ok(());
        }
        let Some(map) = schema.as_object_mut() else {
            return Ok(());
        };
        for (key, round_up) in [("minimum", true), ("maximum", false), ("multipleOf", true)] {
            let Some(Value::Number(n)) = map.get(key) else {
                continue;
            };
            if n.is_i64() || n.is_u64() {
                continue;
            }
            let f = n.as_f64().unwrap_or_default();
            let rounded = if round_up { f.ceil() } else { f.floor() };
            if !rounded.is_finite() || rounded.abs() > 9.0e15 {
                return Err(RuleError::new(
                    push_pointer(at, key),
                    format!("integer bound {f} is out of range"),
                ));
            }
            map.insert(key.into(), json!(rounded as i64));
        }
        Ok(())
    })
}

/// `anyOf` of plain scalars of one type (e.g. a 6-digit code or a 12-char
/// recovery code) becomes one scalar schema of that type.
///
/// The generator would otherwise make a struct of optional members. Length
/// bounds are widened to cover every member; patterns and formats that differ
/// are dropped and the members' descriptions kept, so nothing valid is refused.
pub fn scalar_any_of(doc: &mut Value) -> Result<(), RuleError> {
    for_each_schema(doc, &mut |schema, _| {
        let Some(Value::Array(members)) = schema.get("anyOf") else {
            return Ok(());
        };
        let types: BTreeSet<&str> = members
            .iter()
            .filter_map(|m| m.get("type").and_then(Value::as_str))
            .collect();
        let scalar = types.len() == 1
            && members
                .iter()
                .all(|m| m.get("$ref").is_none() && m.get("enum").is_none())
            && types
                .iter()
                .all(|t| matches!(*t, "string" | "integer" | "number" | "boolean"))
            && members.iter().all(|m| m.get("type").is_some());
        if !scalar {
            return Ok(());
        }
        let members = members.clone();
        let mut merged = Map::new();
        merged.insert(
            "type".into(),
            json!(types.first().copied().unwrap_or("string")),
        );
        for (key, pick_min) in [
            ("minLength", true),
            ("maxLength", false),
            ("minimum", true),
            ("maximum", false),
        ] {
            let values: Vec<f64> = members
                .iter()
                .filter_map(|m| m.get(key).and_then(Value::as_f64))
                .collect();
            if values.len() == members.len() {
                let v = values.iter().copied().fold(
                    if pick_min { f64::MAX } else { f64::MIN },
                    |a, b| {
                        if pick_min { a.min(b) } else { a.max(b) }
                    },
                );
                merged.insert(key.into(), json!(v as i64));
            }
        }
        for key in ["pattern", "format"] {
            let values: BTreeSet<String> = members
                .iter()
                .map(|m| m.get(key).map(|v| v.to_string()).unwrap_or_default())
                .collect();
            if values.len() == 1
                && let Some(v) = members[0].get(key)
            {
                merged.insert(key.into(), v.clone());
            }
        }
        let descriptions: Vec<&str> = members
            .iter()
            .filter_map(|m| {
                m.get("description")
                    .or_else(|| m.get("title"))
                    .and_then(Value::as_str)
            })
            .collect();
        let map = schema.as_object_mut().into_iter().next();
        if let Some(map) = map {
            map.remove("anyOf");
            if !descriptions.is_empty() && !map.contains_key("description") {
                map.insert(
                    "description".into(),
                    json!(format!("One of: {}.", descriptions.join("; "))),
                );
            }
            for (k, v) in merged {
                map.entry(k).or_insert(v);
            }
        }
        Ok(())
    })
}

/// `anyOf` of referenced objects that no value can match twice becomes
/// `oneOf`, which the generator turns into a Rust enum to match on.
///
/// Members are exclusive when each requires a property that no other member
/// declares: e.g. createToken's TokenResponse (`access_token`) or
/// ChallengeResponse (`challenge`).
pub fn exclusive_any_of(doc: &mut Value) -> Result<(), RuleError> {
    let snapshot = doc.clone();
    for_each_schema(doc, &mut |schema, _| {
        let Some(Value::Array(members)) = schema.get("anyOf") else {
            return Ok(());
        };
        if members.len() < 2 {
            return Ok(());
        }
        let resolved: Option<Vec<&Value>> = members
            .iter()
            .map(|m| {
                m.get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| resolve(&snapshot, r))
            })
            .collect();
        let Some(resolved) = resolved else {
            return Ok(());
        };
        let exclusive = resolved.iter().enumerate().all(|(i, member)| {
            required(member).iter().any(|prop| {
                resolved
                    .iter()
                    .enumerate()
                    .all(|(j, other)| i == j || !declares(other, prop))
            })
        });
        if exclusive
            && let Some(map) = schema.as_object_mut()
            && let Some(members) = map.remove("anyOf")
        {
            map.insert("oneOf".into(), members);
        }
        Ok(())
    })
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn declares(schema: &Value, prop: &str) -> bool {
    schema.get("properties").and_then(|p| p.get(prop)).is_some()
}

/// A request body offering several media types keeps one: JSON if offered,
/// else form-urlencoded, else the first. The generator can send only one.
///
/// A form body's `encoding` map is dropped when it only restates defaults;
/// anything else (and multipart bodies) is reported.
pub fn one_media_type_per_body(doc: &mut Value) -> Result<(), RuleError> {
    for_each_operation(doc, &mut |op, at| {
        let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        else {
            return Ok(());
        };
        let content_at = push_pointer(&push_pointer(at, "requestBody"), "content");
        if content.len() > 1 {
            let keep = ["application/json", "application/x-www-form-urlencoded"]
                .into_iter()
                .find(|m| content.contains_key(*m))
                .map(str::to_string)
                .or_else(|| content.keys().next().cloned());
            content.retain(|k, _| Some(k) == keep.as_ref());
        }
        for (media, media_type) in content.iter_mut() {
            let media_at = push_pointer(&content_at, media);
            if media.starts_with("multipart/") {
                return Err(RuleError::new(
                    media_at,
                    "multipart request bodies are not supported by the generator",
                ));
            }
            if let Some(encoding) = media_type
                .get_mut("encoding")
                .and_then(Value::as_object_mut)
            {
                let only_defaults = encoding.values().all(|e| {
                    e.as_object().is_some_and(|e| {
                        e.iter().all(|(k, v)| {
                            (k == "style" && v == "form")
                                || (k == "explode" && v == true)
                                || k == "contentType" && v == "text/plain"
                        })
                    })
                });
                if !only_defaults {
                    return Err(RuleError::new(
                        push_pointer(&media_at, "encoding"),
                        "a request body `encoding` map is not supported by the generator",
                    ));
                }
                if let Some(mt) = media_type.as_object_mut() {
                    mt.remove("encoding");
                }
            }
        }
        Ok(())
    })
}

/// Inline composite response schemas become named components
/// (`{OperationId}Response`), so the Rust type has a stable, readable name.
pub fn hoist_inline_responses(doc: &mut Value) -> Result<(), RuleError> {
    let mut hoisted = Vec::new();
    for_each_operation(doc, &mut |op, _| {
        let Some(id) = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Ok(());
        };
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        for (status, response) in responses.iter_mut() {
            if !status.starts_with('2') {
                continue;
            }
            let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
                continue;
            };
            for media_type in content.values_mut() {
                let Some(schema) = media_type.get_mut("schema") else {
                    continue;
                };
                let composite = ["anyOf", "oneOf", "allOf", "properties"]
                    .iter()
                    .any(|k| schema.get(k).is_some());
                if schema.get("$ref").is_some() || !composite {
                    continue;
                }
                let name = format!("{}Response", id.to_upper_camel_case());
                let mut body = schema.take();
                if let Some(map) = body.as_object_mut() {
                    map.insert("title".into(), json!(name));
                }
                *schema = json!({ "$ref": format!("#/components/schemas/{name}") });
                hoisted.push((name, body));
            }
        }
        Ok(())
    })?;
    let schemas = component_schemas(doc)?;
    for (name, body) in hoisted {
        if let Some(existing) = schemas.get(&name)
            && existing != &body
        {
            return Err(RuleError::new(
                push_pointer("/components/schemas", &name),
                format!(
                    "cannot name an inline response `{name}`: a different schema has that name"
                ),
            ));
        }
        schemas.insert(name, body);
    }
    Ok(())
}

/// Several error responses per operation become one error type.
///
/// progenitor allows one error schema per operation; Cakemail declares four
/// (400, 401, 403, 422). Their schemas are merged into one that accepts every
/// body each of them accepts: an object's properties are united (required only
/// where every member requires them), arrays merge their items, scalars of one
/// type stay as they are. The status stays available on the response value.
/// Operations with the same set of error schemas share one merged component,
/// `HttpError` for the first, `{OperationId}Error` for any other.
pub fn merge_error_responses(doc: &mut Value) -> Result<(), RuleError> {
    let snapshot = doc.clone();
    let mut merged_components: Vec<(String, Value)> = Vec::new();
    for_each_operation(doc, &mut |op, at| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("operation")
            .to_string();
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let mut schemas = Vec::new();
        let mut keys = Vec::new();
        for (status, response) in responses.iter() {
            if status.starts_with('2') || status.starts_with('1') || status.starts_with('3') {
                continue;
            }
            if let Some(schema) = response.pointer("/content/application~1json/schema") {
                if !schemas.contains(schema) {
                    schemas.push(schema.clone());
                }
                keys.push(status.clone());
            }
        }
        if schemas.len() < 2 {
            return Ok(());
        }
        let mut merged = resolve_top(&snapshot, &schemas[0]);
        for (i, schema) in schemas.iter().enumerate().skip(1) {
            let next = resolve_top(&snapshot, schema);
            merged = merge_schemas(&snapshot, &merged, &next).map_err(|m| {
                RuleError::new(
                    push_pointer(&push_pointer(at, "responses"), &keys[i.min(keys.len() - 1)]),
                    m,
                )
            })?;
        }
        let name = match merged_components.iter().find(|(_, s)| *s == merged) {
            Some((name, _)) => name.clone(),
            None => {
                let name = if merged_components.is_empty() {
                    "HttpError".to_string()
                } else {
                    format!("{}Error", id.to_upper_camel_case())
                };
                merged_components.push((name.clone(), merged));
                name
            }
        };
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        for status in keys {
            if let Some(schema) = responses
                .get_mut(&status)
                .and_then(|r| r.pointer_mut("/content/application~1json/schema"))
            {
                *schema = reference.clone();
            }
        }
        Ok(())
    })?;
    let schemas = component_schemas(doc)?;
    for (name, mut schema) in merged_components {
        let mut parts = vec![(name.clone(), Value::Null)];
        // Name the merged items of array properties too (`HttpErrorDetail`),
        // rather than leaving the generator to invent `DetailItem`.
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for (prop, prop_schema) in props.iter_mut() {
                let Some(items) = prop_schema.get_mut("items") else {
                    continue;
                };
                if items.get("properties").is_some() {
                    let item_name = format!("{name}{}", prop.to_upper_camel_case());
                    let mut item = items.take();
                    if let Some(map) = item.as_object_mut() {
                        map.insert("title".into(), json!(item_name));
                    }
                    *items = json!({ "$ref": format!("#/components/schemas/{item_name}") });
                    parts.push((item_name, item));
                }
            }
        }
        if let Some(map) = schema.as_object_mut() {
            map.insert("title".into(), json!(name));
            map.insert(
                "description".into(),
                json!(
                    "Any error body the operation documents, merged: the HTTP status tells which."
                ),
            );
        }
        parts[0].1 = schema;
        for (part_name, part) in parts {
            if schemas.contains_key(&part_name) {
                return Err(RuleError::new(
                    push_pointer("/components/schemas", &part_name),
                    format!("the merged error schema needs the name `{part_name}`, which is taken"),
                ));
            }
            schemas.insert(part_name, part);
        }
    }
    Ok(())
}

fn resolve_top(doc: &Value, schema: &Value) -> Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(doc, r))
    {
        Some(target) => resolve_top(doc, target),
        None => schema.clone(),
    }
}

/// The least schema accepting what `a` or `b` accepts.
fn merge_schemas(doc: &Value, a: &Value, b: &Value) -> Result<Value, String> {
    let a = resolve_top(doc, a);
    let b = resolve_top(doc, b);
    if a == b {
        return Ok(a);
    }
    let kind = |s: &Value| {
        s.get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| s.get("properties").map(|_| "object".to_string()))
    };
    let (ka, kb) = (kind(&a), kind(&b));
    let mut out = Map::new();
    match (ka.as_deref(), kb.as_deref()) {
        (Some("object"), Some("object")) => {
            out.insert("type".into(), json!("object"));
            let mut props = Map::new();
            let empty = Map::new();
            let pa = a
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let pb = b
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            for (name, sa) in pa {
                let merged = match pb.get(name) {
                    Some(sb) => merge_schemas(doc, sa, sb)?,
                    None => sa.clone(),
                };
                props.insert(name.clone(), merged);
            }
            for (name, sb) in pb {
                if !pa.contains_key(name) {
                    props.insert(name.clone(), sb.clone());
                }
            }
            out.insert("properties".into(), Value::Object(props));
            let ra: BTreeSet<&str> = required(&a).into_iter().collect();
            let both: Vec<&str> = required(&b)
                .into_iter()
                .filter(|r| ra.contains(r))
                .collect();
            if !both.is_empty() {
                out.insert("required".into(), json!(both));
            }
        }
        (Some("array"), Some("array")) => {
            out.insert("type".into(), json!("array"));
            let items = match (a.get("items"), b.get("items")) {
                (Some(ia), Some(ib)) => merge_schemas(doc, ia, ib)?,
                _ => json!({}),
            };
            out.insert("items".into(), items);
        }
        (Some(x), Some(y)) if x == y => {
            out.insert("type".into(), json!(x));
            for key in ["format", "enum"] {
                if a.get(key) == b.get(key)
                    && let Some(v) = a.get(key)
                {
                    out.insert(key.into(), v.clone());
                }
            }
        }
        _ => {
            // Different shapes: accept either.
            let mut members = Vec::new();
            for s in [&a, &b] {
                match s.get("anyOf").and_then(Value::as_array) {
                    Some(inner) => members.extend(inner.iter().cloned()),
                    None => members.push(s.clone()),
                }
            }
            members.dedup();
            out.insert("anyOf".into(), Value::Array(members));
        }
    }
    if let Some(title) = a.get("title").filter(|_| a.get("title") == b.get("title")) {
        out.insert("title".into(), title.clone());
    }
    Ok(Value::Object(out))
}

/// String properties named like secrets (see [`SECRET_PROPERTIES`]) refer to
/// the `SecretString` component, which the generator maps to the SDK's
/// redacting type: their Debug output never shows the value.
pub fn secret_properties(doc: &mut Value) -> Result<(), RuleError> {
    let mut used = false;
    for_each_schema(doc, &mut |schema, _| {
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        for (name, prop) in props.iter_mut() {
            if SECRET_PROPERTIES.contains(&name.as_str())
                && prop.get("type") == Some(&json!("string"))
            {
                let mut replacement = Map::new();
                replacement.insert(
                    "$ref".into(),
                    json!(format!("#/components/schemas/{SECRET_SCHEMA}")),
                );
                *prop = Value::Object(replacement);
                used = true;
            }
        }
        Ok(())
    })?;
    if used {
        let schemas = component_schemas(doc)?;
        schemas.insert(
            SECRET_SCHEMA.into(),
            json!({
                "type": "string",
                "format": "password",
                "title": SECRET_SCHEMA,
                "description": "A password, token, MFA challenge or code: never shown in Debug or Display output."
            }),
        );
    }
    Ok(())
}

/// JSON Schema boolean schemas: `true` (any value) becomes `{}`; `false` (no
/// value) has no OpenAPI 3.0 form and is reported.
pub fn boolean_schemas(doc: &mut Value) -> Result<(), RuleError> {
    for_each_schema(doc, &mut |schema, at| match schema {
        Value::Bool(true) => {
            *schema = json!({});
            Ok(())
        }
        Value::Bool(false) => Err(RuleError::new(
            at,
            "the `false` schema (no value allowed) has no OpenAPI 3.0 form",
        )),
        _ => Ok(()),
    })
}

/// The kind of body progenitor sees in a response: typed JSON, raw bytes
/// (any other media type) or none. It matches `application/json` exactly or
/// with parameters, as progenitor does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    None,
    Raw,
    Json,
}

fn body_kind(response: &Value) -> BodyKind {
    match response.get("content").and_then(Value::as_object) {
        Some(content) if content.keys().any(|m| is_json_media(m)) => BodyKind::Json,
        Some(content) if !content.is_empty() => BodyKind::Raw,
        _ => BodyKind::None,
    }
}

fn is_json_media(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

fn is_error_status(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

/// A `default` response beside explicit success responses documents the
/// errors: it becomes `4XX` and `5XX` (where not already declared).
///
/// progenitor counts `default` both as a success and as an error, so with a
/// typed 200 it sees two success types and panics. The statuses `default`
/// covers that a client can receive as an answer are the 4xx and 5xx ones
/// (1xx and 3xx are handled by the HTTP stack), so nothing is lost.
pub fn default_response_as_errors(doc: &mut Value) -> Result<(), RuleError> {
    for_each_operation(doc, &mut |op, _| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let has_success = responses.keys().any(|s| s.starts_with('2'));
        if !has_success {
            return Ok(());
        }
        let Some(default) = responses.remove("default") else {
            return Ok(());
        };
        for range in ["4XX", "5XX"] {
            if !responses.contains_key(range) {
                responses.insert(range.into(), default.clone());
            }
        }
        Ok(())
    })
}

/// Error responses of one operation keep one body kind: typed JSON if any
/// has it, else raw, else none. The others are dropped from the document.
///
/// progenitor supports one error type per operation and panics on a mix
/// (FastAPI documents often pair JSON 422 bodies with an HTML 500 page or a
/// bodiless 404). A dropped status still reaches the caller, as
/// `Error::UnexpectedResponse` with its status and raw body.
pub fn one_error_body_kind(doc: &mut Value) -> Result<(), RuleError> {
    for_each_operation(doc, &mut |op, _| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let Some(keep) = responses
            .iter()
            .filter(|(s, _)| is_error_status(s))
            .map(|(_, r)| body_kind(r))
            .max()
        else {
            return Ok(());
        };
        responses.retain(|s, r| !is_error_status(s) || body_kind(r) == keep);
        Ok(())
    })
}

/// Success responses of one operation must share one body: the same JSON
/// schema, or all raw, or all empty. Anything else is reported at the
/// response that differs, since no rewrite keeps every success status.
/// A JSON response without a schema gets the any-value schema `{}`.
pub fn one_success_body_kind(doc: &mut Value) -> Result<(), RuleError> {
    for_each_operation(doc, &mut |op, at| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let responses_at = push_pointer(at, "responses");
        let mut first: Option<(String, BodyKind, Option<Value>)> = None;
        for (status, response) in responses.iter_mut() {
            let success = status.starts_with('2') || status == "default";
            let status_at = push_pointer(&responses_at, status);
            let mut schema = None;
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                for (media, media_type) in content.iter_mut() {
                    if !is_json_media(media) {
                        continue;
                    }
                    let media_at = push_pointer(&push_pointer(&status_at, "content"), media);
                    let Some(mt) = media_type.as_object_mut() else {
                        return Err(RuleError::new(media_at, "a media type must be an object"));
                    };
                    if mt
                        .get("encoding")
                        .and_then(Value::as_object)
                        .is_some_and(|e| !e.is_empty())
                    {
                        return Err(RuleError::new(
                            push_pointer(&media_at, "encoding"),
                            "a response `encoding` map is not supported by the generator",
                        ));
                    }
                    let s = mt.entry("schema").or_insert_with(|| json!({}));
                    schema.get_or_insert_with(|| s.clone());
                }
            }
            if !success {
                continue;
            }
            let kind = body_kind(response);
            match &first {
                None => first = Some((status.clone(), kind, schema)),
                Some((first_status, first_kind, first_schema)) => {
                    if *first_kind != kind || *first_schema != schema {
                        return Err(RuleError::new(
                            status_at,
                            format!(
                                "success responses {first_status} and {status} have different bodies; the generator supports one success type per operation"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    })
}

/// Reports, with their pointer, constructs the generator would panic on.
pub fn supported_constructs(doc: &mut Value) -> Result<(), RuleError> {
    let mut ids = BTreeSet::new();
    for_each_operation(doc, &mut |op, at| {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            return Err(RuleError::new(
                at,
                "operation has no `operationId`; the generator needs one to name the method",
            ));
        };
        if !ids.insert(id.to_string()) {
            return Err(RuleError::new(
                push_pointer(at, "operationId"),
                format!("duplicate operationId `{id}`"),
            ));
        }
        Ok(())
    })?;
    for_each_schema(doc, &mut |schema, at| {
        let Some(map) = schema.as_object() else {
            return Err(RuleError::new(at, "a schema must be an object"));
        };
        if let Some(t) = map.get("type") {
            let known = ["string", "integer", "number", "boolean", "array", "object"];
            if !t.as_str().is_some_and(|t| known.contains(&t)) {
                return Err(RuleError::new(
                    push_pointer(at, "type"),
                    format!("unsupported schema type {t}"),
                ));
            }
        }
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if map.get(exclusive) == Some(&json!(true)) && !map.contains_key(bound) {
                return Err(RuleError::new(
                    push_pointer(at, exclusive),
                    format!("`{exclusive}` without `{bound}`"),
                ));
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Helpers

fn for_each_operation(
    doc: &mut Value,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), RuleError>,
) -> Result<(), RuleError> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let item_at = push_pointer("/paths", path);
        if item.get("$ref").is_some() {
            return Err(RuleError::new(
                push_pointer(&item_at, "$ref"),
                "path items given by reference are not supported",
            ));
        }
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                f(op, &push_pointer(&item_at, method))?;
            }
        }
    }
    Ok(())
}

fn component_schemas(doc: &mut Value) -> Result<&mut Map<String, Value>, RuleError> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| RuleError::new("", "document is not an object"))?;
    let components = root.entry("components").or_insert_with(|| json!({}));
    let components = components
        .as_object_mut()
        .ok_or_else(|| RuleError::new("/components", "`components` is not an object"))?;
    components
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| RuleError::new("/components/schemas", "`schemas` is not an object"))
}

#[cfg(test)]
mod tests;
