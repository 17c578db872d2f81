//! The SDK's whole lifecycle in one run: `cargo run --example quickstart`.
//!
//! With no `CAKEMAIL_*` variables it starts the local Cakemail token server
//! (cakemail-mock) in-process and shows login, the token's expiry and
//! accounts, a call made with the token, a forced refresh and an MFA login.
//! With `CAKEMAIL_USERNAME`/`CAKEMAIL_PASSWORD` (or `CAKEMAIL_ACCESS_TOKEN`)
//! set, it logs in to the real API instead (`CAKEMAIL_API_BASE` to change it).
//! Every secret prints as `[redacted]`.

use std::process::ExitCode;
use std::time::SystemTime;

use cakemail_mock::{Method, MockServer, User};
use cakemail_sdk::auth::{Credentials, TokenInfo};
use cakemail_sdk::{Client, ClientBuilder, Error};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let from_env = ClientBuilder::from_env()?;
    if from_env.has_credentials() {
        return real_api(from_env).await;
    }
    local_server().await
}

async fn real_api(builder: ClientBuilder) -> Result<(), Box<dyn std::error::Error>> {
    let client = builder.build()?;
    println!(
        "CAKEMAIL_* variables found: talking to the real API at {}",
        client.base_url()
    );
    let auth = client.auth().ok_or("no credentials")?;
    match auth.login().await {
        Ok(info) => describe("logged in", &info),
        Err(Error::MfaRequired(_)) => {
            println!("this account needs an MFA code; see the MFA part of the local demo")
        }
        Err(e) => return Err(e.into()),
    }
    println!("access token: {:?}", auth.access_token().await?);
    Ok(())
}

async fn local_server() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::builder()
        .user(User::new("demo@example.com", "demo-password").accounts([1001, 1002]))
        .user(
            User::new("mfa@example.com", "demo-password")
                .accounts([2001])
                .mfa_code("123456"),
        )
        .start()
        .await?;
    server.protect(
        Method::GET,
        "/accounts/self",
        serde_json::json!({"id": 1001, "name": "Demo Inc."}),
    );
    println!(
        "No CAKEMAIL_* variables: using a local Cakemail token server at {}",
        server.url()
    );
    println!("(set CAKEMAIL_USERNAME and CAKEMAIL_PASSWORD to use the real API)\n");

    // 1. Log in with a password.
    let credentials = Credentials::password("demo@example.com", "demo-password");
    println!("credentials: {credentials:?}");
    let client = Client::builder()
        .base_url(server.url())
        .credentials(credentials)
        .build()?;
    let auth = client.auth().ok_or("no credentials")?;
    let info = auth.login().await?;
    describe("1. logged in", &info);
    println!("   access token: {:?}", auth.access_token().await?);

    // 2. A call made with the token (any Cakemail endpoint).
    let request = client
        .http_client()
        .get(format!("{}/accounts/self", client.base_url()))
        .build()?;
    let response = client.send_authorized(request).await?;
    let status = response.status();
    println!(
        "2. GET /accounts/self with the bearer token: {status} {}",
        response.text().await?
    );

    // 3. A forced refresh (POST /token, grant_type=refresh_token).
    let info = auth.force_refresh().await?;
    describe("3. refreshed", &info);

    // 4. An MFA login, completed with the code.
    let mfa = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::password("mfa@example.com", "demo-password"))
        .build()?;
    let mfa_auth = mfa.auth().ok_or("no credentials")?;
    match mfa_auth.login().await {
        Err(Error::MfaRequired(challenge)) => {
            println!("4. MFA required, challenge {challenge:?}; completing it with the code");
            let info = mfa_auth.complete_mfa(&challenge, "123456").await?;
            describe("   MFA login complete", &info);
        }
        other => println!("4. expected an MFA challenge, got {other:?}"),
    }

    let counters = server.counters();
    println!(
        "\nserver saw {} requests: {} password logins, {} refreshes, {} MFA completions, {} API calls",
        counters.total_requests,
        counters.password_grants,
        counters.refresh_grants,
        counters.challenge_completions,
        counters.protected_calls
    );
    Ok(())
}

fn describe(what: &str, info: &TokenInfo) {
    let expires = info
        .expires_at
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .map(|d| format!("in {} s", d.as_secs()))
        .unwrap_or_else(|| "unknown".into());
    println!(
        "{what}: token expires {expires}, accounts {:?}",
        info.accounts
    );
}
