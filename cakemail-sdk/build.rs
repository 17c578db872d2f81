//! Generates the Cakemail client into OUT_DIR from the document in `openapi/`.
//!
//! The rules and generator settings live in cakemail-codegen, shared with
//! `cargo xtask generate`, so what compiles here is what the snapshot shows.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // `openapi` is a link to the workspace's folder, and a real folder in the
    // published package.
    let upstream = manifest.join(cakemail_codegen::UPSTREAM);
    println!("cargo::rerun-if-changed={}", upstream.display());
    println!("cargo::rerun-if-changed=build.rs");

    let output = match cakemail_codegen::run(&upstream, &cakemail_codegen::Target::sdk()) {
        Ok(output) => output,
        Err(diagnostic) => {
            // One line, naming the file and the location, then stop.
            println!("cargo::error={diagnostic}");
            return ExitCode::FAILURE;
        }
    };
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target = out_dir.join("client.rs");
    if let Err(e) = cakemail_codegen::write_atomic(&target, output.client.as_bytes()) {
        println!("cargo::error={}: cannot write: {e}", target.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
