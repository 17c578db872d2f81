//! The token manager and the authenticated client against the local server:
//! login, proactive refresh, fallback, 401 replay, MFA, storage, single-flight.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cakemail_mock::{Fault, Method, MockServer, StatusCode};
use cakemail_sdk::auth::{Credentials, FileStore, TokenStore};
use cakemail_sdk::{Client, Error};
use cakemail_tests::{
    MFA_CODE, MFA_USER, PASSWORD, USER, extended, extended_client, json_fault, raw_login, server,
    store_with,
};

fn password_client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .max_retries(0)
        .build()
        .expect("client builds")
}

/// A client logging in as the MFA user.
fn mfa_client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(MFA_USER, PASSWORD))
        .build()
        .expect("client")
}

/// Logs in and returns the MFA challenge the login must answer with.
async fn expect_challenge(auth: &cakemail_sdk::auth::TokenManager) -> cakemail_sdk::MfaChallenge {
    match auth.login().await {
        Err(Error::MfaRequired(challenge)) => challenge,
        other => panic!("expected MfaRequired, got {other:?}"),
    }
}

#[tokio::test]
async fn login_gives_expiry_and_accounts_and_the_token_is_cached() {
    let server = server().await;
    let client = password_client(&server);
    let auth = client.auth().expect("authenticated client");
    let info = auth.login().await.expect("login");
    assert_eq!(info.accounts, [1, 2]);
    assert!(info.has_refresh_token);
    let left = info
        .expires_at
        .expect("expiry known")
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    assert!(
        left > Duration::from_secs(3000) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
    let a = auth.access_token().await.expect("token");
    let b = auth.access_token().await.expect("token");
    assert_eq!(a, b);
    assert_eq!(
        server.counters().password_grants,
        1,
        "one login, then memory"
    );
    assert_eq!(auth.token_requests(), 1);
}

#[tokio::test]
async fn a_token_inside_the_margin_is_refreshed_ahead_of_expiry_with_post() {
    let server = server().await;
    let issued = server.issue_tokens(USER).expect("user");
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .token_store(store_with(&issued.access_token, &issued.refresh_token, 60))
        .refresh_margin(Duration::from_secs(300))
        .build()
        .expect("client");
    let auth = client.auth().expect("auth");
    let token = auth.access_token().await.expect("token");
    assert_ne!(
        token.expose_secret(),
        issued.access_token,
        "renewed before expiry"
    );
    let counters = server.counters();
    assert_eq!(
        (
            counters.refresh_grants,
            counters.password_grants,
            counters.put_refreshes
        ),
        (1, 0, 0)
    );
    let request = server.last_request().expect("recorded");
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.form_field("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        request.form_field("refresh_token").as_deref(),
        Some(issued.refresh_token.as_str())
    );
}

#[tokio::test]
async fn a_rejected_refresh_token_falls_back_to_the_password() {
    let server = server().await;
    let client = password_client(&server);
    let auth = client.auth().expect("auth");
    auth.login().await.expect("login");
    server.revoke_refresh_tokens();
    auth.force_refresh().await.expect("password fallback");
    let counters = server.counters();
    assert_eq!((counters.password_grants, counters.refresh_grants), (2, 1));
}

#[tokio::test]
async fn without_a_password_a_rejected_refresh_is_an_error_and_the_next_call_tries_again() {
    let server = server().await;
    let issued = server.issue_tokens(USER).expect("user");
    server.revoke_refresh_tokens();
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::refresh_token(issued.refresh_token.as_str()))
        .max_retries(0)
        .build()
        .expect("client");
    let auth = client.auth().expect("auth");
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.access_token().await })
        })
        .collect();
    for caller in callers {
        let result = caller.await.expect("task");
        let error = result.expect_err("refresh is rejected");
        assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED), "{error}");
    }
    assert_eq!(
        server.counters().refresh_grants,
        1,
        "one request for all fifty waiters"
    );
    assert!(auth.access_token().await.is_err());
    assert_eq!(
        server.counters().refresh_grants,
        2,
        "not stuck: the next call tries again"
    );
}

