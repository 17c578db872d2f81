//! Where tokens are kept between runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::secret::SecretString;

/// A token as stored: what is needed to resume without logging in again.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, in seconds since the Unix epoch.
    pub expires_at: u64,
    /// Account ids the token can access.
    #[serde(default)]
    pub accounts: Vec<i64>,
}

impl StoredToken {
    /// The expiry as a `SystemTime`.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at)
    }
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("accounts", &self.accounts)
            .finish()
    }
}

/// A failure of a token store. Never contains token values.
#[derive(Debug, thiserror::Error)]
#[error("token store {path}: {message}")]
pub struct StoreError {
    /// The file (or store name) involved.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Keeps the current token. Called after every login and refresh.
///
/// Implementations must be cheap to call from async code (they run inline)
/// and must not log token values.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored token, `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<StoredToken>, StoreError>;
    /// Replaces the stored token.
    fn save(&self, token: &StoredToken) -> Result<(), StoreError>;
}

/// The default store: memory only, gone with the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    token: Mutex<Option<StoredToken>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.token.lock().map(|t| t.clone()).unwrap_or(None))
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        if let Ok(mut slot) = self.token.lock() {
            *slot = Some(token.clone());
        }
        Ok(())
    }
}

/// A JSON file, mode 0600 in a folder made 0700, replaced atomically (write
/// to a temporary file, then rename), like Cakemail CLI's `~/.cakemail`.
///
/// A corrupt or unreadable file is reported as an error by `load`; the token
/// manager then warns and logs in afresh, and the next `save` replaces it.
///
/// ```no_run
/// use cakemail_sdk::auth::FileStore;
/// let store = FileStore::new("/home/me/.cakemail/sdk-token.json");
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (created on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl fmt::Display) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot read: {e}"))),
        };
        // serde_json's message names the position, not the content.
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| self.error(format!("not a stored token: {e}")))
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| self.error(format!("cannot create folder: {e}")))?;
        let json = serde_json::to_vec_pretty(token).map_err(|e| self.error(e))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let written = write_private(&tmp, &json).and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.error(format!("cannot write: {e}")));
        }
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
