//! The client users hold: the generated operations plus configuration,
//! authentication and a transport that retries.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Credentials, DEFAULT_REFRESH_MARGIN, TokenManager, TokenStore};
use crate::error::Error;
use crate::generated::Client as RawClient;
use crate::runtime::{Runtime, TransportConfig};

/// Installs ring as the process's TLS crypto provider, unless one is
/// installed already. Idempotent and cheap.
///
/// The SDK builds reqwest without a provider of its own (ring builds in a
/// fraction of aws-lc-rs's time); [`ClientBuilder::build`] calls this. Call it
/// yourself before building a `reqwest::Client` for
/// [`Client::new_with_client`] if nothing else in your application enables
/// a provider (reqwest's default features do), or reqwest will panic.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Cakemail's API, where the SDK goes unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.cakemail.dev";

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt of a request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Cakemail API client.
///
/// Every operation of the document is a method (through `Deref` to the
/// generated [`generated::Client`](crate::generated::Client)): build the
/// request, then `.send().await`. A client made with credentials attaches a
/// valid bearer token to every operation the document secures, refreshing it
/// as needed. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), cakemail_sdk::Error> {
/// use cakemail_sdk::{Client, types};
///
/// let client = Client::new(cakemail_sdk::DEFAULT_BASE_URL)?;
/// let response = client
///     .create_token()
///     .body(
///         types::BodyCreateToken::builder()
///             .username("me@example.com".to_string())
///             .password(cakemail_sdk::SecretString::from("s3cret")),
///     )
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    raw: RawClient,
    auth: Option<TokenManager>,
}

impl Deref for Client {
    type Target = RawClient;

    fn deref(&self) -> &RawClient {
        &self.raw
    }
}

impl Client {
    /// A client for `base_url` with the default transport and no credentials.
    ///
    /// Fails on a base URL that is not `http(s)://…` or if the HTTP client
    /// cannot be built.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Self::builder().base_url(base_url).build()
    }

    /// A client using your own `reqwest::Client` (proxies, certificates,
    /// timeouts…), with no credentials; as the PHP SDK accepts a Guzzle client.
    /// See [`install_crypto_provider`] if that client fails to build.
    pub fn new_with_client(base_url: &str, http: reqwest::Client) -> Self {
        let runtime = Runtime::new(TransportConfig::default());
        Self {
            raw: RawClient::new_with_client(base_url.trim_end_matches('/'), http, runtime),
            auth: None,
        }
    }

    /// Configure a client: base URL, credentials, token store, timeouts,
    /// retries, TLS.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The token manager of an authenticated client.
    pub fn auth(&self) -> Option<&TokenManager> {
        self.auth.as_ref()
    }

    /// The generated client underneath.
    pub fn raw(&self) -> &RawClient {
        &self.raw
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.raw)
    }

    /// The runtime (transport settings and token manager), for building a
    /// client generated elsewhere that should share this one's authentication.
    pub fn runtime(&self) -> &Runtime {
        progenitor_client::ClientInfo::inner(&self.raw)
    }

    /// The underlying HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        progenitor_client::ClientInfo::client(&self.raw)
    }

    /// Sends any request to Cakemail with this client's bearer token, retries
    /// and 401 replay: for endpoints the SDK does not cover yet.
    ///
    /// The response body is already read (within the size limit).
    pub async fn send_authorized(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, Error> {
        use progenitor_client::{ClientInfo, OperationInfo};
        const ID: &str = "send_authorized";
        let info = OperationInfo { operation_id: ID };
        let runtime = self.raw.inner();
        let result = async {
            runtime
                .pre::<crate::types::HttpError>(&mut request, &info, &[ID])
                .await?;
            let result = runtime.exec(self.raw.client(), request, &info, &[ID]).await;
            runtime.post::<crate::types::HttpError>(&result, &info)?;
            result.map_err(progenitor_client::Error::CommunicationError)
        }
        .await;
        match result {
            Ok(response) => Ok(response),
            Err(e) => Err(Error::from_generated(e).await),
        }
    }
}

/// Builds a [`Client`]. Every setting has a documented default.
///
/// ```no_run
/// # fn demo() -> Result<(), cakemail_sdk::Error> {
/// use std::time::Duration;
/// use cakemail_sdk::{Client, auth::Credentials};
///
/// let client = Client::builder()
///     .credentials(Credentials::password("me@example.com", "s3cret"))
///     .timeout(Duration::from_secs(10))
///     .max_retries(5)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    base_url_source: Option<&'static str>,
    http: Option<reqwest::Client>,
    credentials: Option<Credentials>,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Option<Duration>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    root_certificates: Vec<reqwest::Certificate>,
    transport: TransportConfig,
}

