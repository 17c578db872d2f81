//! Reading an OpenAPI document (JSON or YAML) and walking its schemas.

use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location, RuleError, push_pointer};

/// HTTP methods an OpenAPI path item may hold, in the order OpenAPI lists them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Parses `text` as JSON, or as YAML when it does not start like JSON.
///
/// Key order is kept as written, so a document written back differs only where
/// a rule changed it.
pub fn parse(file: &Path, text: &str) -> Result<Value, Diagnostic> {
    let looks_like_json = text.trim_start().starts_with(['{', '[']);
    let value = if looks_like_json {
        serde_json::from_str::<Value>(text).map_err(|e| Diagnostic {
            file: file.to_path_buf(),
            location: Location::Text {
                line: e.line(),
                column: e.column(),
            },
            message: format!("not valid JSON: {}", strip_position(&e.to_string())),
        })?
    } else {
        serde_yaml_ng::from_str::<Value>(text).map_err(|e| {
            let location = e.location().map_or(Location::Document, |l| Location::Text {
                line: l.line(),
                column: l.column(),
            });
            Diagnostic {
                file: file.to_path_buf(),
                location,
                message: format!("not valid YAML: {}", strip_position(&e.to_string())),
            }
        })?
    };
    if !value.is_object() {
        return Err(Diagnostic::at(
            file,
            "",
            "an OpenAPI document must be an object",
        ));
    }
    Ok(value)
}

/// Reads and parses a document from disk.
pub fn load(file: &Path) -> Result<Value, Diagnostic> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Diagnostic::document(file, format!("cannot read: {e}")))?;
    parse(file, &text)
}

