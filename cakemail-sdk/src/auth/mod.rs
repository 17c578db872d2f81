//! Authentication: credentials, the token manager, and token storage.
//!
//! The [`TokenManager`] is what an authenticated [`Client`](crate::Client)
//! consults before each operation the document marks as needing a bearer
//! token; it can also be used on its own.

mod credentials;
mod manager;
mod store;

pub use credentials::Credentials;
pub use manager::{DEFAULT_REFRESH_MARGIN, TokenInfo, TokenManager};
pub use store::{FileStore, MemoryStore, StoreError, StoredToken, TokenStore};
