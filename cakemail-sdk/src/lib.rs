//! # cakemail-sdk
//!
//! Rust SDK for the [Cakemail](https://www.cakemail.com) API's authentication
//! (its Token API), generated at build time from Cakemail's own OpenAPI
//! document, with a hand-written layer that logs in, refreshes tokens ahead of
//! expiry, completes MFA challenges, retries over a bad network, and never
//! prints a secret.
//!
//! ```no_run
//! use cakemail_sdk::{Client, auth::Credentials};
//!
//! # async fn demo() -> Result<(), cakemail_sdk::Error> {
//! let client = Client::builder()
//!     .credentials(Credentials::password("me@example.com", "s3cret"))
//!     .build()?;
//! let auth = client.auth().expect("built with credentials");
//! let info = auth.login().await?;
//! println!("token valid until {:?} for accounts {:?}", info.expires_at, info.accounts);
//! let token = auth.access_token().await?; // cached, refreshed 5 minutes before expiry
//! assert_eq!(format!("{token:?}"), "[redacted]");
//! # Ok(()) }
//! ```
//!
//! The raw operations are there too, typed from the document:
//!
//! ```no_run
//! use cakemail_sdk::{Client, SecretString, types};
//!
//! # async fn demo() -> Result<(), cakemail_sdk::Error> {
//! let client = Client::new(cakemail_sdk::DEFAULT_BASE_URL)?;
//! let result = client
//!     .create_token()
//!     .body_map(|b| b.username("me@example.com".to_string()).password(SecretString::from("s3cret")))
//!     .send()
//!     .await;
//! match result?.into_inner() {
//!     types::CreateTokenResponse::TokenResponse(token) => println!("expires in {} s", token.expires_in),
//!     types::CreateTokenResponse::ChallengeResponse(_) => println!("MFA code needed"),
//! }
//! # Ok(()) }
//! ```
//!
//! Layout: [`generated`] is progenitor's output (never edited by hand);
//! [`runtime`] wraps every generated operation (bearer, retries, body limit);
//! [`auth`] holds credentials, the token manager and token stores;
//! [`Error`] is the one error type; [`SecretString`] hides secrets.
#![warn(missing_docs)]

pub mod auth;
mod client;
mod error;
mod redact;
pub mod runtime;
mod secret;

/// The client generated from `openapi/token-api.json` by cakemail-codegen.
///
/// Prefer [`crate::Client`], which derefs to this one and adds
/// configuration and authentication.
#[allow(missing_docs, clippy::all, deprecated)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    install_crypto_provider,
};
pub use error::{Error, MfaChallenge};
pub use generated::{BEARER_OPERATIONS, ResponseValue, builder, types};
pub use secret::SecretString;

// The README's Rust examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
