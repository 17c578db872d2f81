//! Shared helpers for the integration tests in `tests/tests/`.
//!
//! Every test talks real HTTP to a server on 127.0.0.1 (port 0): usually
//! [`cakemail_mock::MockServer`], the local Cakemail token server.

use cakemail_mock::{MockServer, User};

/// A client generated outside cakemail-sdk from the Token API plus
/// `GET /accounts/self` (see build.rs), running on the SDK's runtime.
#[allow(missing_docs, clippy::all, dead_code)]
pub mod extended {
    include!(concat!(env!("OUT_DIR"), "/extended_client.rs"));
}

/// The password of [`USER`]: every character that form encoding must escape.
pub const PASSWORD: &str = "p&ss=w+rd% é ünï😀";
/// The test user's email.
pub const USER: &str = "alice@example.com";
/// The MFA user's email.
pub const MFA_USER: &str = "bob@example.com";
/// The MFA user's code.
pub const MFA_CODE: &str = "123456";

/// A mock server with a password user (accounts 1 and 2) and an MFA user.
pub async fn server() -> MockServer {
    server_with(|b| b).await
}

/// [`server`] with extra builder settings.
pub async fn server_with(
    f: impl FnOnce(cakemail_mock::MockServerBuilder) -> cakemail_mock::MockServerBuilder,
) -> MockServer {
    let builder = MockServer::builder()
        .user(User::new(USER, PASSWORD).accounts([1, 2]))
        .user(
            User::new(MFA_USER, PASSWORD)
                .accounts([3])
                .mfa_code(MFA_CODE),
        );
    f(builder).start().await.expect("mock server starts")
}
