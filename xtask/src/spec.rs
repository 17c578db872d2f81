//! `cargo xtask spec …`: keeping up with Cakemail's changing document.
//!
//! - `spec import <FILE> [--tag T]… [--path P]…` cuts the selected operations
//!   (default: tag `Token`) and what they reference out of a full upstream
//!   document into `openapi/token-api.json`.
//! - `spec diff [<OLD>] <NEW> [--format json] [--fail-on-breaking]` reports
//!   what changed, classified for users of the generated client, with the
//!   semver bump the release needs.
//! - `spec bench [--copies N]` measures import + normalization + generation.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cakemail_codegen::diff::{Report, diff_files};
use cakemail_codegen::import::{Selection, count_operations, import, import_file};
use cakemail_codegen::{Target, UPSTREAM};
use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

#[derive(Subcommand)]
pub enum SpecCmd {
    /// Import the chosen operations of a full upstream document (JSON or YAML,
    /// OpenAPI 3.0 or 3.1) into openapi/token-api.json.
    Import {
        /// The full upstream document.
        file: PathBuf,
        /// Keep operations with this tag (repeatable). Default: Token, when
        /// neither --tag nor --path is given.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Keep operations at this path or below it (repeatable).
        #[arg(long = "path", value_name = "PATH")]
        paths: Vec<String>,
        /// Where to write, instead of openapi/token-api.json.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare two documents; OLD defaults to the committed openapi/token-api.json.
    Diff {
        /// `[OLD] NEW`.
        #[arg(num_args = 1..=2, required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit non-zero when any change is breaking.
        #[arg(long)]
        fail_on_breaking: bool,
    },
    /// Measure wall time and peak memory of import + normalization +
    /// generation, for the Token document and a large synthetic one.
    Bench {
        /// Copies of the Token operations in the synthetic document.
        #[arg(long, default_value_t = 150)]
        copies: usize,
        /// Runs one measurement in this process (used by `spec bench` itself).
        #[arg(long, hide = true)]
        one: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Grouped, human-readable report.
    Text,
    /// JSON for machines.
    Json,
}

pub fn run(root: &Path, command: SpecCmd) -> Result<(), String> {
    match command {
        SpecCmd::Import {
            file,
            tags,
            paths,
            output,
        } => import_cmd(root, &file, tags, paths, output),
        SpecCmd::Diff {
            files,
            format,
            fail_on_breaking,
        } => diff_cmd(root, &files, format, fail_on_breaking),
        SpecCmd::Bench { copies, one } => match one {
            Some(what) => bench_one(root, &what),
            None => bench(root, copies),
        },
    }
}

fn import_cmd(
    root: &Path,
    file: &Path,
    tags: Vec<String>,
    paths: Vec<String>,
    output: Option<PathBuf>,
) -> Result<(), String> {
    if file.to_string_lossy().contains("://") {
        return Err(format!(
            "{}: URLs are not fetched; download the document and pass the file",
            file.display()
        ));
    }
    let dest = output.unwrap_or_else(|| root.join(UPSTREAM));
    let selection = Selection::new(tags, paths);
    let imported = import_file(file, &dest, &selection).map_err(|d| d.to_string())?;
    println!(
        "{} {}: {} operations, {} components",
        if imported.changed {
            "wrote"
        } else {
            "unchanged"
        },
        dest.display(),
        imported.operations,
        imported.components
    );
    if imported.changed {
        println!(
            "next: `cargo xtask spec diff <previous> {}`, then `cargo xtask generate`",
            dest.display()
        );
    }
    Ok(())
}

fn diff_cmd(
    root: &Path,
    files: &[PathBuf],
    format: Format,
    fail_on_breaking: bool,
) -> Result<(), String> {
    let (old, new) = match files {
        [new] => (root.join(UPSTREAM), new.clone()),
        [old, new] => (old.clone(), new.clone()),
        _ => return Err("expected `[OLD] NEW`".into()),
    };
    let report: Report = diff_files(&old, &new).map_err(|d| d.to_string())?;
    match format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        ),
    }
    if fail_on_breaking && report.has_breaking() {
        return Err(format!(
            "{} breaking change(s) between {} and {}",
            report.count(cakemail_codegen::diff::Severity::Breaking),
            old.display(),
            new.display()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Benchmark

/// Each measurement runs in a child process, so its peak resident memory
/// (VmHWM) is its own.
fn bench(root: &Path, copies: usize) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!("profile: {profile}");
    println!(
        "| document | operations | schemas | parse+import | normalize | generate | total | peak RSS (VmHWM) | baseline RSS |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for what in ["token".to_string(), format!("synthetic:{copies}")] {
        let out = Command::new(&exe)
            .args(["spec", "bench", "--one", &what])
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "bench {what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let m: Value = serde_json::from_str(line.trim())
            .map_err(|e| format!("bench {what}: unreadable result: {e}"))?;
        let ms = |k: &str| m.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let mib = |k: &str| m.get(k).and_then(Value::as_f64).unwrap_or(0.0) / 1024.0;
        println!(
            "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MiB | {:.1} MiB |",
            m.get("document").and_then(Value::as_str).unwrap_or("?"),
            m.get("operations").and_then(Value::as_u64).unwrap_or(0),
            m.get("schemas").and_then(Value::as_u64).unwrap_or(0),
            ms("import_ms"),
            ms("normalize_ms"),
            ms("generate_ms"),
            ms("total_ms"),
            mib("peak_kib"),
            mib("baseline_kib"),
        );
    }
    Ok(())
}

fn bench_one(root: &Path, what: &str) -> Result<(), String> {
    let token_path = root.join(UPSTREAM);
    let token = cakemail_codegen::document::load(&token_path).map_err(|d| d.to_string())?;
    let (label, full) = match what.split_once(':') {
        None if what == "token" => ("token-api.json".to_string(), token),
        Some(("synthetic", n)) => {
            let copies: usize = n.parse().map_err(|_| format!("bad copy count `{n}`"))?;
            (
                format!("synthetic ({copies} copies)"),
                replicate(&token, copies),
            )
        }
        _ => return Err(format!("unknown bench document `{what}`")),
    };
    // The input text exists before timing starts, as a downloaded file would.
    let text = serde_json::to_string(&full).map_err(|e| e.to_string())?;
    let file = Path::new("bench.json");
    let baseline = vm_hwm_kib();

    let start = Instant::now();
    let doc = cakemail_codegen::document::parse(file, &text).map_err(|d| d.to_string())?;
    let excerpt = import(&doc, file, &Selection::default()).map_err(|d| d.to_string())?;
    let imported = start.elapsed();
    let t = Instant::now();
    let normalized =
        cakemail_codegen::normalize::normalize(&excerpt, file).map_err(|d| d.to_string())?;
    let normalized_at = t.elapsed();
    let t = Instant::now();
    let client = cakemail_codegen::generate::generate(&normalized, file, &Target::sdk())
        .map_err(|d| d.to_string())?;
    let generated = t.elapsed();
    let total = start.elapsed();
    let peak = vm_hwm_kib();
    let schemas = excerpt
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map_or(0, Map::len);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{}",
        json!({
            "document": label,
            "operations": count_operations(&excerpt),
            "schemas": schemas,
            "client_bytes": client.len(),
            "import_ms": ms(imported),
            "normalize_ms": ms(normalized_at),
            "generate_ms": ms(generated),
            "total_ms": ms(total),
            "baseline_kib": baseline,
            "peak_kib": peak,
        })
    );
    Ok(())
}

/// Peak resident set size of this process in KiB, from /proc (Linux); 0 elsewhere.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The Token document with its operations replicated `copies` times: paths
/// under `/cN`, operationIds and component schemas suffixed `CN`, every
/// `$ref` and title rewritten to match. The security scheme stays shared.
pub fn replicate(token: &Value, copies: usize) -> Value {
    let mut out = token.clone();
    let paths = token
        .get("paths")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let schemas = token
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut new_paths = Map::new();
    let mut new_schemas = Map::new();
    for i in 0..copies {
        let suffix = format!("C{i}");
        for (path, item) in &paths {
            let mut item = item.clone();
            rename(&mut item, &suffix, &schemas);
            new_paths.insert(format!("/c{i}{path}"), item);
        }
        for (name, schema) in &schemas {
            let mut schema = schema.clone();
            rename(&mut schema, &suffix, &schemas);
            new_schemas.insert(format!("{name}{suffix}"), schema);
        }
    }
    if let Some(map) = out.as_object_mut() {
        map.insert("paths".into(), Value::Object(new_paths));
    }
    if let Some(map) = out.get_mut("components").and_then(Value::as_object_mut) {
        map.insert("schemas".into(), Value::Object(new_schemas));
    }
    out
}

fn rename(value: &mut Value, suffix: &str, schemas: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), &*child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            *child = json!(format!("#/components/schemas/{name}{suffix}"));
                        }
                    }
                    ("operationId", Value::String(id)) => {
                        *child = json!(format!("{id}{suffix}"));
                    }
                    ("title", Value::String(t)) if schemas.contains_key(t) => {
                        *child = json!(format!("{t}{suffix}"));
                    }
                    _ => rename(child, suffix, schemas),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, suffix, schemas)),
        _ => {}
    }
}
