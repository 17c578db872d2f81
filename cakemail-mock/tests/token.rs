//! Behaviour of the three Token API operations and the bearer check, over
//! real HTTP. Every response is also checked against the document.

mod common;

use std::time::Duration;

use cakemail_mock::{HeaderMap, Method, MockServer, StatusCode, User, Users, header};
use common::*;
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const ALICE_PW: &str = "s3cret&+ =%pw";
const BOB: &str = "bob@example.com";
const BOB_PW: &str = "bobpw";

async fn server() -> MockServer {
    MockServer::builder()
        .user(User::new(ALICE, ALICE_PW).accounts([1, 2]))
        .user(
            User::new(BOB, BOB_PW)
                .accounts([7])
                .mfa_code("123456")
                .recovery_code("0123456789ab"),
        )
        .start()
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    common::http_client()
}

#[tokio::test]
async fn password_grant_issues_tokens() {
    let s = server().await;
    let c = client();
    let r = login(&c, &s.url(), ALICE, ALICE_PW).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["token_type"], "bearer");
    assert_eq!(r.json["expires_in"], 3600);
    assert_eq!(r.json["accounts"], json!([1, 2]));
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let at = str_field(&r.json, "access_token");
    let rt = str_field(&r.json, "refresh_token");
    assert_ne!(at, rt);
    assert!(!at.contains(ALICE_PW) && !rt.contains(ALICE_PW));

    let again = login(&c, &s.url(), ALICE, ALICE_PW).await;
    assert_ne!(str_field(&again.json, "access_token"), at);
    assert_ne!(str_field(&again.json, "refresh_token"), rt);
    let n = s.counters();
    assert_eq!(n.password_grants, 2);
    assert_eq!(n.tokens_issued, 2);
    assert_eq!(n.failed, 0);
}

#[tokio::test]
async fn grant_type_defaults_to_password_and_version_is_checked() {
    let s = server().await;
    let c = client();
    let body = [("username", ALICE), ("password", ALICE_PW)];
    assert_eq!(post_form(&c, &s.url(), "/token", &body).await.status, 200);
    assert_eq!(
        post_form(&c, &s.url(), "/token?version=v1", &body)
            .await
            .status,
        200
    );
    assert_eq!(
        post_form(&c, &s.url(), "/token?version=v2", &body)
            .await
            .status,
        200
    );
    let r = post_form(&c, &s.url(), "/token?version=v3", &body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["query", "version"]));
}

#[tokio::test]
async fn grant_options() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let grant = |extra: Vec<(&'static str, &'static str)>| {
        let mut v = vec![
            ("grant_type", "password"),
            ("username", ALICE),
            ("password", ALICE_PW),
        ];
        v.extend(extra);
        v
    };
    let r = post_form(
        &c,
        &base,
        "/token",
        &grant(vec![("expiration_seconds", "900")]),
    )
    .await;
    assert_eq!((r.status, r.json["expires_in"].clone()), (200, json!(900)));
    let r = post_form(
        &c,
        &base,
        "/token",
        &grant(vec![("expiration_seconds", "599")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["detail"][0]["loc"],
        json!(["body", "expiration_seconds"])
    );

    let r = post_form(&c, &base, "/token", &grant(vec![("account_id", "2")])).await;
    assert_eq!(r.status, 200);
    let info = bearer_info(&s, str_field(&r.json, "access_token")).unwrap();
    assert_eq!(info.account_id, Some(2));
    assert_eq!(info.accounts, vec![1, 2]);

    let r = post_form(&c, &base, "/token", &grant(vec![("account_id", "3")])).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["detail"][0]["type"], "forbidden");
    let r = post_form(&c, &base, "/token", &grant(vec![("account_id", "x")])).await;
    assert_eq!(r.status, 422);

    let r = post_form(&c, &base, "/token", &grant(vec![("scopes", "user,admin")])).await;
    assert_eq!(r.status, 200);
    let info = bearer_info(&s, str_field(&r.json, "access_token")).unwrap();
    assert_eq!(info.scopes, vec!["user", "admin"]);
    let r = post_form(&c, &base, "/token", &grant(vec![("scopes", "root")])).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["body", "scopes"]));
}

fn bearer_info(s: &MockServer, token: &str) -> Option<cakemail_mock::TokenInfo> {
    let mut h = HeaderMap::new();
    h.insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    s.check_bearer(&h)
}

