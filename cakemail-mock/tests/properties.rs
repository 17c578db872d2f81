//! Property: random and mutated bodies to each route never break the
//! connection and always get a documented status with a body that
//! validates against the document's schema for that status.

mod common;

use cakemail_mock::{MockServer, User};
use common::{send, spec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const PW: &str = "pw";

#[derive(Debug, Clone)]
struct Case {
    method: Method,
    path: &'static str,
    query: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn form_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "grant_type",
            "username",
            "password",
            "account_id",
            "scopes",
            "expiration_seconds",
            "refresh_token",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{0,12}",
    ]
}

fn form_value(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(known),
        prop::sample::select(vec![
            ALICE,
            BOB,
            PW,
            "",
            "password",
            "refresh_token",
            "user",
            "user,admin",
            "root",
            "600",
            "599",
            "3600",
            "1",
            "2",
            "-1",
            "1e3",
            "99999999999999999999",
            "a@b",
            "@",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9@.,%+&= ]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(30).collect()),
    ]
}

fn mutate(base: Vec<u8>, edits: Vec<(usize, u8)>) -> Vec<u8> {
    let mut b = base;
    for (i, byte) in edits {
        if b.is_empty() {
            b.push(byte);
        } else {
            let i = i % (b.len() + 1);
            match byte % 3 {
                0 if i < b.len() => b[i] = byte,
                1 if i < b.len() => {
                    b.remove(i);
                }
                _ => b.insert(i, byte),
            }
        }
    }
    b
}

/// A plausible form: known fields with mostly valid values.
fn structured_form(known: Vec<String>) -> impl Strategy<Value = Vec<(String, String)>> {
    let opt = |vals: Vec<&'static str>| {
        proptest::option::of(prop::sample::select(vals).prop_map(str::to_owned))
    };
    (
        opt(vec!["password", "refresh_token", "", "bogus"]),
        opt(vec![ALICE, BOB, "nobody@example.com", "nomail"]),
        opt(vec![PW, "wrong"]),
        opt(vec!["1", "2", "3", "x"]),
        opt(vec!["user", "user,admin", "auth", "root", ""]),
        opt(vec!["600", "7200", "599", "0"]),
        proptest::option::of(prop::sample::select(known)),
    )
        .prop_map(|(g, u, p, a, sc, e, rt)| {
            let fields = [
                ("grant_type", g),
                ("username", u),
                ("password", p),
                ("account_id", a),
                ("scopes", sc),
                ("expiration_seconds", e),
                ("refresh_token", rt),
            ];
            fields
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                .collect()
        })
}

fn form_body(known: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let k = known.clone();
    let pairs = move || prop::collection::vec((form_key(), form_value(known.clone())), 0..8);
    prop_oneof![
        6 => structured_form(k).prop_map(|p| serde_urlencoded::to_string(p).unwrap_or_default().into_bytes()),
        3 => pairs().prop_map(|p| serde_urlencoded::to_string(p).unwrap_or_default().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..120),
        2 => (pairs(), prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)).prop_map(|(p, e)| {
            mutate(serde_urlencoded::to_string(p).unwrap_or_default().into_bytes(), e)
        }),
    ]
}

fn json_leaf(known: Vec<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        form_value(known.clone()).prop_map(Value::from),
        prop::sample::select(vec![
            "123456",
            "111111",
            "000000",
            "abcdefabcdef",
            "12345",
            "ABCDEFABCDEF"
        ])
        .prop_map(Value::from),
        prop::collection::vec(
            prop::sample::select(vec!["user", "admin", "internal", "auth", "root"])
                .prop_map(Value::from),
            0..4
        )
        .prop_map(Value::Array),
    ]
}

/// A plausible challenge completion.
fn structured_json(known: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::option::of(prop::sample::select(known)),
        proptest::option::of(prop::sample::select(vec![
            "111111",
            "000000",
            "abcdefabcdef",
            "12345",
        ])),
        proptest::option::of(prop::sample::subsequence(
            vec!["user", "admin", "internal", "auth"],
            0..4,
        )),
    )
        .prop_map(|(c, code, scopes)| {
            let mut o = serde_json::Map::new();
            if let Some(c) = c {
                o.insert("challenge".into(), c.into());
            }
            if let Some(code) = code {
                o.insert("code".into(), code.into());
            }
            if let Some(s) = scopes {
                o.insert("scopes".into(), s.into());
            }
            Value::Object(o).to_string().into_bytes()
        })
}

