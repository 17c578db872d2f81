//! The `cakemail-mock` binary: prints its URL first and serves the users given.
#![cfg(feature = "cli")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cakemail-mock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
    }
    (running, lines)
}

#[tokio::test]
async fn demo_user() {
    let (_child, lines) = start(&[]);
    let url = &lines[0];
    assert!(url.starts_with("http://127.0.0.1:"), "{lines:?}");
    assert!(lines[1].contains("demo@example.com"), "{lines:?}");
    let r = login(
        &common::http_client(),
        url,
        "demo@example.com",
        "demo-password",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["accounts"], serde_json::json!([1001]));
}

#[tokio::test]
async fn users_file_and_lifetime() {
    let path = std::env::temp_dir().join(format!("cakemail-mock-cli-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"users": [{"username": "cli@example.com", "password": "pw", "accounts": [5]}]}"#,
    )
    .unwrap();
    let (_child, lines) = start(&["--users", path.to_str().unwrap(), "--token-lifetime", "120"]);
    std::fs::remove_file(&path).unwrap();
    let r = login(&common::http_client(), &lines[0], "cli@example.com", "pw").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["expires_in"], 120);
}

#[test]
fn bad_users_file_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_cakemail-mock"))
        .args(["--users", "/nonexistent/users.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("users file"));
}

#[cfg(unix)]
#[test]
fn stops_on_ctrl_c() {
    let (mut child, lines) = start(&[]);
    assert!(lines[0].starts_with("http://"));
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    // Bounded wait for the exit; no timing is asserted.
    let mut status = None;
    for _ in 0..500 {
        status = child.0.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
}
