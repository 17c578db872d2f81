//! Fault injection, observed from a reqwest client.

mod common;

use std::time::Duration;

use cakemail_mock::{Fault, MockServer, StatusCode, User, header};
use common::*;
use serde_json::Value;

const ALICE: &str = "alice@example.com";
const PW: &str = "pw";

async fn server() -> MockServer {
    MockServer::builder()
        .user(User::new(ALICE, PW).accounts([1]))
        .start()
        .await
        .unwrap()
}

fn login_req(c: &reqwest::Client, s: &MockServer) -> reqwest::RequestBuilder {
    c.post(format!("{}/token", s.url())).form(&[
        ("grant_type", "password"),
        ("username", ALICE),
        ("password", PW),
    ])
}

#[tokio::test]
async fn latency_then_normal_response() {
    let s = server().await;
    s.push_fault(Fault::Latency(Duration::from_millis(20)));
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let n = s.counters();
    assert_eq!((n.faults_injected, n.tokens_issued, n.failed), (1, 1, 0));
}

#[tokio::test]
async fn latency_beyond_client_timeout() {
    let s = server().await;
    s.push_fault(Fault::Latency(Duration::from_secs(60)));
    let c = common::http_client_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = login_req(&c, &s).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn status_faults() {
    let s = server().await;
    let c = common::http_client();
    s.script([
        Fault::too_many_requests(7),
        Fault::status(StatusCode::INTERNAL_SERVER_ERROR),
        Fault::bad_gateway_html(),
        Fault::status(StatusCode::SERVICE_UNAVAILABLE),
    ]);
    assert_eq!(s.pending_faults(), 4);

    let r = login_req(&c, &s).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()[header::RETRY_AFTER], "7");
    assert_eq!(
        r.json::<Value>().await.unwrap()["detail"],
        "Too Many Requests"
    );

    let r = login_req(&c, &s).send().await.unwrap();
    assert_eq!(r.status(), 500);

    let r = login_req(&c, &s).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html");
    assert!(r.text().await.unwrap().contains("Bad Gateway"));

    let r = login_req(&c, &s).send().await.unwrap();
    assert_eq!(r.status(), 503);

    // Script exhausted: normal service, and the faulted requests issued nothing.
    let r = login_req(&c, &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let n = s.counters();
    assert_eq!(n.total_requests, 5);
    assert_eq!(n.password_grants, 5);
    assert_eq!(n.faults_injected, 4);
    assert_eq!(n.failed, 4);
    assert_eq!(n.tokens_issued, 1);
    let recs = s.requests();
    assert_eq!(recs[0].fault, Some("status"));
    assert_eq!(recs[0].status, Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(recs[4].fault, None);
}

#[tokio::test]
async fn custom_status_fault_with_headers() {
    let s = server().await;
    let mut headers = cakemail_mock::HeaderMap::new();
    headers.insert("x-custom", "1".parse().unwrap());
    s.push_fault(Fault::Status {
        status: StatusCode::IM_A_TEAPOT,
        headers,
        body: "short and stout".into(),
    });
    let r = reqwest::get(format!("{}/anything", s.url())).await.unwrap();
    assert_eq!(r.status(), 418);
    assert_eq!(r.headers()["x-custom"], "1");
    assert_eq!(r.text().await.unwrap(), "short and stout");
}

#[tokio::test]
async fn malformed_json() {
    let s = server().await;
    s.push_fault(Fault::MalformedJson);
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    let err = r.json::<Value>().await.unwrap_err();
    assert!(err.is_decode(), "{err}");
}

#[tokio::test]
async fn wrong_content_type() {
    let s = server().await;
    s.push_fault(Fault::WrongContentType);
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().starts_with("<!DOCTYPE html>"));
}

#[tokio::test]
async fn truncated_body() {
    let s = server().await;
    s.push_fault(Fault::TruncatedBody);
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let announced: usize = r.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 0);
    let err = r.bytes().await.unwrap_err();
    assert!(err.is_body() || err.is_decode(), "{err}");
    // The server still works for the next client.
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn close_mid_response() {
    let s = server().await;
    s.push_fault(Fault::CloseMidResponse);
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let err = r.bytes().await.unwrap_err();
    assert!(err.is_body() || err.is_decode(), "{err}");
    assert_eq!(s.last_request().unwrap().fault, Some("close_mid_response"));
}

#[tokio::test]
async fn close_before_response() {
    let s = server().await;
    s.push_fault(Fault::CloseBeforeResponse);
    let err = login_req(&common::http_client(), &s)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err}");
    let rec = s.last_request().unwrap();
    assert_eq!(rec.status, None);
    assert_eq!(rec.fault, Some("close_before_response"));
    let n = s.counters();
    assert_eq!(
        (
            n.total_requests,
            n.password_grants,
            n.failed,
            n.tokens_issued
        ),
        (1, 1, 1, 0)
    );
}

#[tokio::test]
async fn large_body_streams() {
    let s = server().await;
    let n: u64 = 8 * 1024 * 1024 + 3;
    s.push_fault(Fault::LargeBody(n));
    let mut r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(n));
    let mut total = 0u64;
    let mut first = None;
    let mut last = 0u8;
    while let Some(chunk) = r.chunk().await.unwrap() {
        if first.is_none() {
            first = Some(chunk[..9].to_vec());
        }
        total += chunk.len() as u64;
        last = *chunk.last().unwrap();
    }
    assert_eq!(total, n);
    assert_eq!(first.as_deref(), Some(&b"{\"data\":\""[..]));
    assert_eq!(last, b'}');
}

#[tokio::test]
async fn huge_body_is_not_buffered() {
    // 64 GiB: more than this machine's memory, so only a streaming server
    // can start sending it.
    let s = server().await;
    s.push_fault(Fault::LargeBody(64 << 30));
    let mut r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.content_length(), Some(64 << 30));
    let mut read = 0usize;
    while read < 1 << 20 {
        read += r.chunk().await.unwrap().unwrap().len();
    }
    drop(r);
    let r = login_req(&common::http_client(), &s).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn path_restricted_faults_and_fifo() {
    let s = server().await;
    let c = common::http_client();
    s.script([
        Fault::status(StatusCode::BAD_GATEWAY).on_path("/token/challenge"),
        Fault::status(StatusCode::SERVICE_UNAVAILABLE).into(),
        Fault::status(StatusCode::INTERNAL_SERVER_ERROR).on_path("/token"),
    ]);
    // /token skips the challenge-only fault and takes the next matching ones, in order.
    assert_eq!(login_req(&c, &s).send().await.unwrap().status(), 503);
    assert_eq!(login_req(&c, &s).send().await.unwrap().status(), 500);
    assert_eq!(login_req(&c, &s).send().await.unwrap().status(), 200);
    assert_eq!(s.pending_faults(), 1);
    let r = c
        .post(format!("{}/token/challenge", s.url()))
        .json(&serde_json::json!({"challenge": "x", "code": "123456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    s.push_fault(Fault::MalformedJson);
    s.clear_faults();
    assert_eq!(s.pending_faults(), 0);
    assert_eq!(login_req(&c, &s).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn faults_do_not_consume_refresh_tokens() {
    let s = server().await;
    let c = common::http_client();
    let tokens = login(&c, &s.url(), ALICE, PW).await.json;
    let rt = str_field(&tokens, "refresh_token");
    s.push_fault(Fault::CloseMidResponse.on_path("/token"));
    let r = c
        .post(format!("{}/token", s.url()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());
    let r = post_form(
        &c,
        &s.url(),
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(s.counters().refresh_grants, 2);
}