#[tokio::test]
async fn a_refresh_response_without_a_refresh_token_keeps_the_old_one() {
    let server = server().await;
    let issued = server.issue_tokens(USER).expect("user");
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::refresh_token(issued.refresh_token.as_str()))
        .build()
        .expect("client");
    server.push_fault(json_fault(StatusCode::OK, serde_json::json!({"access_token": "new-access", "token_type": "bearer", "expires_in": 3600, "accounts": [1]})
            .to_string()));
    let auth = client.auth().expect("auth");
    let info = auth
        .force_refresh()
        .await
        .expect("refresh without a refresh token");
    assert!(info.has_refresh_token);
    assert_eq!(
        auth.access_token().await.expect("token").expose_secret(),
        "new-access"
    );
    auth.force_refresh()
        .await
        .expect("second refresh uses the kept token");
    let request = server.last_request().expect("recorded");
    assert_eq!(
        request.form_field("refresh_token").as_deref(),
        Some(issued.refresh_token.as_str())
    );
}

#[tokio::test]
async fn secured_operations_get_the_bearer_and_a_401_is_replayed_once_after_a_refresh() {
    let server = server().await;
    server.protect(
        Method::GET,
        "/accounts/self",
        serde_json::json!({"id": 1, "name": "Alice Inc."}),
    );
    let client = password_client(&server);
    // A client generated elsewhere, from the Token API plus GET /accounts/self,
    // on this client's runtime: no hand-written code for the new operation.
    let accounts = extended_client(&client);
    assert_eq!(extended::BEARER_OPERATIONS, ["get_self_account"]);

    let account = accounts
        .get_self_account()
        .send()
        .await
        .expect("authorized call")
        .into_inner();
    assert_eq!(account.id, 1);
    let token = client
        .auth()
        .expect("auth")
        .access_token()
        .await
        .expect("token");
    let sent = server.last_request().expect("recorded");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", token.expose_secret()).as_str())
    );

    server.expire_access_tokens();
    let account = accounts
        .get_self_account()
        .send()
        .await
        .expect("replayed after 401");
    assert_eq!(account.into_inner().id, 1);
    let counters = server.counters();
    assert_eq!(counters.protected_calls, 3, "call, 401, replay");
    assert_eq!(counters.unauthorized, 1);
    assert_eq!(counters.refresh_grants, 1);
    assert_eq!(counters.password_grants, 1);
}

#[tokio::test]
async fn token_operations_never_carry_a_bearer() {
    let server = server().await;
    let client = password_client(&server);
    client.auth().expect("auth").login().await.expect("login");
    let _ = raw_login(&client, PASSWORD).await.expect("explicit login");
    for request in server.requests() {
        assert!(
            request.header("authorization").is_none(),
            "{} carried a bearer",
            request.path
        );
    }
    assert!(
        cakemail_sdk::BEARER_OPERATIONS.is_empty(),
        "the token endpoint is excluded"
    );
}

#[tokio::test]
async fn send_authorized_reaches_endpoints_the_sdk_does_not_cover() {
    let server = server().await;
    server.protect(Method::GET, "/lists", serde_json::json!({"data": []}));
    let client = password_client(&server);
    let url = format!("{}/lists", client.base_url());
    let request = client.http_client().get(url).build().expect("request");
    let response = client.send_authorized(request).await.expect("authorized");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.counters().protected_calls, 1);
    // As in cakemail-mock's README: after expiry, refreshed and replayed.
    server.expire_access_tokens();
    let request = client
        .http_client()
        .get(format!("{}/lists", client.base_url()))
        .build()
        .expect("request");
    assert_eq!(
        client
            .send_authorized(request)
            .await
            .expect("replayed")
            .status(),
        StatusCode::OK
    );
    let counters = server.counters();
    assert_eq!(
        (
            counters.password_grants,
            counters.refresh_grants,
            counters.protected_calls
        ),
        (1, 1, 3)
    );
}

