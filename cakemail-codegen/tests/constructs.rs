//! Every construct FastAPI-style OpenAPI 3.0 and 3.1 documents use goes
//! through normalization and generation, or fails with a Diagnostic naming
//! the JSON pointer: never a panic.

use std::path::Path;

use cakemail_codegen::diagnostic::Location;
use cakemail_codegen::{Diagnostic, Output, Target, run_document};
use serde_json::{Value, json};

fn json_body(schema: Value) -> Value {
    json!({"content": {"application/json": {"schema": schema}}})
}

/// A document with one operation `POST /thing` (`makeThing`) taking `request`
/// as a JSON body and answering `response` with 200, plus `schemas`.
fn document(openapi: &str, request: Value, response: Value, schemas: Value) -> Value {
    json!({
        "openapi": openapi,
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {"/thing": {"post": {
            "operationId": "makeThing",
            "requestBody": json_body(request),
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": response}}},
                "422": {"description": "Validation Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
            }
        }}},
        "components": {"schemas": merge(schemas, json!({
            "HTTPValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {"type": "string"}}}}
        }))}
    })
}

fn merge(a: Value, b: Value) -> Value {
    let mut a = a.as_object().cloned().unwrap_or_default();
    a.extend(b.as_object().cloned().unwrap_or_default());
    Value::Object(a)
}

fn thing(props: Value) -> Value {
    json!({"Thing": {"type": "object", "properties": props}})
}

fn thing_ref() -> Value {
    json!({"$ref": "#/components/schemas/Thing"})
}

fn run(doc: &Value) -> Result<Output, Diagnostic> {
    run_document(doc, Path::new("construct.json"), &Target::sdk())
}

fn ok(doc: &Value) -> Output {
    run(doc).unwrap_or_else(|d| panic!("{d}"))
}

fn pointer_of(d: &Diagnostic) -> &str {
    match &d.location {
        Location::Pointer(p) => p,
        other => panic!("expected a pointer, got {other:?}: {d}"),
    }
}

#[test]
fn nullable_3_0_and_type_arrays_3_1() {
    let props = json!({"a": {"type": "string", "nullable": true}, "b": {"type": "integer"}});
    let out = ok(&document("3.0.3", thing_ref(), thing_ref(), thing(props)));
    assert!(
        out.client
            .contains("pub a: ::std::option::Option<::std::string::String>")
    );
    let props = json!({"a": {"type": ["string", "null"]}, "b": {"type": ["integer", "string"]}, "c": {"type": ["null"]}});
    ok(&document("3.1.0", thing_ref(), thing_ref(), thing(props)));
}

#[test]
fn any_of_and_one_of_with_null() {
    let props = json!({
        "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "A"},
        "b": {"oneOf": [{"$ref": "#/components/schemas/Kind"}, {"type": "null"}], "default": null},
        "c": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
    });
    let schemas = merge(
        thing(props),
        json!({"Kind": {"type": "string", "enum": ["x", "y"]}}),
    );
    ok(&document("3.1.0", thing_ref(), thing_ref(), schemas));
}

#[test]
fn const_values() {
    let props = json!({"kind": {"const": "thing", "type": "string"}, "n": {"const": 3}});
    let out = ok(&document("3.1.0", thing_ref(), thing_ref(), thing(props)));
    assert!(out.normalized_json.contains("\"enum\": [\n"));
}

#[test]
fn examples_arrays_and_example_objects() {
    let props = json!({"a": {"type": "string", "examples": ["x", "y"]}, "b": {"type": "integer", "example": 3}});
    let mut doc = document("3.1.0", thing_ref(), thing_ref(), thing(props));
    // Media-type level `examples` (a map of Example objects) is fine too.
    doc["paths"]["/thing"]["post"]["requestBody"]["content"]["application/json"]["examples"] =
        json!({"one": {"summary": "s", "value": {"a": "x"}}});
    ok(&doc);
}

#[test]
fn ref_siblings_and_all_of_wrappers() {
    let props = json!({
        "a": {"$ref": "#/components/schemas/Kind", "description": "3.1 sibling"},
        "b": {"$ref": "#/components/schemas/Kind", "default": "x"},
        "c": {"allOf": [{"$ref": "#/components/schemas/Kind"}], "default": "y", "title": "c"},
        "d": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {"z": {"type": "integer"}}}]}
    });
    let schemas = merge(
        thing(props),
        json!({
            "Kind": {"type": "string", "enum": ["x", "y"]},
            "Base": {"type": "object", "properties": {"id": {"type": "integer"}}}
        }),
    );
    ok(&document("3.1.0", thing_ref(), thing_ref(), schemas));
}

#[test]
fn float_bounds_on_integers() {
    let props = json!({"a": {"type": "integer", "minimum": 600.0, "maximum": 1e6}, "b": {"type": "integer", "exclusiveMinimum": 0.5}});
    let out = ok(&document("3.1.0", thing_ref(), thing_ref(), thing(props)));
    assert!(out.normalized_json.contains("\"minimum\": 600,"));
}

