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

/// A fault answering `status` with a JSON body (`Content-Type: application/json`).
pub fn json_fault(
    status: cakemail_mock::StatusCode,
    body: impl Into<Vec<u8>>,
) -> cakemail_mock::Fault {
    let mut headers = cakemail_mock::HeaderMap::new();
    headers.insert(
        cakemail_mock::header::CONTENT_TYPE,
        cakemail_mock::header::HeaderValue::from_static("application/json"),
    );
    cakemail_mock::Fault::Status {
        status,
        headers,
        body: body.into().into(),
    }
}

/// The generated createToken call with [`USER`] and `password`, as a user
/// would write it.
pub async fn raw_login(
    client: &cakemail_sdk::Client,
    password: &str,
) -> Result<
    cakemail_sdk::ResponseValue<cakemail_sdk::types::CreateTokenResponse>,
    cakemail_sdk::Error,
> {
    client
        .create_token()
        .body_map(|b| {
            b.username(USER.to_string())
                .password(cakemail_sdk::SecretString::from(password))
        })
        .send()
        .await
}

/// Every tracing event of the current thread, as text, while the guard lives.
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// Starts capturing events up to `level` on this thread.
    pub fn start(level: tracing::Level) -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Self::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(move || writer.clone())
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    /// What was captured so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|v| v.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The extended client (see [`extended`]) sharing `client`'s base URL, HTTP
/// client and runtime, so it uses the same token manager.
pub fn extended_client(client: &cakemail_sdk::Client) -> extended::Client {
    extended::Client::new_with_client(
        client.base_url(),
        client.http_client().clone(),
        client.runtime().clone(),
    )
}

/// A memory store holding a token that expires `in_secs` from now
/// (negative: already expired), for accounts 1 and 2.
pub fn store_with(access: &str, refresh: &str, in_secs: i64) -> cakemail_sdk::auth::MemoryStore {
    use cakemail_sdk::auth::{MemoryStore, StoredToken, TokenStore};
    use std::time::{SystemTime, UNIX_EPOCH};
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let store = MemoryStore::new();
    store
        .save(&StoredToken {
            access_token: access.into(),
            refresh_token: Some(refresh.into()),
            expires_at: (now + in_secs).max(0) as u64,
            accounts: vec![1, 2],
        })
        .expect("memory store saves");
    store
}
