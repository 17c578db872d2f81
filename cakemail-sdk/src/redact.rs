//! Bounded, secret-free excerpts of response bodies for error messages.

/// Keys whose values are secrets wherever they appear in a body.
const SECRET_KEYS: &[&str] = &[
    "password",
    "access_token",
    "refresh_token",
    "challenge",
    "code",
    "token",
];

/// Longest excerpt kept, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// A short, printable excerpt of `body` with secret values replaced.
///
/// Works on broken bodies too (truncated JSON, HTML, form data): values after
/// `"key":` or `key=` for any secret key are masked up to their end, or to the
/// end of the text when cut off.
pub fn excerpt(body: &[u8]) -> String {
    // Redact over a bounded prefix so a huge body costs nothing extra.
    let prefix = &body[..body.len().min(EXCERPT_CHARS * 8)];
    let text = String::from_utf8_lossy(prefix);
    let masked = mask(&text);
    let mut out: String = masked
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if masked.chars().count() > EXCERPT_CHARS || body.len() > prefix.len() {
        out.push('…');
    }
    out
}

/// A decoder's error message with every quoted value masked: serde quotes
/// the offending value (`invalid type: string "…", expected i64`), which could
/// be a token sitting in the wrong field.
pub fn reason(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if quoted {
                out.push_str("[redacted]\"");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    if quoted {
        out.push_str("[redacted]");
    }
    out
}

fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = secret_value_end(text, i) {
            // Copy the key and separator, mask the value.
            out.push_str(&text[i..end.value_start]);
            out.push_str("[redacted]");
            i = end.value_end;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

struct ValueSpan {
    value_start: usize,
    value_end: usize,
}

// At `i`, a secret key followed by `":` (JSON) or `=` (form)? Returns where
// its value starts and ends.
fn secret_value_end(text: &str, i: usize) -> Option<ValueSpan> {
    let rest = &text[i..];
    let quoted = rest.starts_with('"');
    let key_start = if quoted { 1 } else { 0 };
    if !quoted && i > 0 {
        // Form keys start after `&` or at the beginning.
        let prev = text[..i].chars().next_back()?;
        if prev != '&' && prev != '?' && !prev.is_whitespace() {
            return None;
        }
    }
    let key = SECRET_KEYS
        .iter()
        .find(|k| rest[key_start..].starts_with(*k))?;
    let mut j = key_start + key.len();
    if quoted {
        if !rest[j..].starts_with('"') {
            return None;
        }
        j += 1;
        j += rest[j..].len() - rest[j..].trim_start().len();
        if !rest[j..].starts_with(':') {
            return None;
        }
        j += 1;
        j += rest[j..].len() - rest[j..].trim_start().len();
        if rest[j..].starts_with('"') {
            j += 1;
            let value_start = i + j;
            let mut k = j;
            let b = rest.as_bytes();
            while k < b.len() && b[k] != b'"' {
                k += if b[k] == b'\\' { 2 } else { 1 };
            }
            return Some(ValueSpan {
                value_start,
                value_end: i + k.min(b.len()),
            });
        }
        // Numbers and other scalars are not secret-shaped; leave them.
        None
    } else {
        if !rest[j..].starts_with('=') {
            return None;
        }
        j += 1;
        let value_start = i + j;
        let len = rest[j..].find(['&', ' ', '\n']).unwrap_or(rest.len() - j);
        Some(ValueSpan {
            value_start,
            value_end: value_start + len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_json_values_even_when_truncated() {
        let e =
            excerpt(br#"{"access_token": "eyJabc", "expires_in": 3600, "refresh_token": "r3fr"#);
        assert_eq!(
            e,
            r#"{"access_token": "[redacted]", "expires_in": 3600, "refresh_token": "[redacted]"#
        );
    }

    #[test]
    fn masks_form_values_and_bounds_length() {
        let e = excerpt(b"grant_type=password&password=s3cr%26t&username=a");
        assert_eq!(e, "grant_type=password&password=[redacted]&username=a");
        let long = "x".repeat(10_000);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn decoder_messages_lose_their_quoted_values() {
        let err = serde_json::from_str::<u64>("\"tok-456\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tok-456"), "serde quotes the value: {err}");
        let clean = reason(&err);
        assert!(
            !clean.contains("tok-456") && clean.contains("[redacted]"),
            "{clean}"
        );
        assert_eq!(
            reason("missing field `refresh_token`"),
            "missing field `refresh_token`"
        );
    }

    #[test]
    fn html_is_kept_readable() {
        assert_eq!(
            excerpt(b"<html>\n502 Bad Gateway</html>"),
            "<html> 502 Bad Gateway</html>"
        );
    }
}
