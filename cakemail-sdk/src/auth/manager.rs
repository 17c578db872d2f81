//! The token manager: one valid access token, shared, refreshed ahead of
//! expiry, with exactly one /token request however many callers wait.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use reqwest::header::HeaderValue;
use tokio::sync::watch;

use super::credentials::Credentials;
use super::store::{MemoryStore, StoredToken, TokenStore};
use crate::error::{Error, MfaChallenge};
use crate::generated::Client as RawClient;
use crate::runtime::ChallengeSlot;
use crate::secret::SecretString;
use crate::types;

/// Default time before expiry at which a token is renewed: 5 minutes, as
/// Cakemail's TypeScript SDK does.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// What is known about the current token, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// When the access token expires (`None`: unknown, e.g. a token given as is).
    pub expires_at: Option<SystemTime>,
    /// Account ids the token can access.
    pub accounts: Vec<i64>,
    /// Whether a refresh token is held.
    pub has_refresh_token: bool,
}

struct TokenState {
    access: SecretString,
    refresh: Option<SecretString>,
    /// `None`: unknown; used until Cakemail rejects it.
    expires_at: Option<Instant>,
    expires_at_wall: Option<SystemTime>,
    accounts: Vec<i64>,
}

impl TokenState {
    fn from_response(
        token: types::TokenResponse,
        arrived: Instant,
        previous_refresh: Option<SecretString>,
    ) -> Self {
        let lifetime = Duration::from_secs(token.expires_in.max(0) as u64);
        let refresh = if token.refresh_token.is_empty() {
            previous_refresh
        } else {
            Some(token.refresh_token)
        };
        Self {
            access: token.access_token,
            refresh,
            expires_at: Some(arrived + lifetime),
            expires_at_wall: Some(SystemTime::now() + lifetime),
            accounts: token.accounts,
        }
    }

    fn from_stored(stored: StoredToken) -> Self {
        let wall = stored.expires_at();
        let remaining = wall.duration_since(SystemTime::now()).unwrap_or_default();
        Self {
            access: stored.access_token,
            refresh: stored.refresh_token,
            expires_at: Some(Instant::now() + remaining),
            expires_at_wall: Some(wall),
            accounts: stored.accounts,
        }
    }

    fn valid_for(&self, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => at
                .checked_duration_since(Instant::now())
                .is_some_and(|left| left > margin),
        }
    }

    fn to_stored(&self) -> Option<StoredToken> {
        let wall = self.expires_at_wall?;
        Some(StoredToken {
            access_token: self.access.clone(),
            refresh_token: self.refresh.clone(),
            expires_at: wall
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
            accounts: self.accounts.clone(),
        })
    }
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

type Outcome = Option<Result<Arc<TokenState>, Arc<Error>>>;

struct Inner {
    client: RawClient,
    challenge_slot: ChallengeSlot,
    credentials: Credentials,
    margin: Duration,
    store: Arc<dyn TokenStore>,
    /// Read on every call: lock-free loads, no shared counter touched.
    state: ArcSwapOption<TokenState>,
    /// The refresh in flight, if any: joiners wait on its outcome.
    flight: Mutex<Option<watch::Receiver<Outcome>>>,
    requests: std::sync::atomic::AtomicU64,
}

/// Obtains, caches, refreshes and stores Cakemail tokens.
///
/// Cheap to clone (shared state). Hands out a valid access token from memory
/// while it has more than the margin left; otherwise exactly one /token
/// request runs and every concurrent caller gets its result. Refreshes use
/// `POST /token` with `grant_type=refresh_token`; a rejected refresh token
/// falls back to a password login when a password is configured.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("credentials", &self.inner.credentials)
            .field("margin", &self.inner.margin)
            .field("token", &self.token_info())
            .finish()
    }
}

/// How a caller wants the token.
enum Need<'a> {
    /// Any token valid beyond the margin.
    Valid,
    /// A token other than the one Cakemail just rejected.
    Replacing(Option<&'a HeaderValue>),
    /// A new token regardless.
    Fresh,
}

impl TokenManager {
    /// A manager that calls /token through `client` (which must not itself
    /// carry a token manager), keeping tokens in `store`.
    pub(crate) fn new(
        client: RawClient,
        challenge_slot: ChallengeSlot,
        credentials: Credentials,
        margin: Duration,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Self {
        let store = store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let initial = match store.load() {
            Ok(Some(stored)) => Some(TokenState::from_stored(stored)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "ignoring the unreadable token store; a fresh login will replace it");
                None
            }
        };
        let initial = initial.or_else(|| {
            credentials.access_token.clone().map(|access| TokenState {
                access,
                refresh: credentials.refresh_token.clone(),
                expires_at: None,
                expires_at_wall: None,
                accounts: Vec::new(),
            })
        });
        Self {
            inner: Arc::new(Inner {
                client,
                challenge_slot,
                credentials,
                margin,
                store,
                state: ArcSwapOption::new(initial.map(Arc::new)),
                flight: Mutex::new(None),
                requests: Default::default(),
            }),
        }
    }

