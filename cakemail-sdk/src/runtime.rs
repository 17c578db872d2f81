//! What runs around every generated operation: bearer injection, retries with
//! backoff, the replay after a 401, and bounded response bodies.
//!
//! The generated client calls [`Runtime::pre`], [`Runtime::exec`] and
//! [`Runtime::post`] from its `ClientHooks` implementation (emitted by
//! cakemail-codegen), so any operation added to the document gets all of this
//! with no hand-written code.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use progenitor_client::{Error as GenError, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};

use crate::auth::TokenManager;
use crate::error::Error;
use crate::redact;

/// Transport settings. Every field has a documented default.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Retries after the first attempt. Default 3.
    pub max_retries: u32,
    /// First backoff delay; doubles each retry, with full jitter. Default 200 ms.
    pub backoff_base: Duration,
    /// Longest backoff delay. Default 5 s.
    pub backoff_cap: Duration,
    /// Longest wait a `Retry-After` header may ask for; longer asks are not
    /// retried. Default 30 s.
    pub retry_after_cap: Duration,
    /// Largest response body read; larger ones fail with
    /// [`Error::BodyTooLarge`] without being read. Default 4 MiB.
    pub max_body_bytes: u64,
    /// Allow credentials over plain `http://` to hosts other than loopback. Default false.
    pub allow_insecure_http: bool,
    /// No retry starts once this much time has passed since the first
    /// attempt, so a request takes at most about this plus one attempt's
    /// timeout. Default 60 s.
    pub retry_deadline: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
            retry_after_cap: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
            allow_insecure_http: false,
            retry_deadline: Duration::from_secs(60),
        }
    }
}

/// The state the generated client carries: transport settings and, for an
/// authenticated client, the token manager.
#[derive(Clone, Default)]
pub struct Runtime {
    pub(crate) config: Arc<TransportConfig>,
    pub(crate) auth: Option<TokenManager>,
    /// Set on the token manager's own client: where an MFA challenge sent
    /// with a 401 (as createToken's description has it) is kept, since the
    /// generated error type has no field for it.
    pub(crate) challenge_slot: Option<ChallengeSlot>,
}

/// Holds a challenge found in a 401 answer to createToken.
pub(crate) type ChallengeSlot = Arc<std::sync::Mutex<Option<crate::SecretString>>>;

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("authenticated", &self.auth.is_some())
            .finish()
    }
}

/// How a failure to obtain a token in [`Runtime::pre`] starts its message.
pub(crate) const AUTH_FAILED: &str = "authentication failed";

