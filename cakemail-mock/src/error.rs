//! Errors of the mock's own API (not the HTTP error bodies it serves).

use std::path::PathBuf;

/// An error starting the server or loading its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: std::net::SocketAddr,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A users file could not be read.
    #[error("cannot read users file {path}: {source}")]
    UsersFile {
        /// The file's path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A users document is not valid JSON of the expected shape.
    #[error("invalid users JSON: {0}")]
    UsersJson(#[from] serde_json::Error),
    /// A user definition is inconsistent (duplicate username, bad MFA code...).
    #[error("invalid user: {0}")]
    InvalidUser(String),
}
