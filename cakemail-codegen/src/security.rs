//! Which operations need a bearer token, read from the document's `security`.

use serde_json::Value;

use crate::document::METHODS;

/// The operationIds that require a bearer token, sorted.
///
/// An operation requires one when its `security` (or the document's, when it
/// has none of its own) names an `oauth2` or `http: bearer` scheme. Operations
/// on a scheme's own `tokenUrl` are left out: they obtain the token, and
/// sending one there would make the token manager call itself.
pub fn bearer_operations(doc: &Value) -> Vec<String> {
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let mut bearer_schemes = Vec::new();
    let mut token_urls = Vec::new();
    for (name, scheme) in schemes.into_iter().flatten() {
        let kind = scheme.get("type").and_then(Value::as_str);
        let is_bearer = match kind {
            Some("oauth2") => true,
            Some("http") => scheme
                .get("scheme")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
            _ => false,
        };
        if !is_bearer {
            continue;
        }
        bearer_schemes.push(name.as_str());
        for flow in scheme
            .get("flows")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|f| f.values())
        {
            if let Some(url) = flow.get("tokenUrl").and_then(Value::as_str) {
                token_urls.push(url.trim_end_matches('/').to_string());
            }
        }
    }

    let global = doc.get("security");
    let mut out = Vec::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if token_urls.iter().any(|u| u == path.trim_end_matches('/')) {
            continue;
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let security = op.get("security").or(global);
            let requires = security
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .any(|req| req.keys().any(|k| bearer_schemes.contains(&k.as_str())));
            if requires {
                out.push(method_name(id));
            }
        }
    }
    out.sort();
    out
}

/// The Rust method name progenitor derives from an operationId (also what it
/// passes to hooks as `OperationInfo::operation_id`).
pub fn method_name(operation_id: &str) -> String {
    use heck::ToSnakeCase;
    let cleaned: String = operation_id
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.to_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_url_is_excluded_and_security_is_inherited() {
        let doc = json!({
            "security": [{"Bearer": []}],
            "paths": {
                "/token": {"post": {"operationId": "createToken", "security": [{"Bearer": []}]}},
                "/accounts/self": {"get": {"operationId": "getSelf"}},
                "/public": {"get": {"operationId": "ping", "security": []}},
                "/other": {"get": {"operationId": "basic", "security": [{"Basic": []}]}}
            },
            "components": {"securitySchemes": {
                "Bearer": {"type": "oauth2", "flows": {"password": {"tokenUrl": "/token", "scopes": {}}}},
                "Basic": {"type": "http", "scheme": "basic"}
            }}
        });
        assert_eq!(bearer_operations(&doc), ["get_self"]);
    }

    #[test]
    fn http_bearer_schemes_count() {
        let doc = json!({
            "paths": {"/x": {"get": {"operationId": "x", "security": [{"B": []}]}}},
            "components": {"securitySchemes": {"B": {"type": "http", "scheme": "Bearer"}}}
        });
        assert_eq!(bearer_operations(&doc), ["x"]);
    }
}
