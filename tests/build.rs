//! Generates a client for the Token API plus one bearer-secured operation
//! (`GET /accounts/self`), outside cakemail-sdk, to prove that the SDK's
//! runtime serves operations added to the document later with no new
//! hand-written code.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("..");
    let upstream = root.join(cakemail_codegen::UPSTREAM);
    println!("cargo::rerun-if-changed={}", upstream.display());
    let mut doc = match cakemail_codegen::document::load(&upstream) {
        Ok(doc) => doc,
        Err(d) => {
            println!("cargo::error={d}");
            return ExitCode::FAILURE;
        }
    };
    let extra = serde_json::json!({
        "get": {
            "tags": ["Account"],
            "summary": "Show my account",
            "operationId": "getSelfAccount",
            "responses": {
                "200": {"description": "Successful Response", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AccountResponse"}}}},
                "401": {"description": "Unauthorized", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPUnauthorizedError"}}}}
            },
            "security": [{"OAuth2PasswordBearer": []}]
        }
    });
    let account = serde_json::json!({
        "type": "object", "required": ["id"], "title": "AccountResponse",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}
    });
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        paths.insert("/accounts/self".into(), extra);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        schemas.insert("AccountResponse".into(), account);
    }
    let output = match cakemail_codegen::run_document(
        &doc,
        &upstream,
        &cakemail_codegen::Target::external(),
    ) {
        Ok(output) => output,
        Err(d) => {
            println!("cargo::error={d}");
            return ExitCode::FAILURE;
        }
    };
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("extended_client.rs");
    if let Err(e) = cakemail_codegen::write_atomic(&out, output.client.as_bytes()) {
        println!("cargo::error={}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