    /// A valid access token: from memory when it has more than the margin
    /// left, otherwise after one shared login or refresh.
    ///
    /// Fails with [`Error::MfaRequired`] when the login needs a second factor.
    pub async fn access_token(&self) -> Result<SecretString, Error> {
        // A guard, not an Arc clone: no reference count shared between threads.
        if let Some(state) = &*self.inner.state.load()
            && state.valid_for(self.inner.margin)
        {
            return Ok(state.access.clone());
        }
        self.shared(Need::Valid).await.map(|s| s.access.clone())
    }

    /// Logs in (or refreshes) now, whatever the current token, and returns
    /// what is known about the new token.
    pub async fn force_refresh(&self) -> Result<TokenInfo, Error> {
        self.shared(Need::Fresh).await.map(|s| info(&s))
    }

    /// Ensures a token is held, logging in if needed.
    pub async fn login(&self) -> Result<TokenInfo, Error> {
        self.shared(Need::Valid).await.map(|s| info(&s))
    }

    /// Completes an MFA login with the 6-digit (or recovery) code, via
    /// `POST /token/challenge`. Afterwards the manager refreshes as usual.
    pub async fn complete_mfa(
        &self,
        challenge: &MfaChallenge,
        code: impl Into<SecretString>,
    ) -> Result<TokenInfo, Error> {
        let code = code.into();
        let response = self
            .inner
            .client
            .create_token_from_challenge()
            .body_map(|b| b.challenge(challenge.challenge.clone()).code(code))
            .send()
            .await;
        self.inner.count();
        let arrived = Instant::now();
        let token = response?.into_inner();
        let state = Arc::new(TokenState::from_response(token, arrived, None));
        self.inner.install(state.clone());
        Ok(info(&state))
    }

    /// What is known about the current token (no secret), if one is held.
    pub fn token_info(&self) -> Option<TokenInfo> {
        self.current().map(|s| info(&s))
    }

    /// How many requests this manager has sent to the token endpoints.
    pub fn token_requests(&self) -> u64 {
        self.inner
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Called by the runtime after a 401: a token other than `rejected`.
    pub(crate) fn refresh_after_unauthorized<'a>(
        &'a self,
        rejected: Option<&'a HeaderValue>,
    ) -> BoxFuture<'a, Result<SecretString, Error>> {
        Box::pin(async move {
            self.shared(Need::Replacing(rejected))
                .await
                .map(|s| s.access.clone())
        })
    }

    /// [`access_token`](Self::access_token) as a boxed future, for the
    /// runtime: the token requests themselves run through the runtime, and
    /// the box keeps that loop out of the future's type.
    pub(crate) fn access_token_boxed(&self) -> BoxFuture<'_, Result<SecretString, Error>> {
        Box::pin(self.access_token())
    }

    fn current(&self) -> Option<Arc<TokenState>> {
        self.inner.state.load_full()
    }

    /// Joins the refresh in flight or starts one, then waits for its outcome.
    async fn shared(&self, need: Need<'_>) -> Result<Arc<TokenState>, Error> {
        let mut receiver = {
            let mut flight = self
                .inner
                .flight
                .lock()
                .map_err(|_| Error::NotAuthenticated("token state poisoned".into()))?;
            if let Some(state) = self.current() {
                let usable = match need {
                    Need::Valid => state.valid_for(self.inner.margin),
                    Need::Replacing(rejected) => {
                        rejected.is_some_and(|r| !is_bearer_of(r, &state.access))
                    }
                    Need::Fresh => false,
                };
                if usable {
                    return Ok(state);
                }
            }
            match flight.as_ref() {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    *flight = Some(receiver.clone());
                    // A task of its own, so a caller that gives up does not
                    // strand the others waiting on the outcome.
                    let inner = self.inner.clone();
                    tokio::spawn(async move {
                        let outcome = inner.obtain().await.map_err(Arc::new);
                        if let Ok(state) = &outcome {
                            inner.install(state.clone());
                        }
                        if let Ok(mut flight) = inner.flight.lock() {
                            *flight = None;
                        }
                        let _ = sender.send(Some(outcome));
                    });
                    receiver
                }
            }
        };
        let outcome = receiver
            .wait_for(Option::is_some)
            .await
            .map(|o| o.clone())
            .map_err(|_| {
                Error::NotAuthenticated("the token refresh stopped before finishing".into())
            })?;
        match outcome {
            Some(Ok(state)) => Ok(state),
            Some(Err(e)) => Err(match &*e {
                Error::MfaRequired(challenge) => Error::MfaRequired(challenge.clone()),
                _ => Error::Refresh(e),
            }),
            None => Err(Error::NotAuthenticated("no token".into())),
        }
    }
}

