//! What the SDK logs in with, from code or from Cakemail CLI's environment.

use std::ffi::OsString;
use std::fmt;

use crate::error::Error;
use crate::secret::SecretString;

/// How to obtain tokens: a password login, an existing token, or both.
///
/// ```
/// use cakemail_sdk::auth::Credentials;
///
/// let creds = Credentials::password("me@example.com", "s3cret")
///     .account_id(42)
///     .scopes("user")
///     .expiration_seconds(3600);
/// assert!(!format!("{creds:?}").contains("s3cret"));
/// ```
#[derive(Clone, Default)]
pub struct Credentials {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<SecretString>,
    pub(crate) access_token: Option<SecretString>,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) account_id: Option<i64>,
    pub(crate) scopes: Option<String>,
    pub(crate) expiration_seconds: Option<i64>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("account_id", &self.account_id)
            .field("scopes", &self.scopes)
            .field("expiration_seconds", &self.expiration_seconds)
            .finish()
    }
}

impl Credentials {
    /// A password login (`grant_type=password`).
    pub fn password(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self {
            username: Some(username.into()),
            password: Some(password.into()),
            ..Self::default()
        }
    }

    /// An access token obtained elsewhere. Without a refresh token or a
    /// password it is used until Cakemail rejects it.
    pub fn access_token(token: impl Into<SecretString>) -> Self {
        Self {
            access_token: Some(token.into()),
            ..Self::default()
        }
    }

    /// A refresh token obtained elsewhere; the first call refreshes with it.
    pub fn refresh_token(token: impl Into<SecretString>) -> Self {
        Self {
            refresh_token: Some(token.into()),
            ..Self::default()
        }
    }

    /// Adds an existing access token (e.g. to skip the first login).
    pub fn with_access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// Adds a refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<SecretString>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// Scope tokens to this sub-account.
    pub fn account_id(mut self, account_id: i64) -> Self {
        self.account_id = Some(account_id);
        self
    }

    /// Comma-separated scopes (`user`, `admin`, `internal`, `auth`); Cakemail's default is `user`.
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = Some(scopes.into());
        self
    }

    /// Ask for tokens living this many seconds (at least 600).
    pub fn expiration_seconds(mut self, seconds: i64) -> Self {
        self.expiration_seconds = Some(seconds);
        self
    }

    /// Whether a password login is possible.
    pub fn has_password(&self) -> bool {
        self.username.is_some() && self.password.is_some()
    }

    /// The username, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Reads the variables Cakemail's CLI uses: `CAKEMAIL_USERNAME` (or
    /// `CAKEMAIL_EMAIL`), `CAKEMAIL_PASSWORD`, `CAKEMAIL_ACCESS_TOKEN`,
    /// `CAKEMAIL_CURRENT_ACCOUNT_ID`. `Ok(None)` when none is set.
    /// (`CAKEMAIL_API_BASE` is read by [`ClientBuilder::from_env`](crate::ClientBuilder::from_env).)
    ///
    /// Errors name the variable, never a secret's value.
    pub fn from_env() -> Result<Option<Self>, Error> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) over any lookup function, for tests and
    /// for configuration read from elsewhere.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Option<Self>, Error> {
        let text = |name: &str, secret: bool| -> Result<Option<String>, Error> {
            match lookup(name) {
                None => Ok(None),
                Some(value) => match value.into_string() {
                    Ok(s) if s.trim().is_empty() => {
                        Err(Error::Config(format!("{name} is set but empty")))
                    }
                    Ok(s) => Ok(Some(s)),
                    Err(raw) if secret => {
                        drop(raw);
                        Err(Error::Config(format!("{name} is not valid UTF-8")))
                    }
                    Err(raw) => Err(Error::Config(format!("{name} is not valid UTF-8: {raw:?}"))),
                },
            }
        };
        let username = match text("CAKEMAIL_USERNAME", false)? {
            Some(u) => Some(u),
            None => text("CAKEMAIL_EMAIL", false)?,
        };
        let password = text("CAKEMAIL_PASSWORD", true)?.map(SecretString::from);
        let access_token = text("CAKEMAIL_ACCESS_TOKEN", true)?.map(SecretString::from);
        let account_id = match text("CAKEMAIL_CURRENT_ACCOUNT_ID", false)? {
            None => None,
            Some(raw) => Some(raw.trim().parse::<i64>().map_err(|_| {
                Error::Config(format!(
                    "CAKEMAIL_CURRENT_ACCOUNT_ID must be an integer account id, got {raw:?}"
                ))
            })?),
        };
        if password.is_some() && username.is_none() {
            return Err(Error::Config(
                "CAKEMAIL_PASSWORD is set but neither CAKEMAIL_USERNAME nor CAKEMAIL_EMAIL is"
                    .into(),
            ));
        }
        if username.is_some() && password.is_none() && access_token.is_none() {
            return Err(Error::Config(
                "CAKEMAIL_USERNAME (or CAKEMAIL_EMAIL) is set but CAKEMAIL_PASSWORD is not".into(),
            ));
        }
        if username.is_none() && password.is_none() && access_token.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            username,
            password,
            access_token,
            refresh_token: None,
            account_id,
            scopes: None,
            expiration_seconds: None,
        }))
    }
}
