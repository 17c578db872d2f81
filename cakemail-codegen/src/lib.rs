//! The code-generation pipeline of cakemail-sdk, shared by its build script
//! and by `cargo xtask`, so both use one set of rules and generator settings.
//!
//! ```text
//! upstream document ──normalize──▶ normalized document ──generate──▶ Rust client
//! (openapi/token-api.json)        (openapi/token-api.normalized.json)   (OUT_DIR, snapshot)
//! ```
//!
//! Every failure is a [`Diagnostic`] naming the file and the location.
#![warn(missing_docs)]

pub mod diagnostic;
pub mod diff;
pub mod document;
pub mod generate;
pub mod import;
pub mod normalize;
pub mod security;

use std::io::Write;
use std::path::Path;

pub use diagnostic::Diagnostic;
pub use generate::Target;
use serde_json::Value;

/// The upstream document, relative to the folder holding `openapi/`.
pub const UPSTREAM: &str = "openapi/token-api.json";
/// The normalized document written beside it for review.
pub const NORMALIZED: &str = "openapi/token-api.normalized.json";

/// What the pipeline makes of one upstream document.
#[derive(Debug, Clone)]
pub struct Output {
    /// The normalized document.
    pub normalized: Value,
    /// The normalized document as committed (pretty JSON).
    pub normalized_json: String,
    /// The generated client, formatted.
    pub client: String,
}

/// Reads `upstream`, normalizes it and generates the client.
pub fn run(upstream: &Path, target: &Target) -> Result<Output, Diagnostic> {
    let doc = document::load(upstream)?;
    run_document(&doc, upstream, target)
}

/// [`run`] on a document already in memory; `file` names it in diagnostics.
pub fn run_document(doc: &Value, file: &Path, target: &Target) -> Result<Output, Diagnostic> {
    let normalized = normalize::normalize(doc, file)?;
    let client = generate::generate(&normalized, file, target)?;
    Ok(Output {
        normalized_json: normalize::to_pretty_json(&normalized),
        normalized,
        client,
    })
}

/// Writes `contents` to `path` through a temporary file in the same folder and
/// a rename, so an interrupted write never leaves a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
