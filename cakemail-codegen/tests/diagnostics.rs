//! Bad documents stop the pipeline with one line naming the file and where.

use std::path::Path;

use cakemail_codegen::{Target, run};

fn fails_with(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    let error = run(&path, &Target::sdk())
        .expect_err("must fail")
        .to_string();
    assert!(!error.contains('\n'), "one line: {error}");
    let shown = error
        .strip_prefix(&path.display().to_string())
        .unwrap_or_else(|| panic!("names the file: {error}"));
    shown.to_string()
}

#[test]
fn invalid_json_gives_line_and_column() {
    assert_eq!(
        fails_with("a.json", "{\n  \"openapi\": \"3.1.0\",\n  \"info\": {,}\n}"),
        ":3:12: not valid JSON: key must be a string"
    );
}

#[test]
fn invalid_yaml_gives_a_line() {
    let shown = fails_with("a.yaml", "openapi: 3.1.0\ninfo: [unclosed\n");
    assert!(
        shown.starts_with(':') && shown.contains("not valid YAML"),
        "{shown}"
    );
}

#[test]
fn a_dangling_ref_gives_its_pointer() {
    let upstream = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/token-api.json"),
    )
    .expect("spec");
    let broken = upstream.replacen(
        "#/components/schemas/ChallengeResponseRequest",
        "#/components/schemas/Nope",
        1,
    );
    assert_eq!(
        fails_with("token.json", &broken),
        "#/paths/~1token~1challenge/post/requestBody/content/application~1json/schema/$ref: dangling reference `#/components/schemas/Nope`: nothing at that pointer"
    );
}

#[test]
fn an_unsupported_version_is_named() {
    assert_eq!(
        fails_with(
            "s.json",
            r#"{"openapi": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}"#
        ),
        "#/openapi: unsupported OpenAPI version `2.0`: expected 3.0.x or 3.1.x"
    );
}

#[test]
fn a_missing_file_is_named() {
    let error = run(Path::new("/nonexistent/spec.json"), &Target::sdk())
        .expect_err("missing")
        .to_string();
    assert!(
        error.starts_with("/nonexistent/spec.json: cannot read:"),
        "{error}"
    );
}
