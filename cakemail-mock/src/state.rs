//! Server state: users, tokens, counters, recorded requests and faults.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::fault::ScriptedFault;
use crate::user::User;

/// A snapshot of the server's request counters.
///
/// The per-kind counts (`password_grants`, `refresh_grants`, ...) count the
/// requests *received* of that kind, whatever their outcome, including
/// faulted ones; `tokens_issued`, `failed` and `unauthorized` count outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Every request received, on any path.
    pub total_requests: u64,
    /// `POST /token` with `grant_type=password` (or no grant type).
    pub password_grants: u64,
    /// `POST /token` with `grant_type=refresh_token`.
    pub refresh_grants: u64,
    /// `PUT /token` (the deprecated refresh).
    pub put_refreshes: u64,
    /// `POST /token/challenge`.
    pub challenge_completions: u64,
    /// Requests to endpoints registered with [`MockServer::protect`](crate::MockServer::protect).
    pub protected_calls: u64,
    /// Token responses sent (access + refresh pairs).
    pub tokens_issued: u64,
    /// MFA challenges sent.
    pub challenges_issued: u64,
    /// Responses with a status of 400 or more, plus every fault other than
    /// [`Fault::Latency`](crate::Fault::Latency).
    pub failed: u64,
    /// Responses with status 401.
    pub unauthorized: u64,
    /// Faults taken from the queue (including latency).
    pub faults_injected: u64,
}

/// A request as the server received it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw body bytes (cut at the server's body limit).
    pub body: Bytes,
    /// The status sent, or `None` when the connection was dropped (or the
    /// response is not sent yet).
    pub status: Option<StatusCode>,
    /// The kind of fault applied to it (e.g. `"close_mid_response"`), if any.
    pub fault: Option<&'static str>,
    pub(crate) seq: u64,
}

impl RecordedRequest {
    /// A header's value as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Option<Vec<(String, String)>> {
        serde_urlencoded::from_bytes(&self.body).ok()
    }

    /// The value of a form field (the last one if repeated).
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form()?
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What an access token grants, as returned by
/// [`MockServer::check_bearer`](crate::MockServer::check_bearer).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The user it was issued to.
    pub username: String,
    /// The account it is scoped to (`account_id` of the grant), if any.
    pub account_id: Option<u64>,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// All the account ids the user can access.
    pub accounts: Vec<u64>,
}

/// A token pair issued directly by [`MockServer::issue_tokens`](crate::MockServer::issue_tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IssuedTokens {
    /// The bearer access token.
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// The refresh token.
    pub refresh_token: String,
    /// The user's account ids.
    pub accounts: Vec<u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub username: String,
    pub account_id: Option<u64>,
    pub scopes: Vec<String>,
    /// `expiration_seconds` of the original request, kept across refreshes.
    pub lifetime: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct AccessEntry {
    pub grant: Grant,
    /// `None` when the lifetime overflows `Instant`: never expires.
    pub expires_at: Option<Instant>,
    pub expired: bool,
}

pub(crate) struct Config {
    pub token_lifetime: Duration,
    pub mfa_challenge_status: StatusCode,
    pub record_limit: usize,
    pub max_body: usize,
}

#[derive(Default)]
pub(crate) struct State {
    pub users: Vec<User>,
    pub access: HashMap<String, AccessEntry>,
    pub refresh: HashMap<String, Grant>,
    pub challenges: HashMap<String, Grant>,
    /// Recovery codes already used, as (username, code).
    pub used_recovery: Vec<(String, String)>,
    pub protected: Vec<(Method, String, Value)>,
    pub faults: VecDeque<ScriptedFault>,
    pub counters: Counters,
    pub records: VecDeque<RecordedRequest>,
    pub seq: u64,
}

pub(crate) struct Shared {
    pub config: Config,
    state: Mutex<State>,
}

pub(crate) enum BearerError {
    Missing,
    Invalid,
    Expired,
}

impl Shared {
    pub fn new(config: Config, users: Vec<User>) -> Self {
        Shared {
            config,
            state: Mutex::new(State {
                users,
                ..State::default()
            }),
        }
    }

    /// Never panics: a poisoned lock (a panic elsewhere) still gives the state.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }

    fn next_token(&mut self, prefix: &str) -> String {
        self.seq += 1;
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(self.seq);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.write_u128(nanos);
        format!("{prefix}_{:06}_{:016x}", self.seq, h.finish())
    }

    pub fn issue(&mut self, grant: Grant, default_lifetime: Duration) -> IssuedTokens {
        let lifetime = grant.lifetime.unwrap_or(default_lifetime);
        let accounts = self
            .user(&grant.username)
            .map(|u| u.accounts.clone())
            .unwrap_or_default();
        let access_token = self.next_token("cmk_at");
        let refresh_token = self.next_token("cmk_rt");
        self.access.insert(
            access_token.clone(),
            AccessEntry {
                grant: grant.clone(),
                expires_at: Instant::now().checked_add(lifetime),
                expired: false,
            },
        );
        self.refresh.insert(refresh_token.clone(), grant);
        self.counters.tokens_issued += 1;
        IssuedTokens {
            access_token,
            token_type: "bearer".to_owned(),
            expires_in: lifetime.as_secs(),
            refresh_token,
            accounts,
        }
    }

    pub fn new_challenge(&mut self, grant: Grant) -> String {
        let c = self.next_token("cmk_ch");
        self.challenges.insert(c.clone(), grant);
        self.counters.challenges_issued += 1;
        c
    }

    pub fn check_bearer(&self, headers: &HeaderMap) -> Result<TokenInfo, BearerError> {
        let value = headers
            .get(hyper::header::AUTHORIZATION)
            .ok_or(BearerError::Missing)?;
        let value = value.to_str().map_err(|_| BearerError::Invalid)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(BearerError::Invalid)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(BearerError::Invalid);
        }
        let entry = self.access.get(token.trim()).ok_or(BearerError::Invalid)?;
        let expired = entry.expired || entry.expires_at.is_some_and(|t| Instant::now() >= t);
        if expired {
            return Err(BearerError::Expired);
        }
        let g = &entry.grant;
        Ok(TokenInfo {
            username: g.username.clone(),
            account_id: g.account_id,
            scopes: g.scopes.clone(),
            accounts: self
                .user(&g.username)
                .map(|u| u.accounts.clone())
                .unwrap_or_default(),
        })
    }

    pub fn take_fault(&mut self, path: &str) -> Option<ScriptedFault> {
        let i = self.faults.iter().position(|f| f.matches(path))?;
        self.faults.remove(i)
    }

    pub fn record(&mut self, rec: RecordedRequest, limit: usize) {
        if limit == 0 {
            return;
        }
        while self.records.len() >= limit {
            self.records.pop_front();
        }
        self.records.push_back(rec);
    }

    pub fn set_status(&mut self, seq: u64, status: StatusCode) {
        if let Some(r) = self.records.iter_mut().rev().find(|r| r.seq == seq) {
            r.status = Some(status);
        }
    }
}
