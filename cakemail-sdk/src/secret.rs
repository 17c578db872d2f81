//! A string that never shows itself: passwords, tokens, MFA challenges and codes.

use std::fmt;

use zeroize::Zeroize;

/// A secret string: a password, an access or refresh token, an MFA challenge
/// or code.
///
/// `Debug` and `Display` print `[redacted]`; the value is reachable only
/// through [`expose_secret`](Self::expose_secret), and its memory is wiped on
/// drop. Serialization writes the real value, since that is how it reaches the
/// API.
///
/// ```
/// use cakemail_sdk::SecretString;
///
/// let password = SecretString::from("hunter2");
/// assert_eq!(format!("{password:?}"), "[redacted]");
/// assert_eq!(password.expose_secret(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Every call site is a place a secret leaves the type.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl From<&String> for SecretString {
    fn from(value: &String) -> Self {
        Self(value.clone())
    }
}

impl std::str::FromStr for SecretString {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl schemars::JsonSchema for SecretString {
    fn schema_name() -> String {
        "SecretString".to_string()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("password".to_string()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = SecretString::from("p@ss w0rd");
        assert_eq!(
            format!("{s:?} {s} {s:#?}"),
            "[redacted] [redacted] [redacted]"
        );
        assert_eq!(s.expose_secret(), "p@ss w0rd");
    }

    #[test]
    fn serializes_as_the_plain_value() {
        let s = SecretString::from("tok");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"tok\"");
        let back: SecretString = serde_json::from_str("\"tok\"").unwrap();
        assert_eq!(back, s);
    }
}
