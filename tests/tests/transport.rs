//! The fault matrix: every fault the local server can inject ends in a
//! successful retry or a typed error, never a panic or a hang. Also HTTPS on
//! loopback, plain-HTTP refusal, and bounded response bodies.

use std::sync::Arc;
use std::time::Duration;

use cakemail_mock::{Fault, MockServer, StatusCode};
use cakemail_sdk::auth::Credentials;
use cakemail_sdk::{Client, ClientBuilder, Error};
use cakemail_tests::{LogCapture, PASSWORD, USER, json_fault, server};

/// Fast backoff so the matrix runs quickly; the behaviour is what is tested.
fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password(USER, PASSWORD))
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .timeout(Duration::from_millis(500))
}

async fn login(client: &Client) -> Result<(), Error> {
    client
        .auth()
        .expect("auth")
        .force_refresh()
        .await
        .map(|_| ())
}

/// Unwraps the refresh wrapper the token manager puts around a failure.
fn root(error: &Error) -> &Error {
    match error {
        Error::Refresh(inner) => root(inner),
        other => other,
    }
}

#[tokio::test]
async fn transient_faults_are_retried_until_success() {
    let faults = [
        Fault::status(StatusCode::INTERNAL_SERVER_ERROR),
        Fault::status(StatusCode::BAD_GATEWAY),
        Fault::bad_gateway_html(),
        Fault::status(StatusCode::SERVICE_UNAVAILABLE),
        Fault::status(StatusCode::GATEWAY_TIMEOUT),
        Fault::status(StatusCode::REQUEST_TIMEOUT),
        Fault::too_many_requests(0),
        Fault::TruncatedBody,
        Fault::CloseMidResponse,
        Fault::CloseBeforeResponse,
        Fault::Latency(Duration::from_secs(3)),
    ];
    for fault in faults {
        let server = server().await;
        let name = format!("{fault:?}");
        server.push_fault(fault);
        let client = builder(&server).max_retries(2).build().expect("client");
        login(&client)
            .await
            .unwrap_or_else(|e| panic!("{name}: expected a successful retry, got {e}"));
        let counters = server.counters();
        assert_eq!(
            counters.password_grants, 2,
            "{name}: one faulted attempt, one good one"
        );
        assert_eq!(counters.tokens_issued, 1, "{name}");
    }
}

#[tokio::test]
async fn exhausted_retries_end_in_a_typed_error_with_the_status() {
    for status in [429u16, 500, 502, 503, 504] {
        let server = server().await;
        let status = StatusCode::from_u16(status).expect("status");
        server.script((0..3).map(|_| Fault::status(status)));
        let client = builder(&server).max_retries(2).build().expect("client");
        let error = login(&client).await.expect_err("all attempts fail");
        assert_eq!(error.status(), Some(status), "{error}");
        assert!(
            matches!(root(&error), Error::UnexpectedStatus { .. }),
            "{error:?}"
        );
        assert_eq!(
            server.counters().password_grants,
            3,
            "first attempt and two retries"
        );
    }
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400u16, 401, 403, 422] {
        let server = server().await;
        let status = StatusCode::from_u16(status).expect("status");
        server.push_fault(json_fault(
            status,
            serde_json::json!({"detail": [{"msg": "no", "type": "x", "loc": ["body"]}]})
                .to_string(),
        ));
        let client = builder(&server).max_retries(3).build().expect("client");
        let error = login(&client).await.expect_err("fails");
        assert_eq!(error.status(), Some(status));
        assert_eq!(server.counters().total_requests, 1, "{status} was retried");
    }
}

#[tokio::test]
async fn no_retry_starts_past_the_retry_deadline() {
    let server = server().await;
    server.push_fault(Fault::status(StatusCode::SERVICE_UNAVAILABLE));
    let client = builder(&server)
        .max_retries(5)
        .retry_deadline(Duration::ZERO)
        .build()
        .expect("client");
    let error = login(&client).await.expect_err("no time left to retry");
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.counters().total_requests, 1);
}

