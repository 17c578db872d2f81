//! One clear line per failure: which file, where in it, and what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a document a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A position in the text, 1-based.
    Text {
        /// Line number, starting at 1.
        line: usize,
        /// Column number, starting at 1.
        column: usize,
    },
    /// A JSON pointer (RFC 6901) into the parsed document, e.g. `/paths/~1token/post`.
    Pointer(String),
    /// The document as a whole.
    Document,
}

/// A failure of the pipeline, naming the file and the location.
///
/// Its `Display` is a single line, `FILE:LINE:COL: message` or
/// `FILE#/json/pointer: message`, suitable for build scripts and CI logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The document the problem was found in.
    pub file: PathBuf,
    /// Where in that document.
    pub location: Location,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a JSON pointer of `file`.
    pub fn at(file: &Path, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            location: Location::Pointer(pointer.into()),
            message: message.into(),
        }
    }

    /// A diagnostic about `file` as a whole (I/O, generator failures).
    pub fn document(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            location: Location::Document,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        // Keep it on one line whatever the message holds.
        let message = self.message.replace('\n', " ");
        match &self.location {
            Location::Text { line, column } => write!(f, "{file}:{line}:{column}: {message}"),
            Location::Pointer(p) if p.is_empty() => write!(f, "{file}#/: {message}"),
            Location::Pointer(p) => write!(f, "{file}#{p}: {message}"),
            Location::Document => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for Diagnostic {}

/// A problem found by a normalization rule, before the file name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl RuleError {
    /// A rule failure at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// Attach the file name.
    pub fn in_file(self, file: &Path) -> Diagnostic {
        Diagnostic::at(file, self.pointer, self.message)
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub fn push_pointer(base: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_file_and_location() {
        let d = Diagnostic {
            file: "openapi/x.json".into(),
            location: Location::Text { line: 3, column: 7 },
            message: "expected `,`\nor `}`".into(),
        };
        assert_eq!(d.to_string(), "openapi/x.json:3:7: expected `,` or `}`");
        let d = Diagnostic::at(Path::new("a.json"), "/paths/~1token", "bad");
        assert_eq!(d.to_string(), "a.json#/paths/~1token: bad");
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(push_pointer("/paths", "/token/x~y"), "/paths/~1token~1x~0y");
    }
}
