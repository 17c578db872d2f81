//! What the generated client puts on the wire, and what it makes of every
//! kind of answer: documented errors, undocumented statuses, broken bodies.

use cakemail_mock::{Fault, StatusCode};
use cakemail_sdk::{Client, Error, SecretString, types};
use cakemail_tests::{MFA_USER, PASSWORD, USER, json_fault, raw_login, server};

fn client(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .max_retries(0)
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn create_token_sends_a_percent_encoded_form_with_only_the_fields_set() {
    let server = server().await;
    let client = client(&server.url());
    let response = client
        .create_token()
        .version(types::ApiVersion::V2)
        .body_map(|b| {
            b.username(USER.to_string())
                .password(SecretString::from(PASSWORD))
                .account_id(Some(2))
        })
        .send()
        .await
        .expect("login succeeds");
    assert!(matches!(
        response.into_inner(),
        types::CreateTokenResponse::TokenResponse(_)
    ));

    let request = server.last_request().expect("recorded");
    assert_eq!(request.method, reqwest::Method::POST);
    assert_eq!(request.path, "/token");
    assert_eq!(request.query.as_deref(), Some("version=v2"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.form_field("password").as_deref(),
        Some(PASSWORD),
        "password survives the round trip"
    );
    assert_eq!(request.form_field("username").as_deref(), Some(USER));
    assert_eq!(
        request.form_field("grant_type").as_deref(),
        Some("password"),
        "grant_type defaults to password"
    );
    assert_eq!(request.form_field("account_id").as_deref(), Some("2"));
    let body = request.body_str().expect("utf-8 form");
    assert!(
        body.contains("password=p%26ss%3Dw%2Brd%25+%C3%A9+%C3%BCn%C3%AF%F0%9F%98%80"),
        "{body}"
    );
    let keys: Vec<String> = request
        .form()
        .expect("form")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for unset in ["refresh_token", "expiration_seconds"] {
        assert!(
            !keys.iter().any(|k| k == unset),
            "{unset} was sent though unset: {keys:?}"
        );
    }
}

#[tokio::test]
async fn version_is_omitted_unless_set() {
    let server = server().await;
    let client = client(&server.url());
    let _ = raw_login(&client, PASSWORD).await.expect("login succeeds");
    assert_eq!(server.last_request().expect("recorded").query, None);
}

#[tokio::test]
#[allow(deprecated)]
async fn deprecated_put_refresh_sends_refresh_token_and_its_grant_type() {
    let server = server().await;
    let client = client(&server.url());
    let issued = server.issue_tokens(USER).expect("user exists");
    let token = client
        .refresh_token()
        .body_map(|b| b.refresh_token(SecretString::from(issued.refresh_token.as_str())))
        .send()
        .await
        .expect("refresh succeeds")
        .into_inner();
    assert_eq!(token.token_type, "bearer");
    assert_eq!(token.accounts, [1, 2]);
    let request = server.last_request().expect("recorded");
    assert_eq!(request.method, reqwest::Method::PUT);
    assert_eq!(
        request.form_field("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        request.form_field("refresh_token").as_deref(),
        Some(issued.refresh_token.as_str())
    );
    assert_eq!(server.counters().put_refreshes, 1);
}

#[tokio::test]
async fn mfa_login_decodes_to_the_challenge_variant_and_completes_with_json() {
    let server = server().await;
    let client = client(&server.url());
    let response = client
        .create_token()
        .body_map(|b| {
            b.username(MFA_USER.to_string())
                .password(SecretString::from(PASSWORD))
        })
        .send()
        .await
        .expect("login answers")
        .into_inner();
    let types::CreateTokenResponse::ChallengeResponse(challenge) = response else {
        panic!("expected a challenge");
    };
    let token = client
        .create_token_from_challenge()
        .body_map(|b| {
            b.challenge(challenge.challenge.clone())
                .code(SecretString::from(cakemail_tests::MFA_CODE))
        })
        .send()
        .await
        .expect("challenge completes")
        .into_inner();
    assert_eq!(token.accounts, [3]);
    let request = server.last_request().expect("recorded");
    assert_eq!(request.path, "/token/challenge");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let json = request.json().expect("json body");
    assert_eq!(json["code"], "123456");
    assert_eq!(json["challenge"], challenge.challenge.expose_secret());
}

/// A documented error body for `status`, as Cakemail shapes it.
fn error_fault(status: u16, body: serde_json::Value) -> Fault {
    json_fault(
        StatusCode::from_u16(status).expect("valid status"),
        body.to_string(),
    )
}

async fn create_token_error(server: &cakemail_mock::MockServer) -> Error {
    let client = client(&server.url());
    let result = raw_login(&client, PASSWORD).await;
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn each_documented_error_status_decodes_with_its_fields() {
    let server = server().await;
    let cases = [
        (
            400,
            serde_json::json!({"detail": [{"loc": ["body", "scopes"], "msg": "bad scopes", "type": "bad_request"}]}),
        ),
        (
            401,
            serde_json::json!({"detail": [{"code": 1001, "msg": "Incorrect username or password", "type": "unauthorized"}]}),
        ),
        (
            403,
            serde_json::json!({"detail": [{"code": 2002, "msg": "no access", "type": "forbidden"}]}),
        ),
        (
            422,
            serde_json::json!({"detail": [{"loc": ["body", 0, "username"], "msg": "field required", "type": "value_error.missing"}]}),
        ),
    ];
    for (status, body) in cases {
        server.push_fault(error_fault(status, body.clone()));
        let error = create_token_error(&server).await;
        let Error::Api {
            status: got,
            body: decoded,
        } = &error
        else {
            panic!("{status}: expected Error::Api, got {error:?}");
        };
        assert_eq!(got.as_u16(), status);
        let detail = &decoded.detail[0];
        let expected = &body["detail"][0];
        assert_eq!(detail.msg, expected["msg"]);
        assert_eq!(detail.type_.as_deref(), expected["type"].as_str());
        assert_eq!(detail.code, expected["code"].as_i64());
        let loc: Vec<String> = detail.loc.iter().map(|l| l.to_string()).collect();
        let expected_loc: Vec<String> = expected["loc"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(loc, expected_loc);
        assert!(
            error
                .to_string()
                .contains(expected["msg"].as_str().unwrap_or_default()),
            "{error}"
        );
    }
}

#[tokio::test]
async fn the_real_servers_errors_decode_too() {
    let server = server().await;
    let client = client(&server.url());
    let result = raw_login(&client, "wrong").await;
    let error = result.expect_err("wrong password fails");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(matches!(error, Error::Api { .. }));
}

#[tokio::test]
async fn an_undocumented_502_with_html_is_a_typed_error_with_an_excerpt() {
    let server = server().await;
    server.push_fault(Fault::bad_gateway_html());
    let error = create_token_error(&server).await;
    match &error {
        Error::UnexpectedStatus { status, excerpt } => {
            assert_eq!(*status, StatusCode::BAD_GATEWAY);
            assert!(excerpt.contains("<"), "{excerpt}");
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_200_body_is_a_typed_error_with_the_status() {
    let server = server().await;
    for fault in [Fault::MalformedJson, Fault::WrongContentType] {
        server.push_fault(fault);
        let error = create_token_error(&server).await;
        match &error {
            Error::InvalidBody { status, .. } => assert_eq!(*status, Some(StatusCode::OK)),
            other => panic!("expected InvalidBody, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_well_formed_body_of_the_wrong_shape_is_a_typed_error() {
    let server = server().await;
    server.push_fault(error_fault(
        200,
        serde_json::json!({"access_token": "tok-123", "unexpected": true}),
    ));
    let error = create_token_error(&server).await;
    assert!(matches!(error, Error::InvalidBody { .. }), "{error:?}");
    assert!(
        !format!("{error} {error:?}").contains("tok-123"),
        "token leaked: {error:?}"
    );

    // serde's message quotes a wrongly typed value; the reason masks it,
    // and the excerpt masks the secret fields.
    server.push_fault(error_fault(
        200,
        serde_json::json!({"access_token": "tok-123", "token_type": "bearer",
            "expires_in": "tok-456", "refresh_token": "r", "accounts": []}),
    ));
    #[allow(deprecated)]
    let result = client(&server.url())
        .refresh_token()
        .body_map(|b| b.refresh_token(SecretString::from("r")))
        .send()
        .await;
    let error = result.expect_err("wrong type");
    let Error::InvalidBody {
        reason, excerpt, ..
    } = &error
    else {
        panic!("expected InvalidBody, got {error:?}");
    };
    assert!(
        reason.contains("invalid type") && !reason.contains("tok-456"),
        "{reason}"
    );
    assert!(!excerpt.contains("tok-123"), "{excerpt}");
}

#[tokio::test]
async fn send_raw_keeps_progenitors_error_and_from_generated_converts_it() {
    let server = server().await;
    server.push_fault(Fault::bad_gateway_html());
    let raw = client(&server.url())
        .create_token()
        .body_map(|b| {
            b.username(USER.to_string())
                .password(SecretString::from(PASSWORD))
        })
        .send_raw()
        .await
        .expect_err("502");
    assert!(matches!(
        raw,
        cakemail_sdk::generated::Error::UnexpectedResponse(_)
    ));
    let error = Error::from_generated(raw).await;
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
}

#[tokio::test]
async fn builder_validation_errors_are_typed_not_panics() {
    let server = server().await;
    let client = client(&server.url());
    let result = client
        .create_token()
        .body_map(|b| b.username(USER.to_string()).scopes("not a scope"))
        .send()
        .await;
    let error = result.expect_err("invalid scopes are refused");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(server.counters().total_requests, 0, "nothing was sent");
}

#[tokio::test]
async fn a_custom_reqwest_client_is_used_as_given() {
    let server = server().await;
    cakemail_sdk::install_crypto_provider();
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .expect("client");
    let client = Client::new_with_client(&server.url(), http);
    let _ = raw_login(&client, PASSWORD).await.expect("login");
    assert_eq!(
        server
            .last_request()
            .expect("recorded")
            .header("user-agent"),
        Some("my-app/1.0")
    );
}

#[test]
fn the_default_base_url_is_cakemails() {
    assert_eq!(cakemail_sdk::DEFAULT_BASE_URL, "https://api.cakemail.dev");
    let client = Client::new(cakemail_sdk::DEFAULT_BASE_URL).expect("builds");
    assert_eq!(client.base_url(), "https://api.cakemail.dev");
}