#[tokio::test]
async fn mfa_login_gives_a_challenge_and_one_call_completes_it() {
    let server = server().await;
    server.protect(Method::GET, "/accounts/self", serde_json::json!({"id": 3}));
    let client = mfa_client(&server);
    let auth = client.auth().expect("auth");
    let challenge = expect_challenge(auth).await;
    let info = auth
        .complete_mfa(&challenge, MFA_CODE)
        .await
        .expect("code accepted");
    assert_eq!(info.accounts, [3]);
    let accounts = extended_client(&client);
    assert_eq!(
        accounts
            .get_self_account()
            .send()
            .await
            .expect("authorized")
            .into_inner()
            .id,
        3
    );
    auth.force_refresh()
        .await
        .expect("refreshes as usual after MFA");
    assert_eq!(server.counters().refresh_grants, 1);
}

#[tokio::test]
async fn a_wrong_mfa_code_is_a_typed_401() {
    let server = server().await;
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(MFA_USER, PASSWORD))
        .build()
        .expect("client");
    let auth = client.auth().expect("auth");
    let Err(Error::MfaRequired(challenge)) = auth.login().await else {
        panic!("expected a challenge")
    };
    let error = auth
        .complete_mfa(&challenge, "000000")
        .await
        .expect_err("wrong code");
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn one_thousand_callers_at_expiry_cause_exactly_one_token_request() {
    let server = server().await;
    let issued = server.issue_tokens(USER).expect("user");
    // Slow the refresh so that callers pile up behind it.
    server.push_fault(Fault::Latency(Duration::from_millis(100)));
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .token_store(store_with(&issued.access_token, &issued.refresh_token, -10))
        .build()
        .expect("client");
    let auth = client.auth().expect("auth").clone();
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let auth = auth.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                auth.access_token().await
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for caller in callers {
        let token = caller.await.expect("task").expect("token");
        tokens.insert(token.expose_secret().to_string());
    }
    assert_eq!(tokens.len(), 1, "everyone holds the same token");
    assert!(!tokens.contains(&issued.access_token));
    let counters = server.counters();
    assert_eq!(counters.refresh_grants + counters.password_grants, 1);
    assert_eq!(auth.token_requests(), 1);
}

#[tokio::test]
async fn the_file_store_round_trips_with_private_permissions() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cakemail").join("token.json");
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .token_store(FileStore::new(&path))
        .build()
        .expect("client");
    let token = client
        .auth()
        .expect("auth")
        .access_token()
        .await
        .expect("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("folder")), 0o700);
    }
    // A new process (client) resumes from the file without logging in.
    let again = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, "not the password"))
        .token_store(FileStore::new(&path))
        .build()
        .expect("client");
    assert_eq!(
        again
            .auth()
            .expect("auth")
            .access_token()
            .await
            .expect("stored token"),
        token
    );
    assert_eq!(server.counters().password_grants, 1);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
        .expect("list")
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}

#[tokio::test]
async fn a_corrupt_token_file_means_a_fresh_login_that_repairs_it() {
    let server = server().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("token.json");
    std::fs::write(&path, b"{\"access_token\": \"half").expect("write");
    let (logs, _guard) = cakemail_tests::LogCapture::start(tracing::Level::WARN);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .token_store(FileStore::new(&path))
        .build()
        .expect("a corrupt store does not stop the client");
    client
        .auth()
        .expect("auth")
        .access_token()
        .await
        .expect("fresh login");
    assert_eq!(server.counters().password_grants, 1);
    let stored = FileStore::new(&path)
        .load()
        .expect("repaired")
        .expect("present");
    assert_eq!(stored.accounts, [1, 2]);
    let warning = logs.text();
    assert!(
        warning.contains("WARN")
            && warning.contains("token store")
            && warning.contains("token.json"),
        "{warning}"
    );
    assert!(
        !warning.contains("half") && !warning.contains(stored.access_token.expose_secret()),
        "{warning}"
    );
}

