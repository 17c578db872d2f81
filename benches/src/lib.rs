//! Shared pieces of the cakemail-sdk benchmarks: a fixed-answer HTTP server,
//! the SDK's `create_token` call and its hand-written reqwest equivalent.
//!
//! The benchmarks themselves are in `benches/` (see README.md). Nothing here
//! asserts a timing; the only checks are that both calls put the same request
//! on the wire and get a token back.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

use cakemail_sdk::{SecretString, types};

/// The user both clients log in as.
pub const USER: &str = "alice@example.com";
/// Its password: characters that form encoding must escape, as in the tests.
pub const PASSWORD: &str = "p&ss=w+rd% é ünï😀";
/// The `api-version` header the generated client sends (the document's
/// `info.version`); the hand-written call sends it too so the two requests
/// are byte-identical on the wire.
pub const API_VERSION: &str = "1.18.25";

/// What the fixed server answers to every request: a TokenResponse shaped
/// and sized like the mock's.
pub const TOKEN_JSON: &str = concat!(
    r#"{"access_token":"cmk_at_000001_4f1c2a9b8e7d6c5b4a39281706f5e4d3","#,
    r#""token_type":"bearer","expires_in":3600,"#,
    r#""refresh_token":"cmk_rt_000001_9a8b7c6d5e4f30211f2e3d4c5b6a7988","#,
    r#""accounts":[1,2]}"#
);

/// One request as the fixed server saw it (only while recording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Method, path and query.
    pub target: String,
    /// Header names and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// A minimal HTTP/1.1 server (keep-alive on) that answers every request with