#[tokio::test]
async fn bad_credentials_are_401() {
    let s = server().await;
    let c = client();
    for (u, p) in [
        (ALICE, "wrong"),
        ("nobody@example.com", ALICE_PW),
        (BOB, ALICE_PW),
    ] {
        let r = login(&c, &s.url(), u, p).await;
        assert_eq!(r.status, 401, "{u}");
        assert_eq!(r.json["detail"][0]["type"], "unauthorized");
    }
    let n = s.counters();
    assert_eq!((n.unauthorized, n.failed, n.tokens_issued), (3, 3, 0));
}

#[tokio::test]
async fn refresh_rotates_tokens() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let first = login(&c, &base, ALICE, ALICE_PW).await.json;
    let rt1 = str_field(&first, "refresh_token");
    let r = post_form(
        &c,
        &base,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(r.status, 200);
    let rt2 = str_field(&r.json, "refresh_token").to_owned();
    assert_ne!(rt1, rt2);
    assert_ne!(
        str_field(&r.json, "access_token"),
        str_field(&first, "access_token")
    );
    assert_eq!(r.json["accounts"], json!([1, 2]));

    // The old one is now invalid; the new one works once.
    let old = post_form(
        &c,
        &base,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(old.status, 401);
    let r = post_form(
        &c,
        &base,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
    )
    .await;
    assert_eq!(r.status, 200);
    let n = s.counters();
    assert_eq!(
        (n.password_grants, n.refresh_grants, n.unauthorized),
        (1, 3, 1)
    );

    let r = post_form(
        &c,
        &base,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "cmk_rt_bogus"),
        ],
    )
    .await;
    assert_eq!(r.status, 401);
    let r = post_form(&c, &base, "/token", &[("grant_type", "refresh_token")]).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["body", "refresh_token"]));
}

#[tokio::test]
async fn refresh_keeps_grant_and_checks_account() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let r = post_form(
        &c,
        &base,
        "/token",
        &[
            ("username", ALICE),
            ("password", ALICE_PW),
            ("account_id", "2"),
            ("expiration_seconds", "1200"),
        ],
    )
    .await;
    let rt = str_field(&r.json, "refresh_token").to_owned();
    let r = post_form(
        &c,
        &base,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("account_id", "9"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    // A 403 does not consume the refresh token.
    let r = post_form(
        &c,
        &base,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["expires_in"], 1200);
    let info = bearer_info(&s, str_field(&r.json, "access_token")).unwrap();
    assert_eq!(info.account_id, Some(2));
}

#[tokio::test]
async fn put_refresh() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let first = login(&c, &base, ALICE, ALICE_PW).await.json;
    let rt1 = str_field(&first, "refresh_token");
    let r = put_form(&c, &base, &[("refresh_token", rt1)]).await;
    assert_eq!(r.status, 200);
    let rt2 = str_field(&r.json, "refresh_token").to_owned();
    let r = put_form(&c, &base, &[("refresh_token", rt1)]).await;
    assert_eq!(r.status, 401);
    let r = send(
        &c,
        &base,
        Method::PUT,
        "/token?version=v1",
        FORM,
        form(&[("grant_type", "refresh_token"), ("refresh_token", &rt2)]),
    )
    .await;
    assert_eq!(r.status, 200);
    let rt3 = str_field(&r.json, "refresh_token").to_owned();
    let r = put_form(
        &c,
        &base,
        &[("grant_type", "password"), ("refresh_token", &rt3)],
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["body", "grant_type"]));
    let r = send(&c, &base, Method::PUT, "/token", None, Vec::new()).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["body", "refresh_token"]));
    assert_eq!(s.counters().put_refreshes, 5);
}