#[tokio::test]
async fn a_timeout_without_retries_is_a_typed_transport_error() {
    let server = server().await;
    server.push_fault(Fault::Latency(Duration::from_secs(5)));
    let client = builder(&server).max_retries(0).build().expect("client");
    let error = login(&client).await.expect_err("times out");
    match root(&error) {
        Error::Transport(e) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let server = server().await;
    server.push_fault(Fault::too_many_requests(3600));
    let client = builder(&server)
        .max_retries(3)
        .retry_after_cap(Duration::from_secs(1))
        .build()
        .expect("client");
    let error = login(&client).await.expect_err("429 stands");
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.counters().total_requests, 1);
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_typed_errors_with_status_and_excerpt() {
    for fault in [Fault::MalformedJson, Fault::WrongContentType] {
        let server = server().await;
        let name = format!("{fault:?}");
        server.push_fault(fault);
        let client = builder(&server).max_retries(2).build().expect("client");
        let error = login(&client).await.expect_err("bad body");
        match root(&error) {
            Error::InvalidBody {
                status, excerpt, ..
            } => {
                assert_eq!(*status, Some(StatusCode::OK), "{name}");
                assert!(
                    !excerpt.is_empty() && excerpt.chars().count() <= 201,
                    "{name}: {excerpt}"
                );
            }
            other => panic!("{name}: expected InvalidBody, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn connection_refused_is_a_typed_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .credentials(Credentials::password(USER, PASSWORD))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_retries(2)
        .build()
        .expect("client");
    let error = login(&client).await.expect_err("nothing listens");
    match root(&error) {
        Error::Transport(e) => assert!(e.is_connect(), "{e}"),
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_retry_emits_a_tracing_event_without_secrets() {
    let (capture, _guard) = LogCapture::start(tracing::Level::INFO);
    let server = server().await;
    server.script([
        Fault::status(StatusCode::SERVICE_UNAVAILABLE),
        Fault::too_many_requests(0),
    ]);
    let client = builder(&server).max_retries(3).build().expect("client");
    login(&client).await.expect("third attempt succeeds");
    let logs = capture.text();
    let retries: Vec<&str> = logs.lines().filter(|l| l.contains("retrying")).collect();
    assert_eq!(retries.len(), 2, "{logs}");
    assert!(
        retries[0].contains("operation=\"create_token\"") && retries[0].contains("attempt=1"),
        "{}",
        retries[0]
    );
    assert!(
        retries[0].contains("status=503") && retries[0].contains("delay_ms="),
        "{}",
        retries[0]
    );
    assert!(
        retries[1].contains("attempt=2") && retries[1].contains("status=429"),
        "{}",
        retries[1]
    );
    assert!(!logs.contains(PASSWORD));
}

#[tokio::test]
async fn credentials_are_refused_over_plain_http_to_remote_hosts() {
    let client = Client::builder()
        .base_url("http://api.cakemail.invalid")
        .credentials(Credentials::password(USER, PASSWORD))
        .build()
        .expect("client");
    let error = login(&client).await.expect_err("refused before sending");
    let text = error.to_string();
    assert!(
        text.contains("refusing to send credentials over http://"),
        "{text}"
    );
    assert!(matches!(root(&error), Error::Config(_)), "{error:?}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_being_read() {
    let server = server().await;
    let before = resident_kib();
    server.push_fault(Fault::LargeBody(100 * 1024 * 1024));
    let client = builder(&server)
        .max_retries(0)
        .max_body_bytes(1024 * 1024)
        .build()
        .expect("client");
    let error = login(&client).await.expect_err("too large");
    match root(&error) {
        Error::BodyTooLarge { status, limit } => {
            assert_eq!(*status, StatusCode::OK);
            assert_eq!(*limit, 1024 * 1024);
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    if let (Some(before), Some(after)) = (before, resident_kib()) {
        assert!(
            after.saturating_sub(before) < 50 * 1024,
            "memory grew by {} KiB",
            after - before
        );
    }
}

/// Resident memory of this process (Linux), to show a 100 MB body is not buffered.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Serves the mock over TLS on 127.0.0.1 with a certificate made here,
/// forwarding each decrypted connection to the plain-HTTP server.
async fn tls_front(server: &MockServer) -> (String, reqwest::Certificate) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("certificate");
    let cert_der = certified.cert.der().clone();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .expect("tls config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let backend = server.addr();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    let certificate = reqwest::Certificate::from_der(&cert_der).expect("der certificate");
    (format!("https://127.0.0.1:{}", addr.port()), certificate)
}

#[tokio::test]
async fn https_on_loopback_with_a_configured_root() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let (url, certificate) = tls_front(&server).await;
    let client = Client::builder()
        .base_url(&url)
        .credentials(Credentials::password(USER, PASSWORD))
        .add_root_certificate(certificate)
        .build()
        .expect("client");
    let info = client
        .auth()
        .expect("auth")
        .login()
        .await
        .expect("login over TLS");
    assert_eq!(info.accounts, [1, 2]);

    // Without the root, the certificate is refused: a transport error, not a panic.
    let untrusting = Client::builder()
        .base_url(&url)
        .credentials(Credentials::password(USER, PASSWORD))
        .max_retries(0)
        .build()
        .expect("client");
    let error = login(&untrusting).await.expect_err("unknown issuer");
    assert!(matches!(root(&error), Error::Transport(_)), "{error:?}");
    assert_eq!(
        server.counters().password_grants,
        1,
        "the untrusted attempt never reached the server"
    );
}