/// Statuses worth another attempt; 401 is the auth layer's, the other 4xx are final.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl Runtime {
    /// A runtime with these transport settings and no authentication.
    pub fn new(config: TransportConfig) -> Self {
        Self {
            config: Arc::new(config),
            auth: None,
            challenge_slot: None,
        }
    }

    /// The transport settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn needs_bearer(&self, info: &OperationInfo, bearer_operations: &[&str]) -> bool {
        self.auth.is_some() && bearer_operations.contains(&info.operation_id)
    }

    /// Before sending: refuse plain HTTP to remote hosts, attach the bearer
    /// token where the document asks for one.
    pub async fn pre<E>(
        &self,
        request: &mut Request,
        info: &OperationInfo,
        bearer_operations: &[&str],
    ) -> Result<(), GenError<E>> {
        check_transport_security(request.url(), self.config.allow_insecure_http)
            .map_err(|e| GenError::Custom(e.to_string()))?;
        if self.needs_bearer(info, bearer_operations)
            && let Some(auth) = &self.auth
        {
            let token = auth
                .access_token_boxed()
                .await
                .map_err(|e| GenError::Custom(format!("{AUTH_FAILED}: {e}")))?;
            set_bearer(request, &token).map_err(|e| GenError::Custom(e.to_string()))?;
        }
        Ok(())
    }

    /// Sends with retries, replays once after a 401 with a fresh token, and
    /// buffers the body up to the configured limit.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        request: Request,
        info: &OperationInfo,
        bearer_operations: &[&str],
    ) -> reqwest::Result<Response> {
        let bearer = self.needs_bearer(info, bearer_operations);
        let mut request = request;
        let mut attempt: u32 = 0;
        let mut replayed = false;
        let started = std::time::Instant::now();
        loop {
            // Only kept when a second attempt is possible; a body that cannot
            // be cloned (a stream) gets exactly one attempt.
            let may_resend = attempt < self.config.max_retries || (bearer && !replayed);
            let retry_copy = if may_resend {
                request.try_clone()
            } else {
                None
            };
            let result = match client.execute(request).await {
                Ok(response) => self.buffer(response).await,
                Err(e) => Err(e),
            };
            tracing::debug!(
                operation = info.operation_id,
                attempt = attempt + 1,
                status = result.as_ref().ok().map(|r| r.status().as_u16()),
                error = result.as_ref().err().map(|e| e.to_string()),
                "attempt finished"
            );
            if let (Ok(response), Some(slot)) = (&result, &self.challenge_slot) {
                keep_challenge(response, info, slot);
            }
            let Some(mut next) = retry_copy else {
                return result;
            };
            // What the server asked to wait (Retry-After), if anything.
            let asked_delay = match &result {
                Ok(response)
                    if response.status() == StatusCode::UNAUTHORIZED && bearer && !replayed =>
                {
                    replayed = true;
                    if let Some(auth) = &self.auth {
                        let used = next.headers().get(AUTHORIZATION).cloned();
                        match auth.refresh_after_unauthorized(used.as_ref()).await {
                            Ok(token) if set_bearer(&mut next, &token).is_ok() => {
                                tracing::debug!(
                                    operation = info.operation_id,
                                    "401: replaying with a refreshed token"
                                );
                                request = next;
                                continue;
                            }
                            _ => return result,
                        }
                    }
                    return result;
                }
                Ok(response) if is_retryable_status(response.status()) => {
                    match retry_after(response, self.config.retry_after_cap) {
                        RetryAfter::TooLong => return result,
                        RetryAfter::Wait(d) => Some(d),
                        RetryAfter::Absent => None,
                    }
                }
                Ok(_) => return result,
                Err(e) if is_retryable_error(e) => None,
                Err(_) => return result,
            };
            if attempt >= self.config.max_retries {
                return result;
            }
            attempt += 1;
            let delay = asked_delay.unwrap_or_else(|| backoff(&self.config, attempt));
            if started.elapsed() + delay > self.config.retry_deadline {
                tracing::info!(
                    operation = info.operation_id,
                    attempt,
                    "retry deadline reached; giving up"
                );
                return result;
            }
            tracing::info!(
                operation = info.operation_id,
                attempt,
                status = result.as_ref().ok().map(|r| r.status().as_u16()),
                error = result.as_ref().err().map(|e| e.to_string()),
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(delay).await;
            request = next;
        }
    }

    /// After receiving: turn what [`exec`](Self::exec) found wrong with the
    /// body into an error that carries the status.
    // The error type is progenitor's, as the hook signature requires.
    #[allow(clippy::result_large_err)]
    pub fn post<E>(
        &self,
        result: &reqwest::Result<Response>,
        _info: &OperationInfo,
    ) -> Result<(), GenError<E>> {
        if let Ok(response) = result
            && let Some(defect) = response.extensions().get::<Defect>()
        {
            return Err(GenError::Custom(defect.encode()));
        }
        Ok(())
    }

    /// Reads the body into memory, refusing more than the limit, and checks
    /// that a success body is JSON at all.
    async fn buffer(&self, response: Response) -> reqwest::Result<Response> {
        use http_body_util::{BodyExt, Limited};
        use reqwest::ResponseBuilderExt;

        let limit = self.config.max_body_bytes;
        let status = response.status();
        let url = response.url().clone();
        let oversized = response.content_length().is_some_and(|n| n > limit);
        let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
        // Keep the URL, and move (not copy) the headers into the new response.
        let mut rebuilt = http::Response::builder()
            .status(status)
            .version(parts.version)
            .url(url);
        if let Some(headers) = rebuilt.headers_mut() {
            *headers = parts.headers;
        }
        let too_large = Defect::TooLarge { status, limit };
        if oversized {
            return Ok(with_defect(rebuilt, Bytes::new(), too_large));
        }
        // Reads no more than the limit; dropping the rest closes the connection.
        let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
        let body = match limited.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => match e.downcast::<reqwest::Error>() {
                Ok(read_error) => return Err(*read_error),
                Err(_) => return Ok(with_defect(rebuilt, Bytes::new(), too_large)),
            },
        };
        if status.is_success()
            && let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body)
        {
            let defect = Defect::Malformed {
                status,
                reason: redact::reason(&e.to_string()),
                excerpt: redact::excerpt(&body),
            };
            return Ok(with_defect(rebuilt, body, defect));
        }
        if status == StatusCode::UNAUTHORIZED {
            rebuilt = rebuilt.extension(BufferedBody(body.clone()));
        }
        Ok(match rebuilt.body(body) {
            Ok(response) => Response::from(response),
            Err(_) => Response::from(http::Response::new(Bytes::new())),
        })
    }
}

