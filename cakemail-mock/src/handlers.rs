//! The Token API's behaviour: validation, grants, challenges, bearer checks.
//!
//! Everything here is synchronous and runs under the state lock.

use std::time::Duration;

use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use crate::state::{BearerError, Grant, Shared, State};

const SCOPES: [&str; 4] = ["user", "admin", "internal", "auth"];

/// A JSON response before it becomes HTTP.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Value,
    /// Adds `WWW-Authenticate: Bearer` (401 from a protected endpoint).
    pub www_authenticate: bool,
    /// Adds `Cache-Control: no-store` (token responses).
    pub no_store: bool,
    /// `Allow` header of a 405 (RFC 9110 requires it).
    pub allow: Option<String>,
}

impl Reply {
    fn new(status: StatusCode, body: Value) -> Self {
        Reply {
            status,
            body,
            www_authenticate: false,
            no_store: false,
            allow: None,
        }
    }

    fn ok(body: Value) -> Self {
        Reply {
            no_store: true,
            ..Reply::new(StatusCode::OK, body)
        }
    }

    pub fn bad_request(msg: &str) -> Self {
        Reply::new(
            StatusCode::BAD_REQUEST,
            json!({"detail": [{"loc": ["body"], "msg": msg, "type": "bad_request"}]}),
        )
    }

    fn unauthorized(msg: &str) -> Self {
        Reply::new(
            StatusCode::UNAUTHORIZED,
            json!({"detail": [{"msg": msg, "type": "unauthorized", "code": 401}]}),
        )
    }

    fn forbidden(msg: &str) -> Self {
        Reply::new(
            StatusCode::FORBIDDEN,
            json!({"detail": [{"msg": msg, "type": "forbidden", "code": 403}]}),
        )
    }

    fn invalid(errors: Vec<Value>) -> Self {
        Reply::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "detail": errors }),
        )
    }
}

/// One FastAPI (pydantic v1) validation error item.
fn verr(loc: Value, msg: &str, ty: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": ty})
}

fn missing(loc: Value) -> Value {
    verr(loc, "field required", "value_error.missing")
}

pub(crate) fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn valid_scopes(s: &str) -> bool {
    s.split(',').all(|p| SCOPES.contains(&p))
}

/// What a request is, for the counters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    PasswordGrant,
    RefreshGrant,
    PutRefresh,
    Challenge,
    Protected,
    Other,
}

pub(crate) fn classify(state: &State, method: &Method, path: &str, body: &[u8]) -> Kind {
    match (method, path) {
        (&Method::POST, "/token") => {
            let grant = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
                .ok()
                .and_then(|f| f.into_iter().rev().find(|(k, _)| k == "grant_type"))
                .map(|(_, v)| v);
            match grant.as_deref() {
                None | Some("") | Some("password") => Kind::PasswordGrant,
                Some("refresh_token") => Kind::RefreshGrant,
                Some(_) => Kind::Other,
            }
        }
        (&Method::PUT, "/token") => Kind::PutRefresh,
        (&Method::POST, "/token/challenge") => Kind::Challenge,
        _ if state
            .protected
            .iter()
            .any(|(m, p, _)| m == method && p == path) =>
        {
            Kind::Protected
        }
        _ => Kind::Other,
    }
}

pub(crate) struct Request<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

pub(crate) fn route(shared: &Shared, state: &mut State, req: &Request<'_>) -> Reply {
    match req.path {
        "/token" | "/token/challenge" => {
            let token_op = match (req.method, req.path) {
                (&Method::POST, "/token") => Some(Op::Create),
                (&Method::PUT, "/token") => Some(Op::Put),
                (&Method::POST, "/token/challenge") => Some(Op::Challenge),
                _ => None,
            };
            let Some(op) = token_op else {
                let allow = if req.path == "/token" {
                    "POST, PUT"
                } else {
                    "POST"
                };
                return method_not_allowed(allow.to_string());
            };
            let mut errors = query_errors(req.query);
            match op {
                Op::Create => create_token(shared, state, req, errors),
                Op::Put => put_token(shared, state, req, errors),
                Op::Challenge => match parse_challenge(req) {
                    Ok(c) if errors.is_empty() => complete_challenge(shared, state, c),
                    Ok(_) => Reply::invalid(errors),
                    Err(mut e) => {
                        errors.append(&mut e);
                        Reply::invalid(errors)
                    }
                },
            }
        }
        path => {
            let found = state
                .protected
                .iter()
                .find(|(m, p, _)| m == req.method && p == path)
                .map(|(_, _, v)| v.clone());
            match found {
                Some(body) => match state.check_bearer(req.headers) {
                    Ok(_) => Reply::new(StatusCode::OK, body),
                    Err(e) => {
                        let msg = match e {
                            BearerError::Missing => "Not authenticated",
                            BearerError::Invalid => "Invalid token",
                            BearerError::Expired => "Token has expired",
                        };
                        Reply {
                            www_authenticate: true,
                            ..Reply::unauthorized(msg)
                        }
                    }
                },
                None if state.protected.iter().any(|(_, p, _)| p == path) => {
                    let allow: Vec<&str> = state
                        .protected
                        .iter()
                        .filter(|(_, p, _)| p == path)
                        .map(|(m, _, _)| m.as_str())
                        .collect();
                    method_not_allowed(allow.join(", "))
                }
                None => Reply::new(StatusCode::NOT_FOUND, json!({"detail": "Not Found"})),
            }
        }
    }
}