#[test]
fn env_variables_are_read_like_cakemails_cli() {
    use std::ffi::OsString;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    let creds = Credentials::from_lookup(env(&[
        ("CAKEMAIL_EMAIL", "me@example.com"),
        ("CAKEMAIL_PASSWORD", "pw-secret"),
        ("CAKEMAIL_CURRENT_ACCOUNT_ID", "42"),
    ]))
    .expect("valid")
    .expect("present");
    assert_eq!(creds.username(), Some("me@example.com"));
    assert!(creds.has_password());
    let debug = format!("{creds:?}");
    assert!(
        debug.contains("account_id: Some(42)") && !debug.contains("pw-secret"),
        "{debug}"
    );

    assert!(Credentials::from_lookup(env(&[])).expect("valid").is_none());
    let token_only =
        Credentials::from_lookup(env(&[("CAKEMAIL_ACCESS_TOKEN", "tok")])).expect("valid");
    assert!(token_only.is_some());

    let error = Credentials::from_lookup(env(&[
        ("CAKEMAIL_USERNAME", "me@example.com"),
        ("CAKEMAIL_PASSWORD", "pw-secret"),
        ("CAKEMAIL_CURRENT_ACCOUNT_ID", "forty-two"),
    ]))
    .expect_err("bad account id");
    assert!(
        error.to_string().contains("CAKEMAIL_CURRENT_ACCOUNT_ID"),
        "{error}"
    );

    let error = Credentials::from_lookup(env(&[("CAKEMAIL_PASSWORD", "pw-secret")]))
        .expect_err("no username");
    assert!(
        error.to_string().contains("CAKEMAIL_USERNAME") && !error.to_string().contains("pw-secret")
    );

    let error = Credentials::from_lookup(env(&[("CAKEMAIL_USERNAME", "me@example.com")]))
        .expect_err("no password");
    assert!(error.to_string().contains("CAKEMAIL_PASSWORD"));

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let error = Credentials::from_lookup(|name| {
            (name == "CAKEMAIL_PASSWORD").then(|| OsString::from_vec(vec![0xff, b's', b'e', b'c']))
        })
        .expect_err("not UTF-8");
        assert_eq!(
            error.to_string(),
            "configuration error: CAKEMAIL_PASSWORD is not valid UTF-8"
        );
    }
}

#[tokio::test]
async fn an_mfa_challenge_sent_with_a_401_is_recognised_too() {
    // createToken's description says MFA answers 401 with a `challenge` field.
    let server =
        cakemail_tests::server_with(|b| b.mfa_challenge_status(StatusCode::UNAUTHORIZED)).await;
    let client = mfa_client(&server);
    let auth = client.auth().expect("auth");
    let challenge = expect_challenge(auth).await;
    let info = auth
        .complete_mfa(&challenge, MFA_CODE)
        .await
        .expect("code accepted");
    assert_eq!(info.accounts, [3]);
    // A plain wrong password is still a plain 401.
    let wrong = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, "wrong"))
        .build()
        .expect("client");
    let error = wrong.auth().expect("auth").login().await.expect_err("401");
    assert!(
        matches!(&error, Error::Refresh(inner) if matches!(**inner, Error::Api { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_secured_call_without_a_token_is_not_authenticated() {
    let server = server().await;
    server.protect(Method::GET, "/accounts/self", serde_json::json!({"id": 1}));
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, "wrong password"))
        .build()
        .expect("client");
    let accounts = extended_client(&client);
    let error = accounts
        .get_self_account()
        .send()
        .await
        .expect_err("no token");
    assert!(matches!(error, Error::NotAuthenticated(_)), "{error:?}");
    assert_eq!(
        server.counters().protected_calls,
        0,
        "not sent without a token"
    );
}
