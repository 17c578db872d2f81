//! The generated Rust types held against the upstream document's own schemas:
//! same fields, same required set, and what the types serialize validates.

use std::collections::BTreeSet;
use std::path::Path;

use cakemail_sdk::{SecretString, types};
use schemars::JsonSchema;
use serde_json::{Value, json};

fn upstream() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/token-api.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("spec")).expect("json")
}

fn names(value: Option<&Value>) -> BTreeSet<String> {
    match value {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// Properties and required fields of `T`'s schema equal those of `name` upstream.
fn same_shape<T: JsonSchema>(name: &str) {
    let spec = upstream();
    let theirs = &spec["components"]["schemas"][name];
    let ours = serde_json::to_value(schemars::schema_for!(T)).expect("schema");
    assert_eq!(
        names(ours.get("properties")),
        names(theirs.get("properties")),
        "{name}: properties"
    );
    assert_eq!(
        names(ours.get("required")),
        names(theirs.get("required")),
        "{name}: required"
    );
}

#[test]
fn generated_types_have_the_upstream_fields_and_required_sets() {
    same_shape::<types::TokenResponse>("TokenResponse");
    same_shape::<types::ChallengeResponse>("ChallengeResponse");
    same_shape::<types::ChallengeResponseRequest>("ChallengeResponseRequest");
    same_shape::<types::BodyRefreshToken>("Body_refreshToken");
    same_shape::<types::BodyCreateToken>("Body_createToken");
}

/// A validator for `#/components/schemas/{name}` of the upstream document.
fn validator(name: &str) -> jsonschema::Validator {
    let spec = upstream();
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": spec["components"].clone(),
    });
    jsonschema::draft202012::new(&schema).expect("valid schema")
}

#[test]
fn what_the_types_serialize_validates_against_upstream() {
    let token = types::TokenResponse {
        access_token: SecretString::from("a"),
        accounts: vec![1, 2],
        expires_in: 3600,
        refresh_token: SecretString::from("r"),
        token_type: "bearer".into(),
    };
    let value = serde_json::to_value(&token).expect("serializes");
    assert!(validator("TokenResponse").is_valid(&value), "{value}");

    let request = types::ChallengeResponseRequest::builder()
        .challenge(SecretString::from("c"))
        .code(SecretString::from("123456"));
    let value =
        serde_json::to_value(types::ChallengeResponseRequest::try_from(request).expect("valid"))
            .expect("json");
    assert!(
        validator("ChallengeResponseRequest").is_valid(&value),
        "{value}"
    );

    let body = types::BodyCreateToken::builder()
        .username("me@example.com".to_string())
        .password(SecretString::from("p"))
        .account_id(Some(7));
    let value =
        serde_json::to_value(types::BodyCreateToken::try_from(body).expect("valid")).expect("json");
    assert!(validator("Body_createToken").is_valid(&value), "{value}");
    assert_eq!(value["grant_type"], "password");
}

#[test]
fn every_upstream_error_body_decodes_into_the_merged_error_type() {
    let samples = [
        (
            "HTTPBadRequestError",
            json!({"detail": [{"loc": ["body", "x"], "msg": "bad", "type": "bad_request"}]}),
        ),
        (
            "HTTPUnauthorizedError",
            json!({"detail": [{"code": 1, "msg": "no", "type": "unauthorized"}]}),
        ),
        (
            "HTTPForbiddenError",
            json!({"detail": [{"code": 2, "msg": "no", "type": "forbidden"}]}),
        ),
        (
            "HTTPValidationError",
            json!({"detail": [{"loc": ["body", 0], "msg": "missing", "type": "value_error"}]}),
        ),
        ("HTTPValidationError", json!({})),
    ];
    for (name, body) in samples {
        assert!(
            validator(name).is_valid(&body),
            "{name} sample is valid upstream"
        );
        let decoded: types::HttpError =
            serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = serde_json::to_value(&decoded).expect("json");
        assert!(
            validator(name).is_valid(&back),
            "{name}: re-serialized {back} still valid"
        );
    }
}

#[test]
fn the_create_token_answer_is_an_enum_of_the_two_upstream_shapes() {
    let token: types::CreateTokenResponse = serde_json::from_value(json!({
        "access_token": "a", "token_type": "bearer", "expires_in": 1, "refresh_token": "r", "accounts": []
    }))
    .expect("token");
    assert!(matches!(
        token,
        types::CreateTokenResponse::TokenResponse(_)
    ));
    let challenge: types::CreateTokenResponse =
        serde_json::from_value(json!({"challenge": "c"})).expect("challenge");
    assert!(matches!(
        challenge,
        types::CreateTokenResponse::ChallengeResponse(_)
    ));
    assert!(serde_json::from_value::<types::CreateTokenResponse>(json!({"nothing": 1})).is_err());
}