enum Op {
    Create,
    Put,
    Challenge,
}

fn method_not_allowed(allow: String) -> Reply {
    Reply {
        allow: Some(allow),
        ..Reply::new(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail": "Method Not Allowed"}),
        )
    }
}

fn query_errors(query: Option<&str>) -> Vec<Value> {
    let pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    match pairs.into_iter().rev().find(|(k, _)| k == "version") {
        Some((_, v)) if v != "v1" && v != "v2" => vec![verr(
            json!(["query", "version"]),
            "value is not a valid enumeration member; permitted: 'v1', 'v2'",
            "type_error.enum",
        )],
        _ => Vec::new(),
    }
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(CONTENT_TYPE)?;
    let s = String::from_utf8_lossy(v.as_bytes());
    Some(
        s.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Form fields, the last value winning; empty values count as absent, as
/// FastAPI treats them for optional form fields.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn parse_form(req: &Request<'_>) -> Result<Form, Vec<Value>> {
    match media_type(req.headers).as_deref() {
        Some("application/x-www-form-urlencoded") => {}
        None if req.body.is_empty() => return Ok(Form(Vec::new())),
        _ => {
            return Err(vec![verr(
                json!(["body"]),
                "unsupported media type: expected application/x-www-form-urlencoded",
                "value_error.content_type",
            )]);
        }
    }
    let invalid = || {
        vec![verr(
            json!(["body"]),
            "invalid application/x-www-form-urlencoded body",
            "value_error.form",
        )]
    };
    if std::str::from_utf8(req.body).is_err() {
        return Err(invalid());
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(req.body).map_err(|_| invalid())?;
    // Percent-encoded bytes that are not UTF-8 decode to U+FFFD.
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
    {
        return Err(invalid());
    }
    Ok(Form(pairs))
}

fn parse_int(form: &Form, field: &str, errors: &mut Vec<Value>) -> Option<i64> {
    let v = form.get(field)?;
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(verr(
                json!(["body", field]),
                "value is not a valid integer",
                "type_error.integer",
            ));
            None
        }
    }
}

/// The validated optional fields shared by both grants of `POST /token`.
struct Common {
    account_id: Option<i64>,
    scopes: Option<Vec<String>>,
    expiration: Option<Duration>,
}

fn common_fields(form: &Form, errors: &mut Vec<Value>) -> Common {
    let account_id = parse_int(form, "account_id", errors);
    let scopes = match form.get("scopes") {
        Some(s) if valid_scopes(s) => Some(s.split(',').map(str::to_owned).collect()),
        Some(_) => {
            errors.push(verr(
                json!(["body", "scopes"]),
                "string does not match regex \"^(user|admin|internal|auth)(?:,(user|admin|internal|auth))*$\"",
                "value_error.str.regex",
            ));
            None
        }
        None => None,
    };
    let expiration = match parse_int(form, "expiration_seconds", errors) {
        Some(n) if n >= 600 => Some(Duration::from_secs(n.unsigned_abs())),
        Some(_) => {
            errors.push(verr(
                json!(["body", "expiration_seconds"]),
                "ensure this value is greater than or equal to 600",
                "value_error.number.not_ge",
            ));
            None
        }
        None => None,
    };
    Common {
        account_id,
        scopes,
        expiration,
    }
}