#[test]
fn free_form_objects() {
    let props = json!({
        "meta": {"type": "object"},
        "extra": {"type": "object", "additionalProperties": true},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "anything": {},
        "flag": true
    });
    ok(&document(
        "3.1.0",
        thing_ref(),
        json!({"type": "object", "additionalProperties": true}),
        thing(props),
    ));
}

#[test]
fn non_json_responses() {
    let mut doc = document(
        "3.1.0",
        thing_ref(),
        thing_ref(),
        thing(json!({"a": {"type": "string"}})),
    );
    doc["paths"]["/page"] = json!({"get": {"operationId": "page", "responses": {
        "200": {"description": "html", "content": {"text/html": {"schema": {"type": "string"}}}}}}});
    doc["paths"]["/file"] = json!({"get": {"operationId": "file", "responses": {
        "200": {"description": "csv", "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}}}});
    doc["paths"]["/empty"] =
        json!({"delete": {"operationId": "remove", "responses": {"204": {"description": "gone"}}}});
    ok(&doc);
}

#[test]
fn several_media_types_on_one_body_and_one_response() {
    let mut doc = document(
        "3.1.0",
        thing_ref(),
        thing_ref(),
        thing(json!({"a": {"type": "string"}})),
    );
    let op = &mut doc["paths"]["/thing"]["post"];
    op["requestBody"]["content"]["application/x-www-form-urlencoded"] =
        json!({"schema": thing_ref()});
    op["requestBody"]["content"]["application/xml"] = json!({"schema": thing_ref()});
    op["responses"]["200"]["content"]["text/plain"] = json!({"schema": {"type": "string"}});
    ok(&doc);
}

#[test]
fn default_responses() {
    let mut doc = document(
        "3.1.0",
        thing_ref(),
        thing_ref(),
        thing(json!({"a": {"type": "string"}})),
    );
    doc["paths"]["/thing"]["post"]["responses"]["default"] =
        json_body(json!({"$ref": "#/components/schemas/HTTPValidationError"}));
    doc["paths"]["/thing"]["post"]["responses"]["default"]["description"] = json!("error");
    ok(&doc);
    // A default response with its own schema merges with the other errors.
    doc["paths"]["/thing"]["post"]["responses"]["default"]["content"]["application/json"]["schema"] =
        json!({"type": "object", "properties": {"message": {"type": "string"}}});
    ok(&doc);
}

#[test]
fn error_responses_in_other_media_types_or_without_body() {
    let mut doc = document(
        "3.1.0",
        thing_ref(),
        thing_ref(),
        thing(json!({"a": {"type": "string"}})),
    );
    doc["paths"]["/thing"]["post"]["responses"]["500"] = json!({"description": "oops",
        "content": {"text/html": {"schema": {"type": "string"}}}});
    doc["paths"]["/thing"]["post"]["responses"]["404"] = json!({"description": "Not found"});
    let out = ok(&doc);
    let responses = &out.normalized["paths"]["/thing"]["post"]["responses"];
    assert!(responses.get("500").is_none() && responses.get("404").is_none());
}

#[test]
fn success_responses_with_different_bodies_fail_with_a_pointer() {
    let mut doc = document(
        "3.1.0",
        thing_ref(),
        thing_ref(),
        thing(json!({"a": {"type": "string"}})),
    );
    doc["paths"]["/thing"]["post"]["responses"]["201"] = json!({"description": "html",
        "content": {"text/html": {"schema": {"type": "string"}}}});
    let err = run(&doc).unwrap_err();
    assert_eq!(
        pointer_of(&err),
        "/paths/~1thing/post/responses/201",
        "{err}"
    );
    // The same schema at two statuses is fine, and so is a JSON body with no schema.
    doc["paths"]["/thing"]["post"]["responses"]["201"] =
        json!({"description": "created", "content": {"application/json": {"schema": thing_ref()}}});
    ok(&doc);
    doc["paths"]["/other"] = json!({"get": {"operationId": "other", "responses": {
        "200": {"description": "any JSON", "content": {"application/json": {}}}}}});
    ok(&doc);
}

#[test]
fn unsupported_constructs_fail_with_a_pointer() {
    let cases = [
        (
            json!({"a": {"prefixItems": [{"type": "string"}]}}),
            "/components/schemas/Thing/properties/a/prefixItems",
        ),
        (
            json!({"a": {"type": "null"}}),
            "/components/schemas/Thing/properties/a/type",
        ),
        (
            json!({"a": {"type": "string", "if": {}}}),
            "/components/schemas/Thing/properties/a/if",
        ),
        (
            json!({"a": false}),
            "/components/schemas/Thing/properties/a",
        ),
    ];
    for (props, pointer) in cases {
        let err = run(&document("3.1.0", thing_ref(), thing_ref(), thing(props))).unwrap_err();
        assert_eq!(pointer_of(&err), pointer, "{err}");
    }
    let mut doc = document("3.1.0", thing_ref(), thing_ref(), thing(json!({})));
    doc["paths"]["/thing"]["post"]["requestBody"]["content"] =
        json!({"multipart/form-data": {"schema": thing_ref()}});
    let err = run(&doc).unwrap_err();
    assert_eq!(
        pointer_of(&err),
        "/paths/~1thing/post/requestBody/content/multipart~1form-data"
    );
}