impl Inner {
    fn count(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn install(&self, state: Arc<TokenState>) {
        if let Some(stored) = state.to_stored()
            && let Err(e) = self.store.save(&stored)
        {
            tracing::warn!(error = %e, "could not store the new token");
        }
        self.state.store(Some(state));
    }

    /// One login or refresh, by the best means available.
    async fn obtain(&self) -> Result<Arc<TokenState>, Error> {
        let current = self.state.load_full();
        let refresh = current
            .as_ref()
            .and_then(|s| s.refresh.clone())
            .or_else(|| self.credentials.refresh_token.clone());
        if let Some(refresh) = refresh {
            match self.refresh(refresh).await {
                Ok(state) => return Ok(Arc::new(state)),
                Err(e @ Error::Api { .. }) if self.credentials.has_password() => {
                    tracing::warn!(error = %e, "refresh token rejected; logging in with the password");
                }
                Err(e) => return Err(e),
            }
        }
        if self.credentials.has_password() {
            return self.password_login().await.map(Arc::new);
        }
        Err(Error::NotAuthenticated(
            "no password or refresh token to obtain a new token with".into(),
        ))
    }

    async fn refresh(&self, refresh: SecretString) -> Result<TokenState, Error> {
        tracing::debug!("refreshing the access token");
        let response = self
            .client
            .create_token()
            .body_map(|b| {
                b.grant_type(types::PasswordGrantType::RefreshToken)
                    .refresh_token(refresh.clone())
            })
            // Raw: a body without a refresh token is decoded by hand below.
            .send_raw()
            .await;
        self.count();
        let arrived = Instant::now();
        match response {
            Ok(rv) => match rv.into_inner() {
                types::CreateTokenResponse::TokenResponse(token) => {
                    Ok(TokenState::from_response(token, arrived, Some(refresh)))
                }
                types::CreateTokenResponse::ChallengeResponse(c) => {
                    Err(Error::MfaRequired(MfaChallenge::new(c.challenge)))
                }
            },
            // A response without a refresh token does not match TokenResponse:
            // keep the one we have.
            Err(progenitor_client::Error::InvalidResponsePayload(bytes, e)) => {
                match serde_json::from_slice::<PartialToken>(&bytes) {
                    Ok(partial) => Ok(TokenState::from_response(
                        partial.into_token(),
                        arrived,
                        Some(refresh),
                    )),
                    Err(_) => Err(Error::from_generated(progenitor_client::Error::<
                        types::HttpError,
                    >::InvalidResponsePayload(
                        bytes, e
                    ))
                    .await),
                }
            }
            Err(e) => Err(Error::from_generated(e).await),
        }
    }

    async fn password_login(&self) -> Result<TokenState, Error> {
        let creds = &self.credentials;
        let (Some(username), Some(password)) = (creds.username.clone(), creds.password.clone())
        else {
            return Err(Error::NotAuthenticated("no password configured".into()));
        };
        tracing::debug!(username = %username, "logging in with a password");
        let mut body = types::BodyCreateToken::builder()
            .grant_type(types::PasswordGrantType::Password)
            .username(username)
            .password(password)
            .account_id(creds.account_id)
            .expiration_seconds(creds.expiration_seconds);
        if let Some(scopes) = &creds.scopes {
            body = body.scopes(scopes.as_str());
        }
        if let Ok(mut slot) = self.challenge_slot.lock() {
            *slot = None;
        }
        let response = self.client.create_token().body(body).send().await;
        self.count();
        let arrived = Instant::now();
        match response {
            Ok(rv) => match rv.into_inner() {
                types::CreateTokenResponse::TokenResponse(token) => {
                    Ok(TokenState::from_response(token, arrived, None))
                }
                types::CreateTokenResponse::ChallengeResponse(c) => {
                    Err(Error::MfaRequired(MfaChallenge::new(c.challenge)))
                }
            },
            Err(e) => {
                // The description's variant: a 401 whose body carries the challenge.
                let challenge = self
                    .challenge_slot
                    .lock()
                    .ok()
                    .and_then(|mut slot| slot.take());
                match challenge {
                    Some(challenge) => Err(Error::MfaRequired(MfaChallenge::new(challenge))),
                    None => Err(e),
                }
            }
        }
    }
}

/// A token response that may lack the refresh token.
#[derive(serde::Deserialize)]
struct PartialToken {
    access_token: SecretString,
    #[serde(default)]
    token_type: String,
    expires_in: i64,
    #[serde(default)]
    accounts: Vec<i64>,
}

impl PartialToken {
    fn into_token(self) -> types::TokenResponse {
        types::TokenResponse {
            access_token: self.access_token,
            accounts: self.accounts,
            expires_in: self.expires_in,
            refresh_token: SecretString::default(),
            token_type: self.token_type,
        }
    }
}

fn info(state: &TokenState) -> TokenInfo {
    TokenInfo {
        expires_at: state.expires_at_wall,
        accounts: state.accounts.clone(),
        has_refresh_token: state.refresh.is_some(),
    }
}

fn is_bearer_of(header: &HeaderValue, token: &SecretString) -> bool {
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|h| h == token.expose_secret())
}
