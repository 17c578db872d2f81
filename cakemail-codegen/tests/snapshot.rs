//! The generated client, held as an insta snapshot so that any change to the
//! document, the rules or the generator shows up as a reviewable diff.
//! `cargo xtask generate` refreshes it; `cargo insta review` accepts it.

use std::path::Path;

use cakemail_codegen::{Target, UPSTREAM};

#[test]
fn token_api_client() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = cakemail_codegen::run(&root.join(UPSTREAM), &Target::sdk())
        .unwrap_or_else(|d| panic!("{d}"));
    insta::assert_snapshot!("token_api_client", output.client);
}