// serde errors end in " at line X column Y", which the location already says.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Resolves a local `$ref` (`#/components/schemas/X`) in `doc`.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Checks that every `$ref` is local and points at something.
pub fn check_refs(doc: &Value) -> Result<(), RuleError> {
    fn visit(doc: &Value, value: &Value, pointer: &str) -> Result<(), RuleError> {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let at = push_pointer(pointer, "$ref");
                    let Some(reference) = reference.as_str() else {
                        return Err(RuleError::new(at, "`$ref` must be a string"));
                    };
                    if !reference.starts_with("#/") {
                        return Err(RuleError::new(
                            at,
                            format!(
                                "external reference `{reference}` is not supported; import the document first"
                            ),
                        ));
                    }
                    if resolve(doc, reference).is_none() {
                        return Err(RuleError::new(
                            at,
                            format!("dangling reference `{reference}`: nothing at that pointer"),
                        ));
                    }
                }
                for (key, child) in map {
                    visit(doc, child, &push_pointer(pointer, key))?;
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    visit(doc, child, &push_pointer(pointer, &i.to_string()))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    visit(doc, doc, "")
}

/// A callback run on one schema; gets the schema and its JSON pointer.
pub type SchemaFn<'f> = dyn FnMut(&mut Value, &str) -> Result<(), RuleError> + 'f;

/// Calls `f` on every schema of the document, innermost first.
///
/// Covers component schemas, parameters, headers, request bodies and responses,
/// at the path, operation and component levels, and every subschema within
/// them (`properties`, `items`, `additionalProperties`, `allOf`/`anyOf`/`oneOf`,
/// `not`, `prefixItems`, `patternProperties`, `$defs`).
pub fn for_each_schema(doc: &mut Value, f: &mut SchemaFn<'_>) -> Result<(), RuleError> {
    let Some(root) = doc.as_object_mut() else {
        return Ok(());
    };
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        for (kind, entries) in components.iter_mut() {
            let Some(entries) = entries.as_object_mut() else {
                continue;
            };
            let base = push_pointer("/components", kind);
            for (name, entry) in entries.iter_mut() {
                let at = push_pointer(&base, name);
                match kind.as_str() {
                    "schemas" => walk_schema(entry, &at, f)?,
                    "parameters" | "headers" => walk_parameter(entry, &at, f)?,
                    "requestBodies" | "responses" => walk_content_holder(entry, &at, f)?,
                    _ => {}
                }
            }
        }
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            let item_at = push_pointer("/paths", path);
            walk_parameters(item.get_mut("parameters"), &item_at, f)?;
            for method in METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                let op_at = push_pointer(&item_at, method);
                walk_parameters(op.get_mut("parameters"), &op_at, f)?;
                if let Some(body) = op.get_mut("requestBody") {
                    walk_content_holder(body, &push_pointer(&op_at, "requestBody"), f)?;
                }
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    let responses_at = push_pointer(&op_at, "responses");
                    for (status, response) in responses.iter_mut() {
                        walk_content_holder(response, &push_pointer(&responses_at, status), f)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn walk_parameters(
    params: Option<&mut Value>,
    at: &str,
    f: &mut SchemaFn<'_>,
) -> Result<(), RuleError> {
    let Some(params) = params.and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let at = push_pointer(at, "parameters");
    for (i, p) in params.iter_mut().enumerate() {
        walk_parameter(p, &push_pointer(&at, &i.to_string()), f)?;
    }
    Ok(())
}

fn walk_parameter(param: &mut Value, at: &str, f: &mut SchemaFn<'_>) -> Result<(), RuleError> {
    if let Some(schema) = param.get_mut("schema") {
        walk_schema(schema, &push_pointer(at, "schema"), f)?;
    }
    walk_content_holder(param, at, f)
}

// Request bodies, responses and parameters may hold `content` maps; responses
// may also hold `headers`.
fn walk_content_holder(
    holder: &mut Value,
    at: &str,
    f: &mut SchemaFn<'_>,
) -> Result<(), RuleError> {
    let Some(holder) = holder.as_object_mut() else {
        return Ok(());
    };
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        let content_at = push_pointer(at, "content");
        for (media, media_type) in content.iter_mut() {
            if let Some(schema) = media_type.get_mut("schema") {
                let media_at = push_pointer(&content_at, media);
                walk_schema(schema, &push_pointer(&media_at, "schema"), f)?;
            }
        }
    }
    if let Some(headers) = holder.get_mut("headers").and_then(Value::as_object_mut) {
        let headers_at = push_pointer(at, "headers");
        for (name, header) in headers.iter_mut() {
            walk_parameter(header, &push_pointer(&headers_at, name), f)?;
        }
    }
    Ok(())
}

/// Walks one schema and its subschemas, innermost first.
pub fn walk_schema(schema: &mut Value, at: &str, f: &mut SchemaFn<'_>) -> Result<(), RuleError> {
    if let Some(map) = schema.as_object_mut() {
        for (key, child) in map.iter_mut() {
            let child_at = push_pointer(at, key);
            match key.as_str() {
                "properties" | "patternProperties" | "$defs" | "definitions" => {
                    if let Some(props) = child.as_object_mut() {
                        for (name, prop) in props.iter_mut() {
                            walk_schema(prop, &push_pointer(&child_at, name), f)?;
                        }
                    }
                }
                "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                    if let Some(items) = child.as_array_mut() {
                        for (i, item) in items.iter_mut().enumerate() {
                            walk_schema(item, &push_pointer(&child_at, &i.to_string()), f)?;
                        }
                    }
                }
                "items" | "additionalProperties" | "not" if child.is_object() => {
                    walk_schema(child, &child_at, f)?;
                }
                _ => {}
            }
        }
    }
    f(schema, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_errors_give_line_and_column() {
        let err = parse(Path::new("spec.json"), "{\n  \"a\": 1,\n  oops\n}").unwrap_err();
        assert!(
            err.to_string().starts_with("spec.json:3:3: not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn yaml_is_accepted_and_errors_give_a_line() {
        let doc = parse(Path::new("s.yaml"), "openapi: 3.0.3\ninfo: {title: x}\n").unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        let err = parse(Path::new("s.yaml"), "a: [1,\nb: }\n").unwrap_err();
        assert!(err.to_string().starts_with("s.yaml:"), "{err}");
        assert!(err.to_string().contains("not valid YAML"), "{err}");
    }

    #[test]
    fn non_object_documents_are_refused() {
        let err = parse(Path::new("s.json"), "[1]").unwrap_err();
        assert!(err.message.contains("must be an object"));
    }

    #[test]
    fn dangling_and_external_refs_are_reported_with_their_pointer() {
        let doc = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}}}});
        let err = check_refs(&doc).unwrap_err();
        assert_eq!(err.pointer, "/components/schemas/A/$ref");
        assert!(err.message.contains("dangling"));
        let doc = json!({"paths": {"/x": {"$ref": "other.yaml#/x"}}});
        assert!(check_refs(&doc).unwrap_err().message.contains("external"));
    }

    #[test]
    fn walks_every_schema_with_its_pointer() {
        let mut doc = json!({
            "paths": {"/t": {"post": {
                "parameters": [{"name": "v", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                    "properties": {"a": {"anyOf": [{"type": "string"}]}}}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"items": {"type": "integer"}}}}}}
            }}},
            "components": {"schemas": {"X": {"type": "string"}}}
        });
        let mut seen = Vec::new();
        for_each_schema(&mut doc, &mut |_, at| {
            seen.push(at.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                "/components/schemas/X",
                "/paths/~1t/post/parameters/0/schema",
                "/paths/~1t/post/requestBody/content/application~1json/schema/properties/a/anyOf/0",
                "/paths/~1t/post/requestBody/content/application~1json/schema/properties/a",
                "/paths/~1t/post/requestBody/content/application~1json/schema",
                "/paths/~1t/post/responses/200/content/application~1json/schema/items",
                "/paths/~1t/post/responses/200/content/application~1json/schema",
            ]
        );
    }
}