/// A 401 to createToken may carry `challenge` beside `detail`: keep it.
fn keep_challenge(response: &Response, info: &OperationInfo, slot: &ChallengeSlot) {
    if response.status() != StatusCode::UNAUTHORIZED || info.operation_id != "create_token" {
        return;
    }
    // The body is already buffered; peek without consuming it.
    #[derive(serde::Deserialize)]
    struct WithChallenge {
        challenge: crate::SecretString,
    }
    let Some(body) = response.extensions().get::<BufferedBody>() else {
        return;
    };
    if let Ok(found) = serde_json::from_slice::<WithChallenge>(&body.0)
        && let Ok(mut slot) = slot.lock()
    {
        *slot = Some(found.challenge);
    }
}

/// A copy of the buffered body, for hooks that must look at it.
#[derive(Clone)]
struct BufferedBody(Bytes);

fn with_defect(builder: http::response::Builder, body: Bytes, defect: Defect) -> Response {
    let builder = builder.extension(defect.clone());
    match builder.body(body) {
        Ok(response) => Response::from(response),
        Err(_) => {
            let mut response = http::Response::new(Bytes::new());
            response.extensions_mut().insert(defect);
            Response::from(response)
        }
    }
}

fn set_bearer(request: &mut Request, token: &crate::SecretString) -> Result<(), Error> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::NotAuthenticated("the access token is not a valid header value".into())
        })?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// Refuses plain HTTP to anything but loopback unless explicitly allowed:
/// every Token API request carries a password or a token.
pub fn check_transport_security(url: &reqwest::Url, allow_insecure: bool) -> Result<(), Error> {
    if url.scheme() == "https" || allow_insecure {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && loopback {
        return Ok(());
    }
    Err(Error::Config(format!(
        "refusing to send credentials over {}:// to {}; use https, or allow_insecure_http(true) on the builder",
        url.scheme(),
        url.host_str().unwrap_or("?")
    )))
}

fn is_retryable_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()
}

enum RetryAfter {
    Absent,
    Wait(Duration),
    TooLong,
}

/// `Retry-After` as seconds or an HTTP date, capped.
fn retry_after(response: &Response, cap: Duration) -> RetryAfter {
    let Some(value) = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
    else {
        return RetryAfter::Absent;
    };
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else if let Ok(when) = httpdate::parse_http_date(value) {
        when.duration_since(SystemTime::now()).unwrap_or_default()
    } else {
        return RetryAfter::Absent;
    };
    if wait > cap {
        RetryAfter::TooLong
    } else {
        RetryAfter::Wait(wait)
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, base·2^(n-1))].
pub fn backoff(config: &TransportConfig, attempt: u32) -> Duration {
    let exp = config.backoff_base.saturating_mul(
        1u32.checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX),
    );
    let ceiling = exp.min(config.backoff_cap);
    ceiling.mul_f64(jitter())
}

