#!/usr/bin/env bash
# Property-based conformance of the local server to Cakemail's document:
# schemathesis (PyPI) generates requests from openapi/token-api.json and checks
# every response (status, content type, schema, server errors, RFC rules).
# Usage: bash cakemail-mock/schemathesis.sh [extra `st run` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m schemathesis.cli --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis>=4,<5"
fi

cargo build --quiet -p cakemail-mock --bin cakemail-mock
out=$(mktemp)
./target/debug/cakemail-mock --addr 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do
  url=$(head -n 1 "$out")
  [[ "$url" == http://* ]] && break
  sleep 0.1
done
[[ "${url:-}" == http://* ]] || { echo "cakemail-mock did not start: $(cat "$out")"; exit 1; }

python3 -m schemathesis.cli run openapi/token-api.json --url "$url" --checks all --max-examples 50 --seed 1 "$@"