#[tokio::test]
async fn revocation() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let a = login(&c, &base, ALICE, ALICE_PW).await.json;
    let b = login(&c, &base, ALICE, ALICE_PW).await.json;
    assert!(s.revoke_refresh_token(str_field(&a, "refresh_token")));
    assert!(!s.revoke_refresh_token(str_field(&a, "refresh_token")));
    let r = put_form(
        &c,
        &base,
        &[("refresh_token", str_field(&a, "refresh_token"))],
    )
    .await;
    assert_eq!(r.status, 401);
    s.revoke_refresh_tokens();
    let r = post_form(
        &c,
        &base,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&b, "refresh_token")),
        ],
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn mfa_login() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let r = login(&c, &base, BOB, BOB_PW).await;
    assert_eq!(r.status, 200);
    let challenge = str_field(&r.json, "challenge").to_owned();
    assert!(r.json.get("access_token").is_none());

    let wrong = post_json(
        &c,
        &base,
        "/token/challenge",
        &json!({"challenge": challenge, "code": "000000"}),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let ok = post_json(
        &c,
        &base,
        "/token/challenge",
        &json!({"challenge": challenge, "code": "123456"}),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json["accounts"], json!([7]));
    let info = bearer_info(&s, str_field(&ok.json, "access_token")).unwrap();
    assert_eq!(info.scopes, vec!["user"]);
    // A challenge is single-use.
    let again = post_json(
        &c,
        &base,
        "/token/challenge",
        &json!({"challenge": challenge, "code": "123456"}),
    )
    .await;
    assert_eq!(again.status, 401);

    // Recovery code, with explicit scopes; usable once.
    let ch = login(&c, &base, BOB, BOB_PW).await.json["challenge"].clone();
    let ok = post_json(
        &c,
        &base,
        "/token/challenge",
        &json!({"challenge": ch, "code": "0123456789AB", "scopes": ["user", "admin"]}),
    )
    .await;
    assert_eq!(ok.status, 200);
    let info = bearer_info(&s, str_field(&ok.json, "access_token")).unwrap();
    assert_eq!(info.scopes, vec!["user", "admin"]);
    let ch = login(&c, &base, BOB, BOB_PW).await.json["challenge"].clone();
    let used = post_json(
        &c,
        &base,
        "/token/challenge",
        &json!({"challenge": ch, "code": "0123456789ab"}),
    )
    .await;
    assert_eq!(used.status, 401);

    let n = s.counters();
    assert_eq!(
        (
            n.challenges_issued,
            n.challenge_completions,
            n.tokens_issued
        ),
        (3, 5, 2)
    );
}

