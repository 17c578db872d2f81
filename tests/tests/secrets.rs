//! Passwords, tokens, MFA codes and challenges never show in Debug, Display,
//! error messages or tracing events.

use std::sync::Arc;

use cakemail_mock::{Fault, StatusCode};
use cakemail_sdk::auth::{Credentials, FileStore, StoredToken};
use cakemail_sdk::{Client, Error, SecretString, types};
use cakemail_tests::{LogCapture, MFA_CODE, MFA_USER, PASSWORD, USER, json_fault, server};

/// Secrets used below, each distinctive enough to search for.
const SECRETS: &[&str] = &[
    "pw-3x7q-secret",
    "at-9k2m-secret",
    "rt-4h8p-secret",
    "ch-6v1n-secret",
    "654321",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS.iter().chain([&PASSWORD]) {
        assert!(
            !text.contains(secret),
            "{what} shows a secret ({secret}): {text}"
        );
    }
}

fn check<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_display<T: std::fmt::Debug + std::fmt::Display>(what: &str, value: &T) {
    check(what, value);
    assert_clean(what, &value.to_string());
}

#[test]
fn public_types_holding_secrets_redact_them() {
    let [password, access, refresh, challenge, code] = SECRETS else {
        unreachable!()
    };
    check_display("SecretString", &SecretString::from(*password));
    check(
        "Credentials",
        &Credentials::password("me@example.com", *password)
            .with_access_token(*access)
            .with_refresh_token(*refresh),
    );
    check(
        "StoredToken",
        &StoredToken {
            access_token: (*access).into(),
            refresh_token: Some((*refresh).into()),
            expires_at: 1,
            accounts: vec![1],
        },
    );
    check(
        "MfaChallenge",
        &cakemail_sdk::MfaChallenge::new((*challenge).into()),
    );

    let token = types::TokenResponse {
        access_token: (*access).into(),
        accounts: vec![1],
        expires_in: 3600,
        refresh_token: (*refresh).into(),
        token_type: "bearer".into(),
    };
    check("TokenResponse", &token);
    check(
        "CreateTokenResponse",
        &types::CreateTokenResponse::TokenResponse(token.clone()),
    );
    check(
        "ChallengeResponse",
        &types::ChallengeResponse {
            challenge: (*challenge).into(),
        },
    );
    let body = types::BodyCreateToken::builder()
        .username("me@example.com".to_string())
        .password(SecretString::from(*password))
        .refresh_token(SecretString::from(*refresh));
    check("builder::BodyCreateToken", &body);
    check(
        "BodyCreateToken",
        &types::BodyCreateToken::try_from(body).expect("valid body"),
    );
    check(
        "BodyRefreshToken",
        &types::BodyRefreshToken::builder().refresh_token(SecretString::from(*refresh)),
    );
    let request = types::ChallengeResponseRequest::builder()
        .challenge(SecretString::from(*challenge))
        .code(SecretString::from(*code));
    check("builder::ChallengeResponseRequest", &request);
    check(
        "ChallengeResponseRequest",
        &types::ChallengeResponseRequest::try_from(request).expect("valid"),
    );

    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials(Credentials::password("me@example.com", *password).with_access_token(*access))
        .token_store(FileStore::new("/nonexistent/token.json"))
        .build()
        .expect("client");
    check("Client", &client);
    check("Runtime", client.runtime());
    check("TokenManager", client.auth().expect("auth"));
    check(
        "ClientBuilder",
        &Client::builder().credentials(Credentials::password("u@example.com", *password)),
    );
    let op = client
        .create_token()
        .body_map(|b| b.password(SecretString::from(*password)));
    check("builder::CreateToken", &op);
}

#[test]
fn error_messages_hold_no_secrets() {
    let challenge = SECRETS[3];
    let errors = [
        Error::MfaRequired(cakemail_sdk::MfaChallenge::new(challenge.into())),
        Error::Refresh(Arc::new(Error::MfaRequired(
            cakemail_sdk::MfaChallenge::new(challenge.into()),
        ))),
        Credentials::from_lookup(|n| (n == "CAKEMAIL_PASSWORD").then(|| SECRETS[0].into()))
            .expect_err("no username"),
    ];
    for error in &errors {
        check_display("Error", error);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_tracing_or_errors_in_any_flow() {
    let (capture, _guard) = LogCapture::start(tracing::Level::TRACE);

    let server = server().await;
    let mut seen_errors = Vec::new();
    let mut seen_tokens = Vec::new();

    // Login, refresh, fallback after revocation, a retried 503, a malformed body.
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        )
        .build()
        .expect("client");
    let auth = client.auth().expect("auth");
    seen_tokens.push(auth.access_token().await.expect("login"));
    auth.force_refresh().await.expect("refresh");
    seen_tokens.push(auth.access_token().await.expect("token"));
    server.revoke_refresh_tokens();
    server.push_fault(Fault::status(StatusCode::SERVICE_UNAVAILABLE));
    auth.force_refresh()
        .await
        .expect("fallback after a retried 503");
    seen_tokens.push(auth.access_token().await.expect("token"));

    let issued = server.issue_tokens(USER).expect("user");
    server.push_fault(json_fault(
        StatusCode::OK,
        format!(
            r#"{{"access_token": "{}", "refresh_token": "{}""#,
            issued.access_token, issued.refresh_token
        ),
    ));
    let error = auth.force_refresh().await.expect_err("malformed body");
    seen_errors.push(format!("{error} {error:?}"));
    for text in &seen_errors {
        assert!(
            !text.contains(&issued.access_token) && !text.contains(&issued.refresh_token),
            "{text}"
        );
    }

    // MFA: challenge and code.
    let mfa = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(MFA_USER, PASSWORD))
        .build()
        .expect("client");
    let mfa_auth = mfa.auth().expect("auth");
    let Err(error) = mfa_auth.login().await else {
        panic!("expected a challenge")
    };
    seen_errors.push(format!("{error} {error:?}"));
    let Error::MfaRequired(challenge) = error else {
        panic!("expected a challenge")
    };
    let wrong = mfa_auth
        .complete_mfa(&challenge, "000000")
        .await
        .expect_err("wrong code");
    seen_errors.push(format!("{wrong} {wrong:?}"));
    mfa_auth
        .complete_mfa(&challenge, MFA_CODE)
        .await
        .expect("code");
    seen_tokens.push(mfa_auth.access_token().await.expect("token"));

    // A wrong password.
    let bad = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, "pw-3x7q-secret"))
        .build()
        .expect("client");
    let error = bad
        .auth()
        .expect("auth")
        .login()
        .await
        .expect_err("wrong password");
    seen_errors.push(format!("{error} {error:?}"));

    let logs = capture.text();
    assert!(logs.contains("refresh"), "tracing was captured: {logs}");
    let mut forbidden: Vec<String> = seen_tokens
        .iter()
        .map(|t| t.expose_secret().to_string())
        .collect();
    forbidden.extend([
        PASSWORD.to_string(),
        "pw-3x7q-secret".into(),
        MFA_CODE.into(),
        challenge.expose_secret().to_string(),
    ]);
    forbidden.extend([issued.access_token.clone(), issued.refresh_token.clone()]);
    for secret in &forbidden {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached tracing: {secret}\n{logs}"
        );
        for text in &seen_errors {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached an error: {text}"
            );
        }
    }
}
