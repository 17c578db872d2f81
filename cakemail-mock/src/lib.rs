//! A local Cakemail Token API server, for tests and quickstarts (think
//! "stripe-mock" for Cakemail's `/token` endpoints).
//!
//! It implements the three operations of the Token API with the request and
//! response shapes of Cakemail's published OpenAPI document:
//!
//! - `POST /token` — password grant (`grant_type=password`, `username`,
//!   `password`, optional `account_id`, `scopes`, `expiration_seconds`) and
//!   refresh grant (`grant_type=refresh_token`, `refresh_token`); an MFA user
//!   gets a `challenge` instead of tokens;
//! - `PUT /token` — the deprecated refresh;
//! - `POST /token/challenge` — completes an MFA login with the 6-digit code
//!   or a recovery code.
//!
//! Refresh tokens rotate (each is single-use), errors come as Cakemail's
//! FastAPI bodies (400, 401, 403, 422), and more endpoints can be emulated
//! behind a bearer check with [`MockServer::protect`]. Every request is
//! counted and recorded, and faults (latency, 5xx, broken bodies, dropped
//! connections, huge bodies) can be injected.
//!
//! # Example
//!
//! In a test of your own client (`reqwest` here stands for it):
//!
//! ```
//! use cakemail_mock::{Fault, Method, MockServer, StatusCode, User};
//! use serde_json::{json, Value};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // #[tokio::test] async fn logs_in_and_calls_the_api() {
//! let server = MockServer::builder()
//!     .user(User::new("alice@example.com", "s3cret").accounts([1, 2]))
//!     .start()
//!     .await?;
//! server.protect(Method::GET, "/accounts/self", json!({"data": {"id": 1}}));
//! // The first token request fails with a 503: the client should retry.
//! server.push_fault(Fault::status(StatusCode::SERVICE_UNAVAILABLE).on_path("/token"));
//!
//! # // This workspace builds reqwest without a TLS provider of its own.
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let client = reqwest::Client::new();
//! let form = [("grant_type", "password"), ("username", "alice@example.com"), ("password", "s3cret")];
//! let mut resp = client.post(format!("{}/token", server.url())).form(&form).send().await?;
//! if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
//!     resp = client.post(format!("{}/token", server.url())).form(&form).send().await?;
//! }
//! let tokens: Value = resp.json().await?;
//! assert_eq!(tokens["accounts"], json!([1, 2]));
//!
//! let me = client
//!     .get(format!("{}/accounts/self", server.url()))
//!     .bearer_auth(tokens["access_token"].as_str().unwrap())
//!     .send()
//!     .await?;
//! assert_eq!(me.status(), StatusCode::OK);
//!
//! // Assert on what the client sent.
//! let counters = server.counters();
//! assert_eq!((counters.password_grants, counters.protected_calls), (2, 1));
//! let login = &server.requests()[1];
//! assert_eq!(login.header("content-type"), Some("application/x-www-form-urlencoded"));
//! assert_eq!(login.form_field("username").as_deref(), Some("alice@example.com"));
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Tokens are opaque strings (`cmk_at_…`, `cmk_rt_…`), unique per issue.
#![warn(missing_docs)]

mod body;
mod error;
mod fault;
mod handlers;
mod server;
mod state;
mod user;

pub use error::MockError;
pub use fault::{Fault, ScriptedFault};
pub use server::{MockServer, MockServerBuilder};
pub use state::{Counters, IssuedTokens, RecordedRequest, TokenInfo};
pub use user::{User, Users};

/// HTTP types used in this API, re-exported from `http` (the same types
/// `reqwest` and `hyper` use).
pub use hyper::{HeaderMap, Method, StatusCode, header};