#[tokio::test]
async fn mfa_challenge_as_401() {
    let s = MockServer::builder()
        .user(User::new(BOB, BOB_PW).mfa_code("654321"))
        .mfa_challenge_status(StatusCode::UNAUTHORIZED)
        .start()
        .await
        .unwrap();
    let c = client();
    let r = login(&c, &s.url(), BOB, BOB_PW).await;
    assert_eq!(r.status, 401);
    let ch = str_field(&r.json, "challenge").to_owned();
    assert_eq!(r.json["detail"][0]["type"], "unauthorized");
    let ok = post_json(
        &c,
        &s.url(),
        "/token/challenge",
        &json!({"challenge": ch, "code": "654321"}),
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn challenge_validation() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let p = "/token/challenge";
    let cases: Vec<(Option<&str>, &[u8], Value)> = vec![
        (JSON, b"{not json", json!(["body", 2])),
        (JSON, b"", json!(["body"])),
        (JSON, b"[1,2]", json!(["body"])),
        (Some("text/plain"), b"{}", json!(["body"])),
        (JSON, br#"{"code": "123456"}"#, json!(["body", "challenge"])),
        (JSON, br#"{"challenge": "x"}"#, json!(["body", "code"])),
        (
            JSON,
            br#"{"challenge": 5, "code": "123456"}"#,
            json!(["body", "challenge"]),
        ),
        (
            JSON,
            br#"{"challenge": "x", "code": "12345"}"#,
            json!(["body", "code"]),
        ),
        (
            JSON,
            br#"{"challenge": "x", "code": "123456", "scopes": ["root"]}"#,
            json!(["body", "scopes", 0]),
        ),
        (
            JSON,
            br#"{"challenge": "x", "code": "123456", "scopes": "user"}"#,
            json!(["body", "scopes"]),
        ),
        (
            JSON,
            br#"{"challenge": "x", "code": "123456", "scopes": ["user", "user"]}"#,
            json!(["body", "scopes"]),
        ),
    ];
    for (ct, body, loc) in cases {
        let r = send(&c, &base, Method::POST, p, ct, body.to_vec()).await;
        assert_eq!(r.status, 422, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(
            r.json["detail"][0]["loc"],
            loc,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    let r = send(
        &c,
        &base,
        Method::POST,
        "/token/challenge?version=v9",
        JSON,
        br#"{"challenge": "x", "code": "123456"}"#.to_vec(),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = post_json(
        &c,
        &base,
        p,
        &json!({"challenge": "unknown", "code": "123456"}),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn create_token_validation() {
    let s = server().await;
    let c = client();
    let base = s.url();
    let cases: Vec<(Option<&str>, Vec<u8>, Value)> = vec![
        (
            FORM,
            form(&[("grant_type", "password"), ("password", "x")]),
            json!(["body", "username"]),
        ),
        (
            FORM,
            form(&[("username", ALICE)]),
            json!(["body", "password"]),
        ),
        (None, Vec::new(), json!(["body", "username"])),
        (
            FORM,
            form(&[("grant_type", "client_credentials")]),
            json!(["body", "grant_type"]),
        ),
        (
            FORM,
            form(&[("username", "not-an-email"), ("password", "x")]),
            json!(["body", "username"]),
        ),
        (
            JSON,
            br#"{"username": "alice@example.com", "password": "x"}"#.to_vec(),
            json!(["body"]),
        ),
        (
            Some("multipart/form-data; boundary=x"),
            b"--x--".to_vec(),
            json!(["body"]),
        ),
        (FORM, vec![0xff, 0xfe, 0x00, 0x80], json!(["body"])),
        (
            FORM,
            b"username=%FF%FE&password=x".to_vec(),
            json!(["body"]),
        ),
        (None, b"username=a@b.c&password=x".to_vec(), json!(["body"])),
    ];
    for (ct, body, loc) in cases {
        let r = send(&c, &base, Method::POST, "/token", ct, body.clone()).await;
        assert_eq!(r.status, 422, "{:?}", String::from_utf8_lossy(&body));
        assert_eq!(
            r.json["detail"][0]["loc"],
            loc,
            "{:?}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(
            r.json["detail"][0]["type"].as_str().map(|t| !t.is_empty()),
            Some(true)
        );
    }
    // Missing fields are all reported, FastAPI style.
    let r = send(&c, &base, Method::POST, "/token", FORM, Vec::new()).await;
    assert_eq!(
        r.json["detail"][0],
        json!({"loc": ["body", "username"], "msg": "field required", "type": "value_error.missing"})
    );
    assert_eq!(r.json["detail"][1]["loc"], json!(["body", "password"]));
    assert_eq!(s.counters().tokens_issued, 0);
}

#[tokio::test]
async fn oversized_body_is_400() {
    let s = server().await;
    let c = client();
    let big = format!("username={}&password=x", "a".repeat(100 * 1024));
    let r = send(&c, &s.url(), Method::POST, "/token", FORM, big.into_bytes()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["detail"][0]["type"], "bad_request");
}

#[tokio::test]
async fn unknown_routes() {
    let s = server().await;
    let c = client();
    let r = c.get(format!("{}/token", s.url())).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.headers()[header::ALLOW],
        "POST, PUT",
        "RFC 9110 requires Allow"
    );
    let r = c
        .get(format!("{}/token/challenge", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[header::ALLOW], "POST");
    let r = c.get(format!("{}/nope", s.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
}

#[tokio::test]
async fn protected_endpoints() {
    let s = server().await;
    s.protect(
        Method::GET,
        "/accounts/self",
        json!({"data": {"id": 1, "name": "Alice"}}),
    );
    let c = client();
    let url = format!("{}/accounts/self", s.url());

    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let body: Value = r.json().await.unwrap();
    spec().assert_response(&Method::POST, "/token", 401, &body);

    let tokens = login(&c, &s.url(), ALICE, ALICE_PW).await.json;
    let at = str_field(&tokens, "access_token");
    let r = c.get(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["data"]["name"], "Alice");
    // Refresh tokens are not access tokens.
    let r = c
        .get(&url)
        .bearer_auth(str_field(&tokens, "refresh_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c.post(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()[header::ALLOW], "GET");

    s.expire_access_tokens();
    let r = c.get(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(bearer_info(&s, at).is_none());
    let r = put_form(
        &c,
        &s.url(),
        &[("refresh_token", str_field(&tokens, "refresh_token"))],
    )
    .await;
    let at2 = str_field(&r.json, "access_token");
    let r = c.get(&url).bearer_auth(at2).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(s.expire_access_token(at2));
    let r = c.get(&url).bearer_auth(at2).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let n = s.counters();
    assert_eq!(n.protected_calls, 6);
    assert_eq!(n.unauthorized, 4);
}

#[tokio::test]
async fn short_lifetime_expires() {
    let s = MockServer::builder()
        .user(User::new(ALICE, ALICE_PW))
        .token_lifetime(Duration::from_millis(1))
        .start()
        .await
        .unwrap();
    s.protect(Method::GET, "/x", json!({}));
    let c = client();
    let r = login(&c, &s.url(), ALICE, ALICE_PW).await;
    assert_eq!(r.json["expires_in"], 0);
    assert_eq!(r.json["accounts"], json!([]));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let r = c
        .get(format!("{}/x", s.url()))
        .bearer_auth(str_field(&r.json, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn issue_tokens_directly() {
    let s = MockServer::builder()
        .user(User::new(ALICE, ALICE_PW).accounts([5]))
        .token_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let t = s.issue_tokens(ALICE).unwrap();
    assert_eq!((t.expires_in, t.accounts.clone()), (120, vec![5]));
    assert!(bearer_info(&s, &t.access_token).is_some());
    assert!(s.issue_tokens("who@example.com").is_none());
    let r = put_form(&client(), &s.url(), &[("refresh_token", &t.refresh_token)]).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn records_what_was_sent() {
    let s = server().await;
    let c = client();
    login(&c, &s.url(), ALICE, ALICE_PW).await;
    let rec = s.last_request().unwrap();
    assert_eq!(rec.method, Method::POST);
    assert_eq!(rec.path, "/token");
    assert_eq!(rec.query, None);
    assert_eq!(rec.status, Some(StatusCode::OK));
    assert_eq!(
        rec.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        rec.body_str(),
        Some("grant_type=password&username=alice%40example.com&password=s3cret%26%2B+%3D%25pw")
    );
    assert_eq!(rec.form_field("password").as_deref(), Some(ALICE_PW));

    s.protect(Method::GET, "/accounts/self", json!({}));
    c.get(format!("{}/accounts/self?page=2", s.url()))
        .bearer_auth("abc")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let rec = s.last_request().unwrap();
    assert_eq!(rec.header("authorization"), Some("Bearer abc"));
    assert_eq!(rec.header("accept"), Some("application/json"));
    assert_eq!(rec.query.as_deref(), Some("page=2"));
    assert_eq!(rec.status, Some(StatusCode::UNAUTHORIZED));
    assert_eq!(s.requests().len(), 2);
    s.clear_requests();
    assert!(s.requests().is_empty());
    s.reset_counters();
    assert_eq!(s.counters(), cakemail_mock::Counters::default());
}

#[tokio::test]
async fn record_limit_keeps_latest() {
    let s = MockServer::builder().record_limit(2).start().await.unwrap();
    let c = client();
    for p in ["/a", "/b", "/c"] {
        c.get(format!("{}{p}", s.url())).send().await.unwrap();
    }
    let paths: Vec<String> = s.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/b", "/c"]);
    assert_eq!(s.counters().total_requests, 3);
}

#[tokio::test]
async fn users_from_json_and_file() {
    let path =
        std::env::temp_dir().join(format!("cakemail-mock-users-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"[{"username": "f@example.com", "password": "pw", "accounts": [3, 3, 4]}]"#,
    )
    .unwrap();
    let users = Users::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(users.len(), 1);
    let s = MockServer::builder().users(users).start().await.unwrap();
    let r = login(&client(), &s.url(), "f@example.com", "pw").await;
    assert_eq!(r.status, 200);

    assert!(Users::from_json_str(r#"[{"username": "nomail", "password": "x"}]"#).is_err());
    assert!(
        Users::from_json_str(r#"[{"username": "a@b.c", "password": "x", "mfa_code": "12"}]"#)
            .is_err()
    );
    assert!(Users::from_json_str(r#"{"users": [{"username": "a@b.c"}]}"#).is_err());
    assert!(Users::from_file("/nonexistent/users.json").is_err());
    let dup = MockServer::builder()
        .user(User::new(ALICE, "a"))
        .user(User::new(ALICE, "b"))
        .start()
        .await;
    assert!(dup.is_err());
    assert!(s.add_user(User::new("late@example.com", "pw")).is_ok());
    assert!(s.add_user(User::new("late@example.com", "pw")).is_err());
    assert_eq!(
        login(&client(), &s.url(), "late@example.com", "pw")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let s = server().await;
    let addr = s.addr();
    assert!(s.url().starts_with("http://127.0.0.1:"));
    assert_ne!(addr.port(), 0);
    s.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let s = server().await;
    let addr = s.addr();
    drop(s);
    // The listener closes once the aborted task is dropped by the runtime.
    let mut closed = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed);
}