/// [`TOKEN_JSON`], on its own OS thread and single-threaded runtime so that
/// the client being measured has the other core to itself.
pub struct FixedServer {
    addr: SocketAddr,
    recording: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    // Dropping the sender stops the accept loop; the thread then ends.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FixedServer {
    /// Binds 127.0.0.1:0 and starts serving.
    pub fn start() -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let recording = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (rec, log) = (recording.clone(), seen.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("fixed-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    loop {
                        let stream = tokio::select! {
                            _ = &mut stopped => return,
                            accepted = listener.accept() => match accepted {
                                Ok((stream, _)) => stream,
                                Err(_) => continue,
                            },
                        };
                        let _ = stream.set_nodelay(true);
                        let (rec, log) = (rec.clone(), log.clone());
                        tokio::spawn(async move {
                            let service =
                                service_fn(move |req| answer(req, rec.clone(), log.clone()));
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                });
            })?;
        Ok(Self {
            addr,
            recording,
            seen,
            _stop: stop,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts or stops recording requests (off by default: it costs).
    pub fn record(&self, on: bool) {
        self.recording.store(on, Ordering::SeqCst);
    }

    /// The recorded requests, emptying the log.
    pub fn take_seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

async fn answer(
    req: Request<Incoming>,
    recording: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    // Read the whole body, as any real server must before reusing the connection.
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if recording.load(Ordering::Relaxed) {
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        if let Ok(mut log) = seen.lock() {
            log.push(Seen {
                target: format!("{} {}", parts.method, parts.uri),
                headers,
                body: body.to_vec(),
            });
        }
    }
    let mut response = Response::new(Full::new(Bytes::from_static(TOKEN_JSON.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The one `reqwest::Client` configuration both sides use.
pub fn http_client() -> reqwest::Client {
    // The SDK builds reqwest without a TLS provider; install its choice.
    cakemail_sdk::install_crypto_provider();
    reqwest::Client::builder()
        .build()
        .expect("reqwest client builds")
}

/// An SDK client without credentials on `http` (retries are irrelevant: every
/// answer is a 200).
pub fn sdk_client(base_url: &str, http: reqwest::Client) -> cakemail_sdk::Client {
    cakemail_sdk::Client::new_with_client(base_url, http)
}

/// `POST /token` through the SDK; returns the access token's length so the
/// work cannot be optimised away.
pub async fn sdk_create_token(client: &cakemail_sdk::Client) -> Result<usize, String> {
    let response = client
        .create_token()
        .body_map(|b| {
            b.username(USER.to_string())
                .password(SecretString::from(PASSWORD))
        })
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.into_inner() {
        types::CreateTokenResponse::TokenResponse(token) => {
            Ok(token.access_token.expose_secret().len())
        }
        types::CreateTokenResponse::ChallengeResponse(_) => Err("unexpected MFA challenge".into()),
    }
}

/// The login form a hand-written client would send, in the SDK's field order
/// (so both bodies are byte-identical).
#[derive(Serialize)]
pub struct LoginForm<'a> {
    grant_type: &'a str,
    password: &'a str,
    scopes: &'a str,
    username: &'a str,
}

/// The hand-written equivalent of the generated `TokenResponse`.
#[derive(Debug, Deserialize)]
pub struct HandToken {
    /// The bearer token.
    pub access_token: String,
    /// Account ids.
    pub accounts: Vec<i64>,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// The refresh token.
    pub refresh_token: String,
    /// `bearer`.
    pub token_type: String,
}

/// `POST /token` written by hand with reqwest: same URL, headers and form,
/// body read whole, status checked, JSON parsed into [`HandToken`].
pub async fn hand_create_token(http: &reqwest::Client, base_url: &str) -> Result<usize, String> {
    let form = LoginForm {
        grant_type: "password",
        password: PASSWORD,
        scopes: "user",
        username: USER,
    };
    let response = http
        .post(format!("{base_url}/token"))
        .header(reqwest::header::ACCEPT, "application/json")
        // In the generated client's order, so the header blocks match byte for byte.
        .form(&form)
        .header("api-version", API_VERSION)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if hand_parses_enum() {
        // What a hand-written client that also handles MFA would decode: the
        // same two shapes the SDK's CreateTokenResponse enum tells apart.
        return match serde_json::from_slice::<HandAnswer>(&body).map_err(|e| e.to_string())? {
            HandAnswer::Token(token) => Ok(token.access_token.len()),
            HandAnswer::Challenge { challenge } => Ok(challenge.len()),
        };
    }
    let token: HandToken = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok(token.access_token.len())
}

/// A token or an MFA challenge, as a hand-written MFA-aware client would
/// decode createToken's answer.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum HandAnswer {
    /// Tokens.
    Token(HandToken),
    /// An MFA challenge.
    Challenge {
        /// The challenge id.
        challenge: String,
    },
}

/// `BENCH_HAND_PARSE=enum` makes the hand-written side decode into
/// [`HandAnswer`] (same shapes as the SDK) instead of a plain struct.
pub fn hand_parses_enum() -> bool {
    static MODE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| std::env::var("BENCH_HAND_PARSE").is_ok_and(|v| v == "enum"))
}

/// Sends one request each way with the server recording, and fails unless
/// both requests are identical (same target, headers and body) and both
/// calls got a token: the comparison is then of client-side code only.
pub async fn check_same_wire(
    server: &FixedServer,
    sdk: &cakemail_sdk::Client,
    http: &reqwest::Client,
) -> Result<Seen, String> {
    server.record(true);
    let a = sdk_create_token(sdk).await;
    let b = hand_create_token(http, &server.url()).await;
    server.record(false);
    a?;
    b?;
    let seen = server.take_seen();
    match seen.as_slice() {
        [s, h] if s == h => Ok(s.clone()),
        [s, h] => Err(format!("requests differ:\n SDK  {s:?}\n hand {h:?}")),
        other => Err(format!("expected 2 recorded requests, got {}", other.len())),
    }
}

/// CPU time consumed so far by the calling thread (user + system).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Shared with the integration tests.
pub use cakemail_tests::store_with;

/// Median and spread (min, max) of a sample, for the printed tables.
pub fn summary(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// A positive integer from the environment, or the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}