// A uniform value in [0, 1) without a random-number dependency: std's
// per-process random hasher keys, mixed with a counter.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What [`Runtime::exec`] found wrong with a response it received, carried
/// to [`Runtime::post`] in the response's extensions.
#[derive(Debug, Clone)]
pub(crate) enum Defect {
    TooLarge {
        status: StatusCode,
        limit: u64,
    },
    Malformed {
        status: StatusCode,
        reason: String,
        excerpt: String,
    },
}

// progenitor's hooks can only return `Error::Custom(String)`: the defect
// travels as a tagged string and becomes a typed error again in
// `Error::from_generated`. The text is readable on its own too.
const TAG_TOO_LARGE: &str = "cakemail-sdk/too-large";
const TAG_MALFORMED: &str = "cakemail-sdk/malformed";

impl Defect {
    pub(crate) fn encode(&self) -> String {
        match self {
            Defect::TooLarge { status, limit } => {
                format!(
                    "{TAG_TOO_LARGE} {} {limit}: response body exceeds the limit",
                    status.as_u16()
                )
            }
            Defect::Malformed {
                status,
                reason,
                excerpt,
            } => {
                format!("{TAG_MALFORMED} {}: {reason}\n{excerpt}", status.as_u16())
            }
        }
    }

    pub(crate) fn decode(message: &str) -> Option<Error> {
        if let Some(rest) = message.strip_prefix(TAG_TOO_LARGE) {
            let mut words = rest.split([' ', ':']).filter(|w| !w.is_empty());
            let status = StatusCode::from_u16(words.next()?.parse().ok()?).ok()?;
            let limit = words.next()?.parse().ok()?;
            return Some(Error::BodyTooLarge { status, limit });
        }
        let rest = message.strip_prefix(TAG_MALFORMED)?.trim_start();
        let (status, rest) = rest.split_once(": ")?;
        let (reason, excerpt) = rest.split_once('\n').unwrap_or((rest, ""));
        Some(Error::InvalidBody {
            status: StatusCode::from_u16(status.parse().ok()?).ok(),
            reason: reason.to_string(),
            excerpt: excerpt.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defects_round_trip_through_the_hook_string() {
        let d = Defect::Malformed {
            status: StatusCode::OK,
            reason: "EOF while parsing".into(),
            excerpt: "{\"access_token\": \"[redacted]".into(),
        };
        match Defect::decode(&d.encode()) {
            Some(Error::InvalidBody {
                status,
                reason,
                excerpt,
            }) => {
                assert_eq!(status, Some(StatusCode::OK));
                assert_eq!(reason, "EOF while parsing");
                assert!(excerpt.contains("[redacted]"));
            }
            other => panic!("{other:?}"),
        }
        let d = Defect::TooLarge {
            status: StatusCode::OK,
            limit: 10,
        };
        assert!(matches!(
            Defect::decode(&d.encode()),
            Some(Error::BodyTooLarge { limit: 10, .. })
        ));
        assert!(Defect::decode("something else").is_none());
    }

    #[test]
    fn backoff_stays_under_the_cap() {
        let config = TransportConfig::default();
        for attempt in 1..40 {
            assert!(backoff(&config, attempt) <= config.backoff_cap);
        }
        assert!(backoff(&config, 1) <= config.backoff_base);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let ok = |u: &str| check_transport_security(&u.parse().unwrap(), false).is_ok();
        assert!(ok("https://api.cakemail.dev"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://[::1]:1"));
        assert!(ok("http://localhost:3000"));
        assert!(!ok("http://api.cakemail.dev"));
        assert!(!ok("http://10.0.0.1"));
        assert!(check_transport_security(&"http://example.com".parse().unwrap(), true).is_ok());
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
    }
}
