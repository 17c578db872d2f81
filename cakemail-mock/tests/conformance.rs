//! Every response the server can send for the three operations, and every
//! request it accepts, validates against the published OpenAPI document
//! (`openapi/token-api.json`, loaded at test time).

mod common;

use std::collections::BTreeSet;

use cakemail_mock::{MockServer, StatusCode, User};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

#[test]
fn validators_are_not_vacuous() {
    let spec = spec();
    let token = spec.validator(spec.response_schema(&Method::PUT, "/token", 200));
    assert!(token.is_valid(&json!({"access_token": "a", "token_type": "bearer", "expires_in": 1, "refresh_token": "r", "accounts": [1]})));
    assert!(!token.is_valid(
        &json!({"token_type": "bearer", "expires_in": 1, "refresh_token": "r", "accounts": [1]})
    ));
    assert!(!token.is_valid(&json!({"access_token": "a", "token_type": "bearer", "expires_in": 1, "refresh_token": "r", "accounts": [1, 1]})));
    let v422 = spec.validator(spec.response_schema(&Method::POST, "/token", 422));
    assert!(!v422.is_valid(&json!({"detail": "Not Found"})));
    assert!(!v422.is_valid(&json!({"detail": [{"msg": "m", "type": "t"}]})));
    let v401 = spec.validator(spec.response_schema(&Method::POST, "/token", 401));
    assert!(!v401.is_valid(&json!({"detail": [{"msg": "m", "code": "x"}]})));
    let create = spec.validator(spec.request_schema(
        &Method::POST,
        "/token",
        "application/x-www-form-urlencoded",
    ));
    assert!(!create.is_valid(&json!({"scopes": "root"})));
    assert!(!create.is_valid(&json!({"expiration_seconds": 10})));
    let challenge =
        spec.validator(spec.request_schema(&Method::POST, "/token/challenge", "application/json"));
    assert!(!challenge.is_valid(&json!({"challenge": "c", "code": "12345"})));
    assert!(challenge.is_valid(&json!({"challenge": "c", "code": "abcdef012345"})));
}

#[tokio::test]
async fn every_response_kind_conforms() {
    let s = MockServer::builder()
        .user(User::new(ALICE, "pw").accounts([1, 2]))
        .user(
            User::new(BOB, "pw")
                .accounts([3])
                .mfa_code("111111")
                .recovery_code("abcdefabcdef"),
        )
        .start()
        .await
        .unwrap();
    let c = common::http_client();
    let base = s.url();
    let mut seen: BTreeSet<(String, &str, u16)> = BTreeSet::new();
    let mut note = |r: &Checked, m: &Method, p: &'static str| {
        seen.insert((m.to_string(), p, r.status));
    };
    let (post, put) = (Method::POST, Method::PUT);
    let big = || format!("username={}", "x".repeat(70_000)).into_bytes();

    // POST /token
    let r = login(&c, &base, ALICE, "pw").await;
    note(&r, &post, "/token");
    assert_eq!(r.status, 200);
    let rt = str_field(&r.json, "refresh_token").to_owned();
    spec()
        .validator(spec().resolve(&json!({"$ref": "#/components/schemas/TokenResponse"})))
        .validate(&r.json)
        .unwrap();
    let r = post_form(
        &c,
        &base,
        "/token?version=v2",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scopes", "user,auth"),
            ("expiration_seconds", "86400"),
        ],
    )
    .await;
    note(&r, &post, "/token");
    let rt = str_field(&r.json, "refresh_token").to_owned();
    let r = login(&c, &base, BOB, "pw").await;
    assert!(r.json.get("challenge").is_some());
    let challenge = str_field(&r.json, "challenge").to_owned();
    for (ct, body) in [
        (FORM, big()),
        (FORM, form(&[("username", ALICE), ("password", "no")])),
        (
            FORM,
            form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")]),
        ),
        (
            FORM,
            form(&[("username", ALICE), ("password", "pw"), ("account_id", "3")]),
        ),
        (
            FORM,
            form(&[
                ("grant_type", "bogus"),
                ("scopes", ""),
                ("account_id", "1.5"),
            ]),
        ),
        (JSON, b"{}".to_vec()),
        (None, b"\x00\xff".to_vec()),
    ] {
        let r = send(&c, &base, post.clone(), "/token", ct, body).await;
        note(&r, &post, "/token");
    }

    // PUT /token
    let r = put_form(&c, &base, &[("refresh_token", &rt)]).await;
    note(&r, &put, "/token");
    assert_eq!(r.status, 200);
    for (ct, body) in [
        (FORM, big()),
        (FORM, form(&[("refresh_token", &rt)])),
        (FORM, form(&[("grant_type", "password")])),
    ] {
        let r = send(&c, &base, put.clone(), "/token?version=v1", ct, body).await;
        note(&r, &put, "/token");
    }

    // POST /token/challenge
    let p = "/token/challenge";
    for body in [
        json!({"challenge": "nope", "code": "111111"}),
        json!({"challenge": challenge, "code": "222222"}),
        json!({"challenge": challenge, "code": "22222x"}),
        json!({"challenge": challenge, "code": "ABCDEFABCDEF", "scopes": ["user", "internal"]}),
    ] {
        let r = post_json(&c, &base, p, &body).await;
        note(&r, &post, p);
    }
    let r = send(&c, &base, post.clone(), p, JSON, big()).await;
    note(&r, &post, p);

    let expected: BTreeSet<(String, &str, u16)> = [
        ("POST", "/token", [200u16, 400, 401, 403, 422].as_slice()),
        ("PUT", "/token", &[200, 400, 401, 422]),
        ("POST", "/token/challenge", &[200, 400, 401, 422]),
    ]
    .into_iter()
    .flat_map(|(m, p, ss)| ss.iter().map(move |s| (m.to_owned(), p, *s)))
    .collect();
    assert_eq!(seen, expected);
    assert_eq!(s.counters().tokens_issued, 4);
}

#[tokio::test]
async fn mfa_401_variant_conforms() {
    let s = MockServer::builder()
        .user(User::new(BOB, "pw").mfa_code("111111"))
        .mfa_challenge_status(StatusCode::UNAUTHORIZED)
        .start()
        .await
        .unwrap();
    let r = login(&common::http_client(), &s.url(), BOB, "pw").await;
    assert_eq!(r.status, 401);
    assert!(r.json["challenge"].is_string());
}

#[tokio::test]
async fn recorded_accepted_requests_conform() {
    let s = MockServer::builder()
        .user(User::new(ALICE, "pw").accounts([1, 2]))
        .start()
        .await
        .unwrap();
    let c = common::http_client();
    c.post(format!("{}/token", s.url()))
        .form(&[
            ("username", ALICE),
            ("password", "pw"),
            ("account_id", "2"),
            ("scopes", "user,admin"),
            ("expiration_seconds", "600"),
        ])
        .send()
        .await
        .unwrap();
    let rec = s.last_request().unwrap();
    assert_eq!(rec.status, Some(StatusCode::OK));
    spec().assert_request(
        &Method::POST,
        "/token",
        rec.header("content-type"),
        &rec.body,
    );
    let instance = spec().form_instance(
        spec().request_schema(&Method::POST, "/token", "application/x-www-form-urlencoded"),
        &rec.form().unwrap(),
    );
    assert_eq!(instance["account_id"], Value::from(2));
}
