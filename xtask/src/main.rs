//! `cargo xtask`: the maintainer's commands.
//!
//! - `cargo xtask generate` normalizes the upstream document, rewrites
//!   `openapi/token-api.normalized.json`, and refreshes the insta snapshot of
//!   the generated client (pending review unless `--accept`), listing the
//!   public Rust items that changed.
//! - `cargo xtask generate --check` changes nothing and fails with a diff when
//!   either is stale (CI runs this).
//! - `cargo xtask test` runs the whole suite.
//! - `cargo xtask spec import|diff|bench` follows Cakemail's changing document
//!   (see `spec.rs` and docs/spec-evolution.md).

mod api_diff;
mod spec;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use cakemail_codegen::{NORMALIZED, Target, UPSTREAM};
use clap::{Parser, Subcommand};

/// Snapshot of the generated client, kept by insta.
const SNAPSHOT: &str = "cakemail-codegen/tests/snapshots/snapshot__token_api_client.snap";

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintainer tasks for cakemail-sdk")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Re-run normalization and generation; refresh the normalized document and the snapshot.
    Generate {
        /// Change nothing; fail with a diff if anything is stale.
        #[arg(long)]
        check: bool,
        /// Accept snapshot changes directly instead of leaving them for `cargo insta review`.
        #[arg(long, conflicts_with = "check")]
        accept: bool,
    },
    /// Import, compare and benchmark upstream documents (see docs/spec-evolution.md).
    Spec {
        #[command(subcommand)]
        command: spec::SpecCmd,
    },
    /// Run the whole test suite (unit, integration, doc tests).
    Test {
        /// Extra arguments passed to `cargo test`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Generate { check, accept } => generate(check, accept),
        Cmd::Test { args } => test(&args),
        Cmd::Spec { command } => spec::run(&root(), command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // xtask/ sits at the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn generate(check: bool, accept: bool) -> Result<(), String> {
    let root = root();
    let upstream = root.join(UPSTREAM);
    let output = cakemail_codegen::run(&upstream, &Target::sdk()).map_err(|d| d.to_string())?;

    let normalized_path = root.join(NORMALIZED);
    let committed = std::fs::read_to_string(&normalized_path).unwrap_or_default();
    let mut stale = Vec::new();
    if committed != output.normalized_json {
        if check {
            print_diff(NORMALIZED, &committed, &output.normalized_json);
            stale.push(NORMALIZED.to_string());
        } else {
            cakemail_codegen::write_atomic(&normalized_path, output.normalized_json.as_bytes())
                .map_err(|e| format!("{}: cannot write: {e}", normalized_path.display()))?;
            println!("updated {NORMALIZED}");
        }
    }

    let old_client = read_snapshot(&root.join(SNAPSHOT));
    let changes = api_diff::public_items(old_client.as_deref().unwrap_or(""), &output.client);
    if !changes.is_empty() {
        println!("public API changes in the generated client:");
        for change in &changes {
            println!("  {change}");
        }
    }

    // insta owns the snapshot format and the review workflow.
    let update = if check {
        "no"
    } else if accept {
        "always"
    } else {
        "new"
    };
    let status = cargo(&root)
        .args([
            "test",
            "--quiet",
            "-p",
            "cakemail-codegen",
            "--test",
            "snapshot",
        ])
        .env("INSTA_UPDATE", update)
        .env("INSTA_FORCE_PASS", if check { "0" } else { "1" })
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        stale.push(SNAPSHOT.to_string());
    }
    if check {
        if stale.is_empty() {
            println!("generated code is up to date");
            return Ok(());
        }
        return Err(format!(
            "stale: {}; run `cargo xtask generate`, review, and commit",
            stale.join(", ")
        ));
    }
    if !accept && root.join(format!("{SNAPSHOT}.new")).exists() {
        println!("snapshot changed: review it with `cargo insta review` (or rerun with --accept)");
    }
    Ok(())
}

/// The body of an insta snapshot file, without its header.
fn read_snapshot(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let body = text.strip_prefix("---\n")?;
    let end = body.find("\n---\n")?;
    Some(body[end + 5..].to_string())
}

fn print_diff(name: &str, old: &str, new: &str) {
    let diff = similar::TextDiff::from_lines(old, new);
    eprintln!(
        "{}",
        diff.unified_diff().context_radius(3).header(
            &format!("{name} (committed)"),
            &format!("{name} (regenerated)")
        )
    );
}

fn test(args: &[String]) -> Result<(), String> {
    let root = root();
    let status = cargo(&root)
        .args(["test", "--all-targets"])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("tests failed".into());
    }
    let status = cargo(&root)
        .args(["test", "--doc"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("doc tests failed".into());
    }
    Ok(())
}

fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}