fn create_token(
    shared: &Shared,
    state: &mut State,
    req: &Request<'_>,
    mut errors: Vec<Value>,
) -> Reply {
    let form = match parse_form(req) {
        Ok(f) => f,
        Err(mut e) => {
            errors.append(&mut e);
            return Reply::invalid(errors);
        }
    };
    let grant_type = form.get("grant_type").unwrap_or("password");
    if grant_type != "password" && grant_type != "refresh_token" {
        errors.push(verr(
            json!(["body", "grant_type"]),
            "value is not a valid enumeration member; permitted: 'password', 'refresh_token'",
            "type_error.enum",
        ));
    }
    let username = form.get("username");
    if let Some(u) = username
        && !looks_like_email(u)
    {
        errors.push(verr(
            json!(["body", "username"]),
            "value is not a valid email address",
            "value_error.email",
        ));
    }
    let common = common_fields(&form, &mut errors);
    match grant_type {
        "password" => {
            if username.is_none() {
                errors.push(missing(json!(["body", "username"])));
            }
            if form.get("password").is_none() {
                errors.push(missing(json!(["body", "password"])));
            }
        }
        "refresh_token" if form.get("refresh_token").is_none() => {
            errors.push(missing(json!(["body", "refresh_token"])));
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Reply::invalid(errors);
    }
    if grant_type == "refresh_token" {
        let token = form.get("refresh_token").unwrap_or_default();
        return refresh(shared, state, token, common);
    }
    let (username, password) = (
        username.unwrap_or_default(),
        form.get("password").unwrap_or_default(),
    );
    let Some(user) = state
        .user(username)
        .filter(|u| u.password == password)
        .cloned()
    else {
        return Reply::unauthorized("Incorrect username or password");
    };
    let account_id = match check_account(&user.accounts, common.account_id) {
        Ok(a) => a,
        Err(reply) => return reply,
    };
    let grant = Grant {
        username: user.username.clone(),
        account_id,
        scopes: common.scopes.unwrap_or_else(|| vec!["user".to_owned()]),
        lifetime: common.expiration,
    };
    if user.mfa_code.is_some() {
        let challenge = state.new_challenge(grant);
        return if shared.config.mfa_challenge_status == StatusCode::OK {
            Reply::ok(json!({ "challenge": challenge }))
        } else {
            let mut r = Reply::unauthorized("Multi-factor authentication required");
            r.status = shared.config.mfa_challenge_status;
            if let Some(obj) = r.body.as_object_mut() {
                obj.insert("challenge".to_owned(), Value::String(challenge));
            }
            r
        };
    }
    let tokens = state.issue(grant, shared.config.token_lifetime);
    Reply::ok(serde_json::to_value(tokens).unwrap_or(Value::Null))
}

fn check_account(accounts: &[u64], requested: Option<i64>) -> Result<Option<u64>, Reply> {
    match requested {
        None => Ok(None),
        Some(id) => match u64::try_from(id) {
            Ok(id) if accounts.contains(&id) => Ok(Some(id)),
            _ => Err(Reply::forbidden("Account not accessible")),
        },
    }
}

fn refresh(shared: &Shared, state: &mut State, token: &str, common: Common) -> Reply {
    let Some(mut grant) = state.refresh.get(token).cloned() else {
        return Reply::unauthorized("Invalid refresh token");
    };
    let accounts = state
        .user(&grant.username)
        .map(|u| u.accounts.clone())
        .unwrap_or_default();
    if common.account_id.is_some() {
        match check_account(&accounts, common.account_id) {
            Ok(a) => grant.account_id = a,
            Err(reply) => return reply,
        }
    }
    if let Some(s) = common.scopes {
        grant.scopes = s;
    }
    if common.expiration.is_some() {
        grant.lifetime = common.expiration;
    }
    // Rotation: the old refresh token is single-use.
    state.refresh.remove(token);
    let tokens = state.issue(grant, shared.config.token_lifetime);
    Reply::ok(serde_json::to_value(tokens).unwrap_or(Value::Null))
}

fn put_token(
    shared: &Shared,
    state: &mut State,
    req: &Request<'_>,
    mut errors: Vec<Value>,
) -> Reply {
    let form = match parse_form(req) {
        Ok(f) => f,
        Err(mut e) => {
            errors.append(&mut e);
            return Reply::invalid(errors);
        }
    };
    if form.get("grant_type").is_some_and(|g| g != "refresh_token") {
        errors.push(verr(
            json!(["body", "grant_type"]),
            "value is not a valid enumeration member; permitted: 'refresh_token'",
            "type_error.enum",
        ));
    }
    let token = form.get("refresh_token");
    if token.is_none() {
        errors.push(missing(json!(["body", "refresh_token"])));
    }
    if !errors.is_empty() {
        return Reply::invalid(errors);
    }
    let common = Common {
        account_id: None,
        scopes: None,
        expiration: None,
    };
    refresh(shared, state, token.unwrap_or_default(), common)
}

struct ChallengeRequest {
    challenge: String,
    code: String,
    scopes: Vec<String>,
}

fn parse_challenge(req: &Request<'_>) -> Result<ChallengeRequest, Vec<Value>> {
    let not_dict = || {
        vec![verr(
            json!(["body"]),
            "value is not a valid dict",
            "type_error.dict",
        )]
    };
    match media_type(req.headers).as_deref() {
        None | Some("application/json") => {}
        Some(m) if m.starts_with("application/") && m.ends_with("+json") => {}
        Some(_) => return Err(not_dict()),
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![missing(json!(["body"]))]);
    }
    let value: Value = match serde_json::from_slice(req.body) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("JSON decode error: {e}");
            return Err(vec![verr(
                json!(["body", e.column()]),
                &msg,
                "value_error.jsondecode",
            )]);
        }
    };
    let Some(obj) = value.as_object() else {
        return Err(not_dict());
    };
    let mut errors = Vec::new();
    let mut string_field = |name: &str| match obj.get(name) {
        None | Some(Value::Null) => {
            errors.push(missing(json!(["body", name])));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(verr(
                json!(["body", name]),
                "str type expected",
                "type_error.str",
            ));
            None
        }
    };
    let challenge = string_field("challenge");
    let code = string_field("code");
    if let Some(c) = &code {
        let six = c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
        let recovery = c.len() == 12 && c.bytes().all(|b| b.is_ascii_hexdigit());
        if !six && !recovery {
            errors.push(verr(
                json!(["body", "code"]),
                "string does not match regex \"^[0-9]+$\" (6 digits) or \"^[0-9a-fA-F]+$\" (12 characters)",
                "value_error.str.regex",
            ));
        }
    }
    let mut scopes = vec!["user".to_owned()];
    match obj.get("scopes") {
        None => {}
        Some(Value::Array(items)) => {
            scopes.clear();
            for (i, item) in items.iter().enumerate() {
                match item.as_str().filter(|s| SCOPES.contains(s)) {
                    Some(s) if scopes.iter().any(|x| x == s) => errors.push(verr(
                        json!(["body", "scopes"]),
                        "the list has duplicated items",
                        "value_error.list.unique_items",
                    )),
                    Some(s) => scopes.push(s.to_owned()),
                    None => errors.push(verr(
                        json!(["body", "scopes", i]),
                        "value is not a valid enumeration member; permitted: 'user', 'admin', 'internal', 'auth'",
                        "type_error.enum",
                    )),
                }
            }
        }
        Some(_) => errors.push(verr(
            json!(["body", "scopes"]),
            "value is not a valid list",
            "type_error.list",
        )),
    }
    match (challenge, code) {
        (Some(challenge), Some(code)) if errors.is_empty() => Ok(ChallengeRequest {
            challenge,
            code,
            scopes,
        }),
        _ => Err(errors),
    }
}

