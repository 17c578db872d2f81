//! `import`: cutting the Token API out of a full upstream document.

mod common;

use std::path::Path;

use cakemail_codegen::import::{Selection, import, import_file, to_json};
use common::{interleave, token, token_bytes};
use serde_json::{Value, json};

fn op(tag: &str, id: &str, schema: &str) -> Value {
    json!({
        "tags": [tag],
        "operationId": id,
        "parameters": [{"$ref": "#/components/parameters/Page"}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{schema}")}}}}},
        "security": [{"ApiKey": []}]
    })
}

/// The committed Token document inside a full upstream-like document:
/// unrelated paths, an unrelated method on `/token`, tags, schemas,
/// parameters, security schemes and webhooks interleaved in key order.
fn full_document() -> Value {
    let token = token();
    let paths = token["paths"].clone();
    let token_item = interleave(
        &paths["/token"],
        &[(Some("post"), "get", op("Other", "getToken", "Contact"))],
    );
    let mut paths = paths;
    paths["/token"] = token_item;
    let paths = interleave(
        &paths,
        &[
            (
                Some("/token"),
                "/accounts",
                json!({"get": op("Account", "listAccounts", "Account")}),
            ),
            (
                Some("/token/challenge"),
                "/token-stats",
                json!({"get": op("Stats", "tokenStats", "Contact")}),
            ),
            (None, "/zeta", json!({"post": op("Zeta", "zeta", "Zeta")})),
        ],
    );
    let schemas = interleave(
        &token["components"]["schemas"],
        &[
            (Some("APIVersion"), "AAA", json!({"type": "string"})),
            (
                Some("APIVersion"),
                "Account",
                json!({"type": "object", "properties": {"contact": {"$ref": "#/components/schemas/Contact"}}}),
            ),
            (
                Some("ForbiddenMessage"),
                "Contact",
                json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
            ),
            (None, "Zeta", json!({"type": "string", "enum": ["z"]})),
        ],
    );
    let schemes = interleave(
        &token["components"]["securitySchemes"],
        &[(
            Some("OAuth2PasswordBearer"),
            "ApiKey",
            json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
        )],
    );
    let components = json!({
        "schemas": schemas,
        "parameters": {"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}},
        "responses": {"NotFound": {"description": "nf"}},
        "securitySchemes": schemes
    });
    let mut doc = interleave(
        &token,
        &[
            (
                Some("paths"),
                "tags",
                json!([{"name": "Token"}, {"name": "Account"}]),
            ),
            (Some("components"), "webhooks", json!({})),
            (None, "externalDocs", json!({"url": "https://example.com"})),
        ],
    );
    doc["paths"] = paths;
    doc["components"] = components;
    doc
}

#[test]
fn import_of_the_token_tag_reproduces_the_committed_document_byte_for_byte() {
    let full = full_document();
    assert!(full["paths"]["/accounts"].is_object());
    let excerpt = import(&full, Path::new("full.json"), &Selection::default()).unwrap();
    assert_eq!(to_json(&excerpt), token_bytes());
}

#[test]
fn import_from_yaml_gives_the_same_bytes() {
    let yaml = serde_yaml_ng::to_string(&full_document()).unwrap();
    let doc = cakemail_codegen::document::parse(Path::new("full.yaml"), &yaml).unwrap();
    let excerpt = import(&doc, Path::new("full.yaml"), &Selection::default()).unwrap();
    assert_eq!(to_json(&excerpt), token_bytes());
}

#[test]
fn import_file_writes_atomically_and_twice_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("cakemail-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("full.json");
    let dest = dir.join("token-api.json");
    std::fs::write(&source, to_json(&full_document())).unwrap();
    let first = import_file(&source, &dest, &Selection::default()).unwrap();
    assert!(first.changed);
    assert_eq!(first.operations, 3);
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), token_bytes());
    let second = import_file(&source, &dest, &Selection::default()).unwrap();
    assert!(!second.changed);
    // Importing the excerpt itself is a fixed point too.
    let third = import_file(&dest, &dest, &Selection::default()).unwrap();
    assert!(!third.changed);
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), token_bytes());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn path_filter_keeps_that_path_and_what_it_references() {
    let full = full_document();
    let sel = Selection::new(vec![], vec!["/token/challenge".into()]);
    let doc = import(&full, Path::new("full.json"), &sel).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/token/challenge"]);
    let schemas: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(schemas.contains(&&"ChallengeResponseRequest".to_string()));
    assert!(
        schemas.contains(&&"Scope".to_string()),
        "reached through an array's items"
    );
    assert!(!schemas.contains(&&"Body_createToken".to_string()));
    assert!(
        doc["components"].get("securitySchemes").is_none(),
        "the challenge needs no scheme"
    );

    // A path prefix selects the paths below it, whatever their tag.
    let sel = Selection::new(vec![], vec!["/token".into()]);
    let doc = import(&full, Path::new("full.json"), &sel).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/token", "/token/challenge"], "not /token-stats");
    let methods: Vec<&String> = doc["paths"]["/token"].as_object().unwrap().keys().collect();
    assert_eq!(
        methods,
        ["put", "get", "post"],
        "upstream order, every method under /token"
    );
    assert!(doc["components"]["parameters"]["Page"].is_object());
    assert!(doc["components"]["schemas"]["Contact"].is_object());
    let schemes: Vec<&String> = doc["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        schemes,
        ["ApiKey", "OAuth2PasswordBearer"],
        "named in operation security"
    );
}

