//! `diff`: synthetic evolutions of the Token document, each classified and
//! each still regenerating (normalize + generate, which syn-parses the client).

mod common;

use std::path::Path;

use cakemail_codegen::diff::{Bump, Change, Report, Severity, Subject, diff};
use cakemail_codegen::{Output, Target, run_document};
use common::token;
use serde_json::{Value, json};

/// Diffs the Token document against an edited copy, and regenerates the copy.
fn evolve(edit: impl FnOnce(&mut Value)) -> (Report, Output) {
    let old = token();
    let mut new = old.clone();
    edit(&mut new);
    let report = diff(&old, &new);
    let output = run_document(&new, Path::new("evolved.json"), &Target::sdk())
        .unwrap_or_else(|d| panic!("the evolved document must regenerate: {d}"));
    (report, output)
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

fn only(report: &Report) -> &Change {
    assert_eq!(report.changes.len(), 1, "{}", report.to_text());
    &report.changes[0]
}

fn schema_subject(name: &str) -> Subject {
    Subject::Schema { name: name.into() }
}

#[test]
fn unchanged_document_has_no_changes() {
    let (report, _) = evolve(|_| {});
    assert!(report.changes.is_empty());
    assert_eq!(report.bump(), Bump::None);
    assert!(report.to_text().contains("No changes."));
}

#[test]
fn response_field_added_is_compatible_minor() {
    let (report, output) = evolve(|d| {
        schema(d, "TokenResponse")["properties"]["scope"] =
            json!({"type": "string", "title": "scope"});
    });
    let change = only(&report);
    assert_eq!(change.subject, schema_subject("TokenResponse"));
    assert_eq!(change.location, "field scope");
    assert_eq!(change.kind, "field_added");
    assert_eq!(change.severity, Severity::Minor);
    assert_eq!(
        change.used_by,
        [
            "createToken response",
            "createTokenFromChallenge response",
            "refreshToken response"
        ]
    );
    assert_eq!(report.bump(), Bump::Minor);
    assert_eq!(report.bump().zero_x(), Bump::Patch);
    assert!(!report.has_breaking());
    assert!(output.client.contains("pub scope:"));
}

#[test]
fn response_field_removed_is_breaking() {
    let (report, output) = evolve(|d| {
        let s = schema(d, "TokenResponse");
        s["properties"].as_object_mut().unwrap().remove("accounts");
        s["required"] = json!(["access_token", "token_type", "expires_in", "refresh_token"]);
    });
    let change = only(&report);
    assert_eq!(
        (change.kind, change.severity),
        ("field_removed", Severity::Breaking)
    );
    assert_eq!(change.location, "field accounts");
    assert_eq!(report.bump(), Bump::Major);
    assert_eq!(report.bump().zero_x(), Bump::Minor);
    assert!(!output.client.contains("pub accounts:"));
}

#[test]
fn new_required_request_field_is_breaking() {
    let (report, _) = evolve(|d| {
        let s = schema(d, "ChallengeResponseRequest");
        s["properties"]["device_id"] = json!({"type": "string", "title": "device_id"});
        s["required"] = json!(["challenge", "code", "device_id"]);
    });
    let change = only(&report);
    assert_eq!(change.subject, schema_subject("ChallengeResponseRequest"));
    assert_eq!(
        (change.kind, change.severity),
        ("field_added", Severity::Breaking)
    );
    assert_eq!(change.used_by, ["createTokenFromChallenge request"]);
}

#[test]
fn new_optional_request_field_is_minor() {
    let (report, _) = evolve(|d| {
        schema(d, "Body_createToken")["properties"]["otp"] = json!({"type": "string"});
    });
    assert_eq!(only(&report).severity, Severity::Minor);
}

#[test]
fn enum_value_removed_from_a_request_is_breaking() {
    let (report, _) = evolve(|d| {
        schema(d, "Scope")["enum"] = json!(["user", "admin", "auth"]);
    });
    let change = only(&report);
    assert_eq!(change.subject, schema_subject("Scope"));
    assert_eq!(
        (change.kind, change.severity),
        ("enum_value_removed", Severity::Breaking)
    );
    assert_eq!(change.message, "enum value \"internal\" removed");
}

#[test]
fn enum_value_added_is_minor_in_requests_and_breaking_in_responses() {
    let (report, _) = evolve(|d| {
        schema(d, "APIVersion")["enum"] = json!(["v1", "v2", "v3"]);
    });
    let change = only(&report);
    assert_eq!(
        (change.kind, change.severity),
        ("enum_value_added", Severity::Minor)
    );

    let mut old = token();
    schema(&mut old, "TokenResponse")["properties"]["token_type"]["enum"] = json!(["bearer"]);
    let mut new = old.clone();
    schema(&mut new, "TokenResponse")["properties"]["token_type"]["enum"] =
        json!(["bearer", "mac"]);
    let report = diff(&old, &new);
    let change = only(&report);
    assert_eq!(
        (change.kind, change.severity),
        ("enum_value_added", Severity::Breaking)
    );
    run_document(&new, Path::new("e.json"), &Target::sdk()).unwrap();
}

#[test]
fn operation_deprecated_is_compatible() {
    let (report, output) = evolve(|d| {
        d["paths"]["/token/challenge"]["post"]["deprecated"] = json!(true);
    });
    let change = only(&report);
    assert_eq!(
        change.subject,
        Subject::Operation {
            id: "createTokenFromChallenge".into(),
            method: "POST".into(),
            path: "/token/challenge".into()
        }
    );
    assert_eq!(
        (change.kind, change.severity),
        ("operation_deprecated", Severity::Minor)
    );
    assert!(output.client.matches("#[deprecated(").count() >= 2);
}

/// A new error status with its own schema is compatible: the normalizer merges
/// every error body of an operation into one error type, where the new
/// schema's fields arrive as optional fields (required only where every error
/// body requires them), and the status is a number on the response, not an
/// enum variant. Existing code keeps compiling and matching.
#[test]
fn new_error_status_with_a_new_schema_is_compatible() {
    let (report, output) = evolve(|d| {
        let schemas = d["components"]["schemas"].as_object_mut().unwrap();
        schemas.insert(
            "ConflictMessage".into(),
            json!({"type": "object", "required": ["msg"], "properties": {
            "msg": {"type": "string"}, "existing_token_id": {"type": "string"}}}),
        );
        schemas.insert("HTTPConflictError".into(), json!({"type": "object", "required": ["detail"], "properties": {
            "detail": {"type": "array", "items": {"$ref": "#/components/schemas/ConflictMessage"}}}}));
        d["paths"]["/token"]["post"]["responses"]["409"] = json!({"description": "Conflict", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPConflictError"}}}});
    });
    let change = only(&report);
    assert_eq!(change.location, "response 409");
    assert_eq!(
        (change.kind, change.severity),
        ("response_added", Severity::Minor)
    );
    assert_eq!(
        change.message,
        "response status added with schema HTTPConflictError"
    );
    assert!(
        output.client.contains("existing_token_id"),
        "merged into the error type"
    );

    // A non-object error body would make the merged type a union: breaking.
    let (report, _) = evolve(|d| {
        d["paths"]["/token"]["post"]["responses"]["409"] = json!({"description": "Conflict", "content": {
            "application/json": {"schema": {"type": "string"}}}});
    });
    assert_eq!(only(&report).severity, Severity::Breaking);
}

#[test]
fn renamed_field_is_detected_and_breaking() {
    let (report, _) = evolve(|d| {
        let s = schema(d, "TokenResponse");
        let props = s["properties"].as_object_mut().unwrap();
        let v = props.remove("expires_in").unwrap();
        props.insert("expires_after".into(), v);
        s["required"] = json!([
            "access_token",
            "token_type",
            "expires_after",
            "refresh_token",
            "accounts"
        ]);
    });
    let change = only(&report);
    assert_eq!(
        (change.kind, change.severity),
        ("field_renamed", Severity::Breaking)
    );
    assert_eq!(change.location, "field expires_in");
    assert_eq!(change.message, "renamed to `expires_after`");
}

#[test]
fn type_format_requiredness_and_default_changes() {
    let (report, _) = evolve(|d| {
        let s = schema(d, "TokenResponse");
        s["properties"]["expires_in"] = json!({"type": "string", "title": "expires_in"});
        s["required"] = json!(["access_token", "token_type", "expires_in", "accounts"]);
        schema(d, "Body_createToken")["properties"]["scopes"]["default"] = json!("admin");
        schema(d, "Body_createToken")["properties"]["username"]["format"] = json!("idn-email");
        schema(d, "Body_createToken")["properties"]["account_id"]["format"] = json!("int32");
    });
    let by_kind = |k: &str| {
        report
            .changes
            .iter()
            .find(|c| c.kind == k)
            .unwrap_or_else(|| panic!("{k}: {}", report.to_text()))
    };
    assert_eq!(by_kind("type_changed").severity, Severity::Breaking);
    assert_eq!(by_kind("type_changed").location, "field expires_in");
    let option = by_kind("field_option_changed");
    assert_eq!(
        (option.location.as_str(), option.severity),
        ("field refresh_token", Severity::Breaking)
    );
    assert_eq!(by_kind("default_changed").severity, Severity::Minor);
    let formats: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.kind == "format_changed")
        .map(|c| (c.location.as_str(), c.severity))
        .collect();
    assert_eq!(
        formats,
        [
            ("field username", Severity::Patch),
            ("field account_id", Severity::Breaking)
        ]
    );
}

#[test]
fn spelling_differences_are_not_changes() {
    // The same document in OpenAPI 3.0 spelling: no allOf wrappers without
    // siblings, integer bounds, `nullable` instead of `type: [.., "null"]`.
    let mut old = token();
    schema(&mut old, "TokenResponse")["properties"]["scope"] =
        json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
    schema(&mut old, "Body_refreshToken")["properties"]["grant_type"] =
        json!({"allOf": [{"$ref": "#/components/schemas/RefreshGrantType"}]});
    let mut new = old.clone();
    new["openapi"] = json!("3.0.3");
    schema(&mut new, "TokenResponse")["properties"]["scope"] =
        json!({"type": "string", "nullable": true});
    schema(&mut new, "Body_refreshToken")["properties"]["grant_type"] =
        json!({"$ref": "#/components/schemas/RefreshGrantType", "description": "ignored"});
    schema(&mut new, "Body_createToken")["properties"]["expiration_seconds"]["minimum"] =
        json!(600);
    // Moving an inline schema into a component is not a change either.
    let code = schema(&mut new, "ChallengeResponseRequest")["properties"]["code"].take();
    new["components"]["schemas"]["Code"] = code;
    schema(&mut new, "ChallengeResponseRequest")["properties"]["code"] =
        json!({"$ref": "#/components/schemas/Code"});
    let report = diff(&old, &new);
    assert!(report.changes.is_empty(), "{}", report.to_text());
}

#[test]
fn operations_added_removed_and_security_changes() {
    let (report, _) = evolve(|d| {
        let item = d["paths"]["/token"].as_object_mut().unwrap();
        let put = item.remove("put").unwrap();
        let mut revoke = put.clone();
        revoke["operationId"] = json!("revokeToken");
        revoke.as_object_mut().unwrap().remove("deprecated");
        d["paths"]["/token/revoke"] = json!({"post": revoke});
        d["paths"]["/token/challenge"]["post"]["security"] = json!([{"OAuth2PasswordBearer": []}]);
        d["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] =
            json!("/v2/token");
    });
    let kinds: Vec<(&str, Severity)> = report
        .changes
        .iter()
        .map(|c| (c.kind, c.severity))
        .collect();
    assert_eq!(
        kinds,
        [
            ("operation_removed", Severity::Breaking),
            ("security_added", Severity::Minor),
            ("operation_added", Severity::Minor),
            ("security_url_changed", Severity::Breaking),
        ],
        "{}",
        report.to_text()
    );
}

#[test]
fn cyclic_schemas_terminate() {
    let doc = |extra: Value| {
        json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/n": {"get": {"operationId": "node", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {"schemas": {
                "Node": {"type": "object", "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "extra": extra}},
                "Loop": {"$ref": "#/components/schemas/Loop"}
            }}
        })
    };
    let report = diff(
        &doc(json!({"$ref": "#/components/schemas/Loop"})),
        &doc(json!({"$ref": "#/components/schemas/Node"})),
    );
    assert!(
        report.changes.iter().any(|c| c.kind == "schema_replaced"),
        "{}",
        report.to_text()
    );
}

#[test]
fn text_and_json_reports() {
    let (report, _) = evolve(|d| {
        schema(d, "TokenResponse")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("accounts");
        d["paths"]["/token/challenge"]["post"]["deprecated"] = json!(true);
    });
    let text = report.to_text();
    assert!(text.starts_with("Spec diff 1.18.25 -> 1.18.25: 1 breaking, 1 minor, 0 patch\nRelease: major bump (while the crate is 0.x: minor bump)\n"), "{text}");
    let op = text
        .find("Operation createTokenFromChallenge (POST /token/challenge)")
        .unwrap();
    let schema = text.find("Schema TokenResponse").unwrap();
    assert!(op < schema, "operations first:\n{text}");
    assert!(
        text.contains("  [BREAKING] field accounts: field removed"),
        "{text}"
    );
    let json = report.to_json();
    assert_eq!(json["bump"], "major");
    assert_eq!(json["bump_0x"], "minor");
    assert_eq!(
        json["summary"],
        json!({"breaking": 1, "minor": 1, "patch": 0})
    );
    assert_eq!(
        json["changes"][1]["subject"],
        json!({"kind": "schema", "name": "TokenResponse"})
    );
    assert_eq!(json["changes"][1]["severity"], "breaking");
}
