//! The HTTP server and its control handle.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::body::MockBody;
use crate::fault::{Fault, ScriptedFault};
use crate::handlers::{self, Kind, Reply};
use crate::state::{Config, Counters, Grant, IssuedTokens, RecordedRequest, Shared, TokenInfo};
use crate::{MockError, User};

/// Request bodies above this size get a 400.
const MAX_BODY: usize = 64 * 1024;
const DEFAULT_RECORD_LIMIT: usize = 100;

/// Configures and starts a [`MockServer`]; see [`MockServer::builder`].
#[derive(Debug)]
#[must_use = "call .start().await to run the server"]
pub struct MockServerBuilder {
    users: Vec<User>,
    token_lifetime: Duration,
    addr: SocketAddr,
    mfa_challenge_status: StatusCode,
    record_limit: usize,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            users: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            mfa_challenge_status: StatusCode::OK,
            record_limit: DEFAULT_RECORD_LIMIT,
        }
    }
}

impl MockServerBuilder {
    /// Adds a user who can log in. Repeatable.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Adds several users (e.g. a [`Users`](crate::Users) list).
    pub fn users(mut self, users: impl IntoIterator<Item = User>) -> Self {
        self.users.extend(users);
        self
    }

    /// Lifetime of access tokens, reported as `expires_in` (whole seconds).
    /// Default: 3600 s. A grant's `expiration_seconds` overrides it.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Address to listen on. Default `127.0.0.1:0` (a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Status of the `POST /token` answer for an MFA user.
    ///
    /// `200` (the default) sends `{"challenge": "..."}`, the document's
    /// `ChallengeResponse`. Any other status (the operation's description
    /// says `401`) sends an `HTTPUnauthorizedError` body with an extra
    /// `challenge` field.
    pub fn mfa_challenge_status(mut self, status: StatusCode) -> Self {
        self.mfa_challenge_status = status;
        self
    }

    /// How many requests [`MockServer::requests`] keeps (the most recent).
    /// Default 100; 0 records none.
    pub fn record_limit(mut self, n: usize) -> Self {
        self.record_limit = n;
        self
    }