#[test]
fn filters_combine_and_references_are_followed_transitively() {
    let full = full_document();
    let sel = Selection::new(vec!["Account".into()], vec!["/zeta".into()]);
    let doc = import(&full, Path::new("full.json"), &sel).unwrap();
    let schemas: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        schemas,
        ["Account", "Contact", "Zeta"],
        "Contact via Account, upstream order"
    );
    assert!(
        doc.get("tags").is_none()
            && doc.get("webhooks").is_none()
            && doc.get("externalDocs").is_none()
    );
}

#[test]
fn top_level_security_pulls_in_its_scheme() {
    let mut full = full_document();
    let obj = full.as_object_mut().unwrap();
    obj.insert("security".into(), json!([{"ApiKey": []}]));
    let doc = import(&full, Path::new("full.json"), &Selection::default()).unwrap();
    assert_eq!(doc["security"], json!([{"ApiKey": []}]));
    assert!(doc["components"]["securitySchemes"]["ApiKey"].is_object());
}

#[test]
fn import_failures_are_diagnostics_with_a_pointer() {
    let file = Path::new("full.json");
    let full = full_document();
    let err = import(&full, file, &Selection::new(vec!["Nope".into()], vec![])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "full.json: no operation matches --tag Nope"
    );

    let mut broken = full.clone();
    broken["components"]["schemas"]["TokenResponse"]["properties"]["accounts"]["items"] =
        json!({"$ref": "#/components/schemas/Missing"});
    let err = import(&broken, file, &Selection::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "full.json#/components/schemas/TokenResponse/properties/accounts/items/$ref: dangling reference `#/components/schemas/Missing`: nothing at that pointer"
    );

    let mut external = full.clone();
    external["paths"]["/token/challenge"]["post"]["requestBody"] =
        json!({"$ref": "other.yaml#/Body"});
    let err = import(&external, file, &Selection::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "full.json#/paths/~1token~1challenge/post/requestBody/$ref: external reference"
        ),
        "{err}"
    );

    let mut undefined = full.clone();
    undefined["paths"]["/token"]["post"]["security"] = json!([{"Ghost": []}]);
    let err = import(&undefined, file, &Selection::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "full.json#/paths/~1token/post/security/0/Ghost: dangling reference `#/components/securitySchemes/Ghost`: nothing at that pointer"
    );

    let err = import(
        &json!({"openapi": "2.0", "paths": {}}),
        file,
        &Selection::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "full.json#/openapi: unsupported OpenAPI version `2.0`: expected 3.0.x or 3.1.x"
    );
}

#[test]
fn cyclic_schemas_are_imported_once() {
    let doc = json!({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/n": {"get": {"tags": ["Token"], "operationId": "node", "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
        "components": {"schemas": {
            "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}, "leaf": {"$ref": "#/components/schemas/Leaf"}}},
            "Leaf": {"type": "object", "properties": {"up": {"$ref": "#/components/schemas/Node"}}},
            "Other": {"type": "string"}
        }}
    });
    let out = import(&doc, Path::new("c.json"), &Selection::default()).unwrap();
    let schemas: Vec<&String> = out["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(schemas, ["Node", "Leaf"]);
}