impl ClientBuilder {
    /// A builder from Cakemail CLI's environment variables:
    /// `CAKEMAIL_API_BASE` and those read by [`Credentials::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Self::default();
        if let Some(base) = std::env::var_os("CAKEMAIL_API_BASE") {
            let base = base
                .into_string()
                .map_err(|_| Error::Config("CAKEMAIL_API_BASE is not valid UTF-8".into()))?;
            builder.base_url = Some(base);
            builder.base_url_source = Some("CAKEMAIL_API_BASE");
        }
        builder.credentials = Credentials::from_env()?;
        Ok(builder)
    }

    /// The API's base URL. Default [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self.base_url_source = None;
        self
    }

    /// Log in with these credentials; the client then manages tokens.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Whether credentials were configured (e.g. found by [`from_env`](Self::from_env)).
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Where tokens are kept. Default: memory.
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Renew tokens this long before they expire. Default 5 minutes.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// Use this `reqwest::Client`; the timeout and certificate settings of
    /// this builder are then ignored (configure them on it).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Time allowed to connect. Default [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt, body included. Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt, for connection errors, timeouts, 408,
    /// 429, 500, 502, 503, 504. Default 3; 0 disables retries.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.transport.max_retries = retries;
        self
    }

    /// Exponential backoff: first delay and cap (full jitter). Default 200 ms, 5 s.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.transport.backoff_base = base;
        self.transport.backoff_cap = cap;
        self
    }

    /// Longest `Retry-After` honoured; a longer one ends the retries. Default 30 s.
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.transport.retry_after_cap = cap;
        self
    }

    /// No retry starts after this much time since the first attempt. Default 60 s.
    pub fn retry_deadline(mut self, deadline: Duration) -> Self {
        self.transport.retry_deadline = deadline;
        self
    }

    /// Largest response body read. Default 4 MiB.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.transport.max_body_bytes = limit;
        self
    }

    /// Trust this root certificate besides the system's (e.g. a test CA).
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Allow credentials over plain `http://` to hosts other than loopback.
    /// Default false: such requests fail with [`Error::Config`].
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.transport.allow_insecure_http = allow;
        self
    }

    /// Replace all transport settings at once.
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// Builds the client. Fails on a bad base URL (naming
    /// `CAKEMAIL_API_BASE` when it came from there) or an HTTP client that
    /// cannot be built.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base_url = validate_base_url(base_url, self.base_url_source)?;
        let http = match self.http {
            Some(http) => http,
            None => {
                install_crypto_provider();
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                    .user_agent(concat!("cakemail-sdk-rust/", env!("CARGO_PKG_VERSION")));
                if !self.root_certificates.is_empty() {
                    builder = builder.tls_certs_merge(self.root_certificates);
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let config = Arc::new(self.transport);
        let plain = Runtime {
            config: config.clone(),
            auth: None,
            challenge_slot: None,
        };
        let auth = self.credentials.map(|credentials| {
            let slot = crate::runtime::ChallengeSlot::default();
            let token_runtime = Runtime {
                challenge_slot: Some(slot.clone()),
                ..plain.clone()
            };
            let token_client = RawClient::new_with_client(&base_url, http.clone(), token_runtime);
            TokenManager::new(
                token_client,
                slot,
                credentials,
                self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
                self.store,
            )
        });
        let runtime = Runtime {
            config,
            auth: auth.clone(),
            challenge_slot: None,
        };
        Ok(Client {
            raw: RawClient::new_with_client(&base_url, http, runtime),
            auth,
        })
    }
}

fn validate_base_url(raw: &str, source: Option<&str>) -> Result<String, Error> {
    let name = source.unwrap_or("base URL");
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("{name} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "{name} must be an http:// or https:// URL with a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_validated_and_trimmed() {
        assert_eq!(
            validate_base_url("https://api.cakemail.dev/", None).unwrap(),
            "https://api.cakemail.dev"
        );
        assert_eq!(
            validate_base_url("http://127.0.0.1:9/v1/", None).unwrap(),
            "http://127.0.0.1:9/v1"
        );
        let err = validate_base_url("ftp://x", Some("CAKEMAIL_API_BASE")).unwrap_err();
        assert!(err.to_string().contains("CAKEMAIL_API_BASE"), "{err}");
        assert!(validate_base_url("not a url", None).is_err());
    }
}