fn json_body(known: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let k = known.clone();
    let structured = structured_json(known.clone());
    let object = move || {
        let key = prop_oneof![
            prop::sample::select(vec!["challenge", "code", "scopes"]).prop_map(str::to_owned),
            "[a-z]{0,6}",
        ];
        prop::collection::vec((key, json_leaf(k.clone())), 0..5).prop_map(|kv| {
            Value::Object(kv.into_iter().collect())
                .to_string()
                .into_bytes()
        })
    };
    prop_oneof![
        6 => structured,
        3 => object(),
        1 => json_leaf(known).prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..120),
        2 => (object(), prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)).prop_map(|(b, e)| mutate(b, e)),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(Some("application/x-www-form-urlencoded".to_owned())),
        3 => Just(Some("application/json".to_owned())),
        1 => Just(None),
        1 => prop::sample::select(vec![
            "text/plain",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded; charset=UTF-8",
            "multipart/form-data; boundary=x",
            "application/vnd.api+json",
        ])
        .prop_map(|s| Some(s.to_owned())),
        1 => "[a-z/+.;= -]{0,30}".prop_map(Some),
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => Just("?version=v1".to_owned()),
        1 => Just("?version=v2".to_owned()),
        1 => "[a-z0-9%]{0,5}".prop_map(|v| format!("?version={v}")),
        1 => "[a-z0-9=&%]{0,20}".prop_map(|q| format!("?{q}")),
    ]
}

fn case(known: Vec<String>) -> impl Strategy<Value = Case> {
    let route = prop::sample::select(vec![
        (Method::POST, "/token"),
        (Method::PUT, "/token"),
        (Method::POST, "/token/challenge"),
    ]);
    (
        route,
        query(),
        any::<bool>(),
        content_type(),
        prop::bool::weighted(0.15),
        form_body(known.clone()),
        json_body(known),
    )
        .prop_map(
            |((method, path), query, expected_ct, content_type, swap, form, json)| {
                let json_route = path == "/token/challenge";
                // Mostly the body kind the route expects, sometimes the other.
                let body = if json_route != swap { json } else { form };
                // Half the time the media type the route expects, else anything.
                let content_type = match (expected_ct, json_route) {
                    (true, true) => Some("application/json".to_owned()),
                    (true, false) => Some("application/x-www-form-urlencoded".to_owned()),
                    (false, _) => content_type,
                };
                Case {
                    method,
                    path,
                    query,
                    content_type,
                    body,
                }
            },
        )
}

#[test]
fn random_bodies_get_documented_answers() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(
            MockServer::builder()
                .user(User::new(ALICE, PW).accounts([1, 2]))
                .user(
                    User::new(BOB, PW)
                        .accounts([3])
                        .mfa_code("111111")
                        .recovery_code("abcdefabcdef"),
                )
                .start(),
        )
        .unwrap();
    let client = common::http_client();
    let base = server.url();

    // Real refresh tokens and challenges, so that some random requests succeed.
    let mut known = Vec::new();
    for _ in 0..40 {
        known.push(server.issue_tokens(ALICE).unwrap().refresh_token);
    }
    for _ in 0..40 {
        let r = rt.block_on(common::login(&client, &base, BOB, PW));
        known.push(common::str_field(&r.json, "challenge").to_owned());
    }

    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(known), |c| {
        let path_and_query = format!("{}{}", c.path, c.query);
        // `send` also asserts schema conformance of the response (and of
        // the request when accepted) and panics on a dropped connection.
        let r = rt.block_on(send(
            &client,
            &base,
            c.method.clone(),
            &path_and_query,
            c.content_type.as_deref(),
            c.body.clone(),
        ));
        prop_assert!(
            [200, 400, 401, 403, 422].contains(&r.status),
            "status {} for {:?}",
            r.status,
            c
        );
        spec().assert_response(&c.method, c.path, r.status, &r.json);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let n = server.counters();
    assert!(n.total_requests >= 300);
    // The generators reach both success and failure paths.
    assert!(n.failed > 0);
    assert!(n.tokens_issued > 40, "{n:?}");
    assert!(n.put_refreshes > 0 && n.challenge_completions > 0);
}
