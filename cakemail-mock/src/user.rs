//! Users the mock server accepts.

use std::path::Path;

use serde::Deserialize;

use crate::MockError;

/// A user that can log in to the mock server.
///
/// The username must look like an email address (the document declares
/// `format: email` and the server answers 422 otherwise).
///
/// ```
/// use cakemail_mock::User;
///
/// let alice = User::new("alice@example.com", "s3cret").accounts([1, 2]);
/// let bob = User::new("bob@example.com", "hunter2")
///     .accounts([7])
///     .mfa_code("123456")
///     .recovery_code("0123456789ab");
/// # let _ = (alice, bob);
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub(crate) username: String,
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) accounts: Vec<u64>,
    #[serde(default)]
    pub(crate) mfa_code: Option<String>,
    #[serde(default)]
    pub(crate) recovery_code: Option<String>,
}

impl std::fmt::Debug for User {
    // Keeps secrets out of test output and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("accounts", &self.accounts)
            .field("mfa", &self.mfa_code.is_some())
            .field("recovery_code", &self.recovery_code.is_some())
            .finish()
    }
}

impl User {
    /// A user with these credentials, no accounts and no MFA.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        User {
            username: username.into(),
            password: password.into(),
            accounts: Vec::new(),
            mfa_code: None,
            recovery_code: None,
        }
    }

    /// The account ids the user can access, listed in `accounts` of every
    /// token response and accepted as `account_id`. Duplicates are dropped.
    pub fn accounts(mut self, accounts: impl IntoIterator<Item = u64>) -> Self {
        self.accounts.clear();
        for a in accounts {
            if !self.accounts.contains(&a) {
                self.accounts.push(a);
            }
        }
        self
    }

    /// Protects the user with MFA: a password grant answers with a
    /// `challenge`, completed at `POST /token/challenge` with this 6-digit code.
    pub fn mfa_code(mut self, code: impl Into<String>) -> Self {
        self.mfa_code = Some(code.into());
        self
    }

    /// A 12-hex-digit recovery code, accepted once instead of the MFA code.
    pub fn recovery_code(mut self, code: impl Into<String>) -> Self {
        self.recovery_code = Some(code.into());
        self
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The account ids.
    pub fn account_ids(&self) -> &[u64] {
        &self.accounts
    }

    /// Whether the user is MFA-protected.
    pub fn has_mfa(&self) -> bool {
        self.mfa_code.is_some()
    }

    /// Drops duplicate account ids (the document requires unique items).
    pub(crate) fn normalize(&mut self) {
        let accounts = std::mem::take(&mut self.accounts);
        for a in accounts {
            if !self.accounts.contains(&a) {
                self.accounts.push(a);
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), MockError> {
        if !crate::handlers::looks_like_email(&self.username) {
            return Err(MockError::InvalidUser(format!(
                "username {:?} is not an email address",
                self.username
            )));
        }
        if let Some(code) = &self.mfa_code
            && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(MockError::InvalidUser(format!(
                "MFA code of {} must be 6 digits",
                self.username
            )));
        }
        if let Some(code) = &self.recovery_code
            && !(code.len() == 12 && code.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(MockError::InvalidUser(format!(
                "recovery code of {} must be 12 hex digits",
                self.username
            )));
        }
        Ok(())
    }
}

/// A list of users, typically loaded from a JSON file.
///
/// The JSON is either an array of users or an object with a `users` array;
/// each user has `username`, `password`, and optionally `accounts` (array of
/// integers), `mfa_code` and `recovery_code`:
///
/// ```
/// use cakemail_mock::Users;
///
/// let users = Users::from_json_str(r#"{"users": [
///     {"username": "alice@example.com", "password": "s3cret", "accounts": [1, 2]},
///     {"username": "bob@example.com", "password": "pw", "mfa_code": "123456"}
/// ]}"#)?;
/// assert_eq!(users.len(), 2);
/// # Ok::<(), cakemail_mock::MockError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Users(Vec<User>);

#[derive(Deserialize)]
#[serde(untagged)]
enum UsersDoc {
    List(Vec<User>),
    Object { users: Vec<User> },
}

impl Users {
    /// Parses users from JSON text and checks each one.
    pub fn from_json_str(json: &str) -> Result<Self, MockError> {
        let mut users = match serde_json::from_str::<UsersDoc>(json)? {
            UsersDoc::List(users) | UsersDoc::Object { users } => users,
        };
        for u in &mut users {
            u.normalize();
            u.validate()?;
        }
        Ok(Users(users))
    }

    /// Reads users from a JSON file (see [`Users::from_json_str`]).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MockError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| MockError::UsersFile {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&text)
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the users.
    pub fn iter(&self) -> std::slice::Iter<'_, User> {
        self.0.iter()
    }
}

impl IntoIterator for Users {
    type Item = User;
    type IntoIter = std::vec::IntoIter<User>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<User> for Users {
    fn from_iter<T: IntoIterator<Item = User>>(iter: T) -> Self {
        Users(iter.into_iter().collect())
    }
}
