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
//! ```
//! use cakemail_mock::{Fault, MockServer, StatusCode, User};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a #[tokio::test]:
//! let server = MockServer::builder()
//!     .user(User::new("alice@example.com", "s3cret").accounts([1, 2]))
//!     .start()
//!     .await?;
//!
//! // Point the client under test at `server.url()`, e.g. a raw request:
//! let stream = tokio::net::TcpStream::connect(server.addr()).await?;
//! # drop(stream);
//!
//! // Make the next call to /token fail once with 503:
//! server.push_fault(Fault::status(StatusCode::SERVICE_UNAVAILABLE).on_path("/token"));
//!
//! // ...run the client, then assert on what the server saw:
//! let counters = server.counters();
//! assert_eq!(counters.password_grants, 0);
//! assert!(server.last_request().is_none());
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
