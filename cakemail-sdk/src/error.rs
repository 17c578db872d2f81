//! The SDK's error type: typed, with the HTTP status, and free of secrets.

use reqwest::StatusCode;

use crate::redact;
use crate::secret::SecretString;
use crate::types;

/// Everything that can go wrong calling Cakemail through this SDK.
///
/// No variant's `Debug` or `Display` contains a password, token, MFA code or
/// challenge: bodies appear only as bounded excerpts with secret values masked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cakemail answered with a status its document lists as an error
    /// (400, 401, 403, 422), and the body decoded.
    #[error("Cakemail answered {status}: {}", summary(body))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The decoded FastAPI-style body (`detail[]` with `msg`, `type`, `loc`, `code`).
        body: types::HttpError,
    },
    /// A status the document does not list (a 502 from a proxy, say).
    #[error("unexpected HTTP status {status}; body starts: {excerpt}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The start of the body, secrets masked.
        excerpt: String,
    },
    /// A response whose body is not what the document says.
    #[error("invalid response body{}: {reason}; body starts: {excerpt}", status_suffix(*status))]
    InvalidBody {
        /// The HTTP status, when known.
        status: Option<StatusCode>,
        /// Why it could not be decoded.
        reason: String,
        /// The start of the body, secrets masked.
        excerpt: String,
    },
    /// A response body larger than the configured limit; it was not read.
    #[error("response body of status {status} exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The HTTP status.
        status: StatusCode,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The server could not be reached, timed out, or dropped the connection.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The request was refused before sending: a value failed validation.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The account needs a second factor: finish the login with
    /// [`TokenManager::complete_mfa`](crate::auth::TokenManager::complete_mfa).
    #[error("multi-factor authentication required")]
    MfaRequired(MfaChallenge),
    /// No credentials can produce a token (none given, or only a rejected one).
    #[error("not authenticated: {0}")]
    NotAuthenticated(String),
    /// Bad configuration: an environment variable, a base URL, plain HTTP to a remote host.
    #[error("configuration error: {0}")]
    Config(String),
    /// A login or refresh failed (the cause inside); every caller that was
    /// waiting for it gets this. The next call tries again.
    #[error("could not obtain a token: {0}")]
    Refresh(std::sync::Arc<Error>),
}

/// An MFA challenge returned by a password login, to be completed with a code.
#[derive(Clone)]
pub struct MfaChallenge {
    pub(crate) challenge: SecretString,
}

impl MfaChallenge {
    /// Wraps a challenge string received from Cakemail.
    pub fn new(challenge: SecretString) -> Self {
        Self { challenge }
    }

    /// The challenge identifier itself.
    pub fn expose_secret(&self) -> &str {
        self.challenge.expose_secret()
    }
}

impl std::fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaChallenge([redacted])")
    }
}

impl Error {
    /// The HTTP status behind this error, if a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::BodyTooLarge { status, .. } => Some(*status),
            Error::InvalidBody { status, .. } => *status,
            Error::Transport(e) => e.status(),
            Error::Refresh(inner) => inner.status(),
            _ => None,
        }
    }

    /// Converts an error of a generated operation, reading at most a bounded
    /// excerpt of an unexpected response's body.
    ///
    /// Works for clients generated elsewhere on the SDK's runtime too: any
    /// documented error body is read as the FastAPI shape of [`types::HttpError`].
    pub async fn from_generated<E: serde::Serialize>(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::ErrorResponse(rv) => {
                let status = rv.status();
                let body = rv.into_inner();
                let value = serde_json::to_value(&body).unwrap_or_default();
                match serde_json::from_value::<types::HttpError>(value.clone()) {
                    Ok(body) => Error::Api { status, body },
                    Err(_) => Error::UnexpectedStatus {
                        status,
                        excerpt: redact::excerpt(value.to_string().as_bytes()),
                    },
                }
            }
            E::UnexpectedResponse(response) => {
                let status = response.status();
                // The runtime already buffered (and bounded) the body.
                let body = response.bytes().await.unwrap_or_default();
                Error::UnexpectedStatus {
                    status,
                    excerpt: redact::excerpt(&body),
                }
            }
            E::InvalidResponsePayload(bytes, e) => Error::InvalidBody {
                status: None,
                reason: redact::reason(&e.to_string()),
                excerpt: redact::excerpt(&bytes),
            },
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                Error::Transport(e)
            }
            E::InvalidRequest(message) => Error::InvalidRequest(message),
            E::Custom(message) => crate::runtime::Defect::decode(&message).unwrap_or_else(|| {
                if message.starts_with(crate::runtime::AUTH_FAILED) {
                    Error::NotAuthenticated(message)
                } else {
                    Error::Config(message)
                }
            }),
        }
    }
}

fn summary(body: &types::HttpError) -> String {
    let messages: Vec<&str> = body.detail.iter().map(|d| d.msg.as_str()).collect();
    if messages.is_empty() {
        "no detail".to_string()
    } else {
        // Server text could echo what it was sent.
        redact::excerpt(messages.join("; ").as_bytes())
    }
}

fn status_suffix(status: Option<StatusCode>) -> String {
    status.map(|s| format!(" (status {s})")).unwrap_or_default()
}
