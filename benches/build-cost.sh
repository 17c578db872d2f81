#!/usr/bin/env bash
# Build cost of cakemail-sdk (issue 7), re-runnable by a maintainer.
#
#   benches/build-cost.sh            # all measurements, ~15 min on 2 cores
#   KEEP=1 benches/build-cost.sh     # keep /tmp/cakemail-build-cost afterwards
#
# Everything happens under /tmp/cakemail-build-cost, with its own target
# directories, on a `git archive HEAD` copy of the workspace: the shared
# target dir and the work tree are never touched. Run it on a quiet machine
# (no other cargo build at the same time); timings are wall clock, dev
# profile, default -j.
#
# Measures:
#   sdk/clean        cargo build -p cakemail-sdk from an empty target dir
#   sdk/spec-touch   touch openapi/token-api.json, build again
#   sdk/src-touch    touch cakemail-sdk/src/client.rs, build again
#   sdk/spec-edit    change one operation summary in the spec, build again
#   pasted/clean     a throwaway crate: cakemail-sdk's sources with the
#                    generated client pasted in (from sdk/clean's OUT_DIR),
#                    the same [dependencies], no build-dependency
#   pasted-aws/clean the same with reqwest's `rustls` feature (aws-lc-rs)
#                    instead of `rustls-no-provider` + ring, as shipped
#   deps-only/clean  a crate with exactly cakemail-sdk's [dependencies], no code
# plus crate counts and duplicate versions from cargo tree.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/cakemail-build-cost
rm -rf "$work"
mkdir -p "$work/src"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
git -C "$repo" archive HEAD | tar -x -C "$work/src"
# Download once up front so no timing includes the network.
(cd "$work/src" && cargo fetch --quiet)

results=()
# build NAME DIR TARGET_DIR [cargo args...]: one timed build; records seconds
# and the number of crates compiled.
build() {
  local name=$1 dir=$2 target=$3
  shift 3
  local log="$work/$(echo "$name" | tr / _).log" start end
  start=$(date +%s.%N)
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build "$@" 2>"$log")
  end=$(date +%s.%N)
  local secs compiled
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  compiled=$(grep -c '^ *Compiling ' "$log" || true)
  results+=("$(printf '%-20s %8.1f s  %4d crates compiled' "$name" "$secs" "$compiled")")
  echo "${results[-1]}"
}

# --- the SDK as it is --------------------------------------------------------
build sdk/clean "$work/src" "$work/target-sdk" -p cakemail-sdk
touch "$work/src/openapi/token-api.json"
build sdk/spec-touch "$work/src" "$work/target-sdk" -p cakemail-sdk
touch "$work/src/cakemail-sdk/src/client.rs"
build sdk/src-touch "$work/src" "$work/target-sdk" -p cakemail-sdk
# A real edit: one operation summary changes, so the generated code (a doc
# comment) changes and cakemail-sdk is recompiled, not just re-checked.
sed -i 's/"summary": "Refresh a token"/"summary": "Refresh a token (edited)"/' "$work/src/openapi/token-api.json"
build sdk/spec-edit "$work/src" "$work/target-sdk" -p cakemail-sdk

generated=$(ls "$work"/target-sdk/debug/build/cakemail-sdk-*/out/client.rs | head -1)

# --- throwaway crates ---------------------------------------------------------
# The runtime [dependencies] of cakemail-sdk, spelled out (workspace ones
# resolved by hand): keep in sync with cakemail-sdk/Cargo.toml.
deps_common='progenitor-client = "0.15.1"
serde = { version = "1", features = ["derive"] }
serde_json = { version = "1", features = ["preserve_order"] }
schemars = "0.8.22"
thiserror = "2"
tracing = "0.1"
tokio = { version = "1", features = ["rt-multi-thread", "macros", "sync", "time", "net", "rt"] }
bytes = "1"
http = "1"
url = "2"
http-body-util = "0.1"
httpdate = "1"
zeroize = "1"
regress = "0.12"'
# rustls stays a dependency in both variants: the SDK's code names it.
reqwest_aws='reqwest = { version = "0.13.5", default-features = false, features = ["rustls", "json", "form", "query"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12", "logging"] }'
reqwest_ring='reqwest = { version = "0.13.5", default-features = false, features = ["rustls-no-provider", "json", "form", "query"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12", "logging"] }'

# crate NAME REQWEST_DEPS WITH_SOURCES
crate() {
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<TOML
[package]
name = "cakemail-sdk-$1"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$deps_common
$2

[profile.dev.package."*"]
debug = false
TOML
  # Same versions as the workspace: start from its lock file.
  cp "$work/src/Cargo.lock" "$dir/Cargo.lock"
  if [ "$3" = yes ]; then
    cp -r "$work/src/cakemail-sdk/src/." "$dir/src/"
    cp "$generated" "$dir/src/generated_client.rs"
    sed -i 's|include!(concat!(env!("OUT_DIR"), "/client.rs"));|include!("generated_client.rs");|' "$dir/src/lib.rs"
  else
    echo '//! Dependencies only.' >"$dir/src/lib.rs"
  fi
}

# The SDK as shipped uses ring; "pasted-aws" shows what aws-lc-rs would cost.
crate pasted "$reqwest_ring" yes
build pasted/clean "$work/pasted" "$work/target-pasted"
crate pasted-aws "$reqwest_aws" yes
build pasted-aws/clean "$work/pasted-aws" "$work/target-pasted-aws"
crate deps-only "$reqwest_ring" no
build deps-only/clean "$work/deps-only" "$work/target-deps-only"

# --- dependency graph --------------------------------------------------------
cd "$work/src"
normal_build=$(cargo tree -p cakemail-sdk -e normal,build --prefix none | sed 's/ (\*)//' | sort -u | wc -l)
normal=$(cargo tree -p cakemail-sdk -e normal --prefix none | sed 's/ (\*)//' | sort -u | wc -l)
aws_normal=$(cd "$work/pasted-aws" && cargo tree -e normal --prefix none | sed 's/ (\*)//' | sort -u | wc -l)

echo
echo "== summary ($(date -u +%F), $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), $(rustc --version))"
printf '%s\n' "${results[@]}"
echo "unique crates, cakemail-sdk normal+build: $normal_build; normal only: $normal; with aws-lc-rs (pasted-aws) normal: $aws_normal"
echo "duplicate versions (cargo tree -p cakemail-sdk -d -e normal,build):"
cargo tree -p cakemail-sdk -d -e normal,build --depth 0 | grep -v '^$' | sed 's/^/  /'