fn complete_challenge(shared: &Shared, state: &mut State, req: ChallengeRequest) -> Reply {
    let Some(grant) = state.challenges.get(&req.challenge).cloned() else {
        return Reply::unauthorized("Invalid or expired challenge");
    };
    let Some(user) = state.user(&grant.username).cloned() else {
        return Reply::unauthorized("Invalid or expired challenge");
    };
    let code_ok = user.mfa_code.as_deref() == Some(req.code.as_str());
    let recovery_ok = !code_ok
        && user
            .recovery_code
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(&req.code))
        && !state
            .used_recovery
            .iter()
            .any(|(u, c)| *u == user.username && c.eq_ignore_ascii_case(&req.code));
    if !code_ok && !recovery_ok {
        return Reply::unauthorized("Invalid verification code");
    }
    if recovery_ok {
        state
            .used_recovery
            .push((user.username.clone(), req.code.clone()));
    }
    state.challenges.remove(&req.challenge);
    let grant = Grant {
        scopes: req.scopes,
        ..grant
    };
    let tokens = state.issue(grant, shared.config.token_lifetime);
    Reply::ok(serde_json::to_value(tokens).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(looks_like_email("a@b.c"));
        assert!(!looks_like_email("ab.c"));
        assert!(!looks_like_email("a@b@c"));
        assert!(!looks_like_email("a b@c"));
        assert!(!looks_like_email("@c"));
    }

    #[test]
    fn scopes() {
        assert!(valid_scopes("user"));
        assert!(valid_scopes("user,admin,auth"));
        assert!(!valid_scopes("user,"));
        assert!(!valid_scopes(""));
        assert!(!valid_scopes("root"));
    }
}
