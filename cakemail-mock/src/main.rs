//! `cakemail-mock`: runs the mock Cakemail Token API server until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cakemail_mock::{MockServer, User, Users};
use clap::Parser;

const DEMO_USERNAME: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "demo-password";
const DEMO_ACCOUNT: u64 = 1001;

/// A local Cakemail Token API server for tests and quickstarts.
///
/// Prints the base URL on the first line of standard output.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// JSON file of users: [{"username", "password", "accounts"?, "mfa_code"?, "recovery_code"?}].
    /// Without it, a demo user is configured.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Access token lifetime in seconds (expires_in).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_lifetime: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let (users, demo) = match &args.users {
        Some(path) => match Users::from_file(path) {
            Ok(u) => (u.into_iter().collect::<Vec<_>>(), false),
            Err(e) => {
                eprintln!("cakemail-mock: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => (
            vec![User::new(DEMO_USERNAME, DEMO_PASSWORD).accounts([DEMO_ACCOUNT])],
            true,
        ),
    };
    let count = users.len();
    let server = match MockServer::builder()
        .users(users)
        .addr(args.addr)
        .token_lifetime(Duration::from_secs(args.token_lifetime))
        .start()
        .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cakemail-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Register the Ctrl-C handler (on first poll) before announcing the URL,
    // so a signal sent right after reading it is not missed.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let early = tokio::select! {
        biased;
        r = &mut ctrl_c => Some(r),
        () = std::future::ready(()) => None,
    };
    println!("{}", server.url());
    if demo {
        println!(
            "demo user: username {DEMO_USERNAME} password {DEMO_PASSWORD} account {DEMO_ACCOUNT}"
        );
    } else {
        println!("{count} user(s) loaded");
    }
    println!("press Ctrl-C to stop");
    let result = match early {
        Some(r) => r,
        None => ctrl_c.await,
    };
    if let Err(e) = result {
        eprintln!("cakemail-mock: cannot wait for Ctrl-C: {e}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}