    /// Binds the socket and starts serving on the current Tokio runtime.
    ///
    /// Fails if a user is invalid (username not an email address, MFA code
    /// not 6 digits, recovery code not 12 hex digits, duplicate username) or
    /// the address cannot be bound.
    pub async fn start(mut self) -> Result<MockServer, MockError> {
        self.users.iter_mut().for_each(User::normalize);
        for (i, u) in self.users.iter().enumerate() {
            u.validate()?;
            if self.users[..i].iter().any(|o| o.username == u.username) {
                return Err(MockError::InvalidUser(format!(
                    "duplicate username {}",
                    u.username
                )));
            }
        }
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| MockError::Bind {
                addr: self.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            addr: self.addr,
            source,
        })?;
        let shared = Arc::new(Shared::new(
            Config {
                token_lifetime: self.token_lifetime,
                mfa_challenge_status: self.mfa_challenge_status,
                record_limit: self.record_limit,
                max_body: MAX_BODY,
            },
            self.users,
        ));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, shared.clone(), rx));
        tracing::debug!(%addr, "cakemail-mock listening");
        Ok(MockServer {
            shared,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running mock Cakemail Token API server.
///
/// Start one with [`MockServer::builder`]. It serves until
/// [`shutdown`](MockServer::shutdown) or until dropped. All control
/// methods are synchronous and can be called while requests are in flight.
#[derive(Debug)]
pub struct MockServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl MockServer {
    /// A builder with no users, a 3600 s token lifetime, on `127.0.0.1:0`.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The bound address (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:43121` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Adds a user while running.
    pub fn add_user(&self, mut user: User) -> Result<(), MockError> {
        user.normalize();
        user.validate()?;
        let mut st = self.shared.lock();
        if st.user(&user.username).is_some() {
            return Err(MockError::InvalidUser(format!(
                "duplicate username {}",
                user.username
            )));
        }
        st.users.push(user);
        Ok(())
    }

    /// Issues a token pair for a configured user without any request (no
    /// counters change except `tokens_issued`). `None` for an unknown user.
    pub fn issue_tokens(&self, username: &str) -> Option<IssuedTokens> {
        let mut st = self.shared.lock();
        st.user(username)?;
        let grant = Grant {
            username: username.to_owned(),
            account_id: None,
            scopes: vec!["user".to_owned()],
            lifetime: None,
        };
        Some(st.issue(grant, self.shared.config.token_lifetime))
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.lock().counters
    }

    /// Resets all counters to zero.
    pub fn reset_counters(&self) {
        self.shared.lock().counters = Counters::default();
    }

    /// The most recent requests, oldest first (see
    /// [`MockServerBuilder::record_limit`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().records.iter().cloned().collect()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().records.back().cloned()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().records.clear();
    }

    /// Queues a fault for the next matching request.
    ///
    /// ```no_run
    /// # async fn f(server: cakemail_mock::MockServer) {
    /// use cakemail_mock::Fault;
    /// server.push_fault(Fault::too_many_requests(1));
    /// server.push_fault(Fault::CloseMidResponse.on_path("/token"));
    /// # }
    /// ```
    pub fn push_fault(&self, fault: impl Into<ScriptedFault>) {
        self.shared.lock().faults.push_back(fault.into());
    }

    /// Queues several faults, applied in order (FIFO) to the next matching
    /// requests; requests that match none get normal answers.
    pub fn script<F: Into<ScriptedFault>>(&self, faults: impl IntoIterator<Item = F>) {
        let mut st = self.shared.lock();
        st.faults.extend(faults.into_iter().map(Into::into));
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// How many faults are still queued.
    pub fn pending_faults(&self) -> usize {
        self.shared.lock().faults.len()
    }

    /// Revokes every refresh token: refreshing with any of them gets 401.
    pub fn revoke_refresh_tokens(&self) {
        self.shared.lock().refresh.clear();
    }

    /// Revokes one refresh token; `false` if it was not valid.
    pub fn revoke_refresh_token(&self, token: &str) -> bool {
        self.shared.lock().refresh.remove(token).is_some()
    }

    /// Marks every access token issued so far as expired: protected
    /// endpoints answer 401 to them. Tokens issued later are unaffected.
    pub fn expire_access_tokens(&self) {
        for e in self.shared.lock().access.values_mut() {
            e.expired = true;
        }
    }

    /// Marks one access token as expired; `false` if unknown.
    pub fn expire_access_token(&self, token: &str) -> bool {
        match self.shared.lock().access.get_mut(token) {
            Some(e) => {
                e.expired = true;
                true
            }
            None => false,
        }
    }

    /// Serves `body` (status 200, JSON) at `method path` to requests with a
    /// valid, unexpired `Authorization: Bearer <access token>`; others get
    /// 401 with an `HTTPUnauthorizedError` body and `WWW-Authenticate: Bearer`.
    /// Registering the same route again replaces its body.
    ///
    /// ```no_run
    /// # async fn f(server: cakemail_mock::MockServer) {
    /// use cakemail_mock::Method;
    /// server.protect(Method::GET, "/accounts/self", serde_json::json!({"data": {"id": 1}}));
    /// # }
    /// ```
    pub fn protect(&self, method: Method, path: impl Into<String>, body: Value) {
        let path = path.into();
        let mut st = self.shared.lock();
        st.protected
            .retain(|(m, p, _)| !(*m == method && *p == path));
        st.protected.push((method, path, body));
    }

    /// Checks an `Authorization: Bearer` header against the issued access
    /// tokens: `Some` for a valid, unexpired one. For custom endpoints.
    pub fn check_bearer(&self, headers: &HeaderMap) -> Option<TokenInfo> {
        self.shared.lock().check_bearer(headers).ok()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    // Dropping the set when the loop ends aborts every open connection.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, shared.clone()));
                }
                Err(e) => {
                    // E.g. too many open files: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| handle(shared.clone(), req));
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, io::Error> {
    let (parts, body) = req.into_parts();
    let (body, too_large) = match Limited::new(body, shared.config.max_body).collect().await {
        Ok(c) => (c.to_bytes(), false),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => (Bytes::new(), true),
        // The client went away mid-body: nothing to answer.
        Err(e) => return Err(io::Error::other(e)),
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);

    let (seq, fault) = {
        let mut st = shared.lock();
        st.counters.total_requests += 1;
        let seq = st.counters.total_requests;
        match handlers::classify(&st, &parts.method, &path, &body) {
            Kind::PasswordGrant => st.counters.password_grants += 1,
            Kind::RefreshGrant => st.counters.refresh_grants += 1,
            Kind::PutRefresh => st.counters.put_refreshes += 1,
            Kind::Challenge => st.counters.challenge_completions += 1,
            Kind::Protected => st.counters.protected_calls += 1,
            Kind::Other => {}
        }
        let fault = st.take_fault(&path).map(|f| f.fault);
        if fault.is_some() {
            st.counters.faults_injected += 1;
        }
        let rec = RecordedRequest {
            method: parts.method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers: parts.headers.clone(),
            body: body.clone(),
            status: None,
            fault: fault.as_ref().map(Fault::kind),
            seq,
        };
        st.record(rec, shared.config.record_limit);
        (seq, fault)
    };
    tracing::debug!(method = %parts.method, %path, fault = fault.as_ref().map(Fault::kind), "request");

    if let Some(fault) = fault {
        match fault {
            Fault::Latency(d) => tokio::time::sleep(d).await,
            other => {
                let (status, response) = fault_response(other);
                let mut st = shared.lock();
                st.counters.failed += 1;
                if let Some(s) = status {
                    st.set_status(seq, s);
                }
                return response;
            }
        }
    }

    let reply = {
        let mut st = shared.lock();
        let reply = if too_large {
            Reply::bad_request("Request body too large")
        } else {
            let req = handlers::Request {
                method: &parts.method,
                path: &path,
                query: query.as_deref(),
                headers: &parts.headers,
                body: &body,
            };
            handlers::route(&shared, &mut st, &req)
        };
        if reply.status.as_u16() >= 400 {
            st.counters.failed += 1;
        }
        if reply.status == StatusCode::UNAUTHORIZED {
            st.counters.unauthorized += 1;
        }
        st.set_status(seq, reply.status);
        reply
    };
    tracing::debug!(status = reply.status.as_u16(), %path, "response");
    Ok(json_response(reply))
}

fn json_response(reply: Reply) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::full(reply.body.to_string()));
    *resp.status_mut() = reply.status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if reply.no_store {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if reply.www_authenticate {
        h.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(allow) = reply.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        h.insert(hyper::header::ALLOW, allow);
    }
    resp
}

fn with(status: StatusCode, content_type: &'static str, body: MockBody) -> Response<MockBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// The response for a fault (other than latency), and the status it sends.
fn fault_response(fault: Fault) -> (Option<StatusCode>, Result<Response<MockBody>, io::Error>) {
    let json = "application/json";
    let resp = match fault {
        Fault::Latency(_) => with(StatusCode::OK, json, MockBody::empty()),
        Fault::Status {
            status,
            headers,
            body,
        } => {
            let mut resp = Response::new(MockBody::full(body));
            *resp.status_mut() = status;
            resp.headers_mut().extend(headers);
            resp.headers_mut().remove(CONTENT_LENGTH);
            resp
        }
        Fault::MalformedJson => with(
            StatusCode::OK,
            json,
            MockBody::full(&b"{\"access_token\": \"cmk_malformed\", \"token_type\": \"bearer\", \"expires_in\": "[..]),
        ),
        Fault::TruncatedBody => {
            let sent = Bytes::from_static(b"{\"access_token\": \"cmk_truncated\", \"token_type\": \"be");
            let announced = sent.len() + 200;
            let mut resp = with(StatusCode::OK, json, MockBody::truncated(sent));
            resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(announced));
            resp
        }
        Fault::WrongContentType => with(
            StatusCode::OK,
            "text/html; charset=utf-8",
            MockBody::full(
                &b"<!DOCTYPE html><html><head><title>Cakemail</title></head>\
                   <body><h1>Down for maintenance</h1></body></html>"[..],
            ),
        ),
        Fault::CloseMidResponse => {
            let mut resp = with(StatusCode::OK, json, MockBody::abort());
            resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(256u32));
            resp
        }
        Fault::CloseBeforeResponse => {
            return (
                None,
                Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "cakemail-mock: injected CloseBeforeResponse",
                )),
            );
        }
        Fault::LargeBody(n) => with(StatusCode::OK, json, MockBody::large(n)),
    };
    (Some(resp.status()), Ok(resp))
}
