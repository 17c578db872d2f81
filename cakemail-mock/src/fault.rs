//! Fault injection: responses that misbehave on purpose.

use std::time::Duration;

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use hyper::{HeaderMap, StatusCode};

/// A misbehaviour applied to one request instead of (or, for
/// [`Fault::Latency`], before) the normal response.
///
/// Except for `Latency`, a faulted request is recorded and counted but not
/// processed: no token is issued, rotated or consumed, so a client that
/// retries gets the normal answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long, then answers normally.
    Latency(Duration),
    /// Answers with this status, headers and body.
    Status {
        /// The status code.
        status: StatusCode,
        /// Extra response headers (e.g. `Retry-After`, `Content-Type`).
        headers: HeaderMap,
        /// The raw body.
        body: Bytes,
    },
    /// `200 application/json` whose body is not valid JSON.
    MalformedJson,
    /// `200 application/json` announcing a `Content-Length` larger than the
    /// bytes sent, then closing the connection.
    TruncatedBody,
    /// `200 text/html` with an HTML body.
    WrongContentType,
    /// Sends the status line and headers, then drops the connection.
    CloseMidResponse,
    /// Reads the request and drops the connection without answering.
    CloseBeforeResponse,
    /// `200 application/json` with a body of exactly this many bytes of
    /// JSON-looking data, generated while streaming (never held in memory).
    LargeBody(u64),
}

impl Fault {
    /// A [`Fault::Status`] with this status, a JSON content type and a
    /// FastAPI-style `{"detail": "..."}` body.
    pub fn status(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let body = serde_json::json!({ "detail": reason }).to_string();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Fault::Status {
            status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// `429 Too Many Requests` with `Retry-After: <seconds>`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Fault::status(StatusCode::TOO_MANY_REQUESTS).with_header(RETRY_AFTER, retry_after_secs)
    }

    /// `502 Bad Gateway` with an HTML body, as a proxy in front of the API
    /// would send.
    pub fn bad_gateway_html() -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        Fault::Status {
            status: StatusCode::BAD_GATEWAY,
            headers,
            body: Bytes::from_static(
                b"<html><head><title>502 Bad Gateway</title></head>\
                  <body><h1>502 Bad Gateway</h1></body></html>",
            ),
        }
    }

    /// Adds a header to a [`Fault::Status`]; other variants are unchanged.
    ///
    /// A value that is not a valid header value is ignored.
    pub fn with_header(mut self, name: HeaderName, value: impl ToString) -> Self {
        if let Fault::Status { headers, .. } = &mut self
            && let Ok(v) = HeaderValue::from_str(&value.to_string())
        {
            headers.insert(name, v);
        }
        self
    }

    /// Restricts this fault to requests whose path is `path` (e.g.
    /// `"/token"`; the query string is not part of the path).
    pub fn on_path(self, path: impl Into<String>) -> ScriptedFault {
        ScriptedFault {
            fault: self,
            path: Some(path.into()),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Fault::Latency(_) => "latency",
            Fault::Status { .. } => "status",
            Fault::MalformedJson => "malformed_json",
            Fault::TruncatedBody => "truncated_body",
            Fault::WrongContentType => "wrong_content_type",
            Fault::CloseMidResponse => "close_mid_response",
            Fault::CloseBeforeResponse => "close_before_response",
            Fault::LargeBody(_) => "large_body",
        }
    }
}

/// A queued fault, optionally restricted to one path.
///
/// Built from a [`Fault`] (any path) or with [`Fault::on_path`].
#[derive(Debug, Clone)]
pub struct ScriptedFault {
    pub(crate) fault: Fault,
    pub(crate) path: Option<String>,
}

impl ScriptedFault {
    /// The fault.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// The path it is restricted to, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        self.path.as_deref().is_none_or(|p| p == path)
    }
}

impl From<Fault> for ScriptedFault {
    fn from(fault: Fault) -> Self {
        ScriptedFault { fault, path: None }
    }
}
