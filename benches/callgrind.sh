#!/usr/bin/env bash
# Instructions per create_token call, SDK vs hand-written, with callgrind
# (perf's hardware counters are not available in this VM).
#
#   benches/callgrind.sh            # N1=100, N2=600 calls
#
# Runs the per_call bench binary under callgrind twice per side (N1 and N2
# calls after the same warm-up, one output file per thread) and reports
# (Ir(N2) - Ir(N1)) / (N2 - N1) for the client thread (thread 1, the main
# thread, which also runs reqwest's connection tasks) and for the whole
# process (client + the fixed server thread), so start-up and warm-up cancel.
set -euo pipefail
cd "$(dirname "$0")/.."
N1=${N1:-100}
N2=${N2:-600}
bin=$(cargo bench -p cakemail-bench --bench per_call --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*per_call[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "per_call bench binary not found" >&2; exit 1; }
out=$(mktemp -d /tmp/cakemail-callgrind.XXXXXX)
trap 'rm -rf "$out"' EXIT

# Sum of the "totals:" (or "summary:") lines of callgrind files matching a glob.
total() {
  local sum=0 f v
  for f in "$@"; do
    v=$(grep -E '^(totals|summary):' "$f" | head -1 | awk '{print $2}')
    sum=$((sum + v))
  done
  echo "$sum"
}

printf '%-6s %18s %18s\n' side "client Ir/call" "process Ir/call"
for side in sdk hand; do
  for n in "$N1" "$N2"; do
    valgrind --tool=callgrind --separate-threads=yes \
      --callgrind-out-file="$out/$side-$n.%p" "$bin" "$side" "$n" >/dev/null 2>&1
  done
  c1=$(total "$out/$side-$N1".*-01)
  c2=$(total "$out/$side-$N2".*-01)
  p1=$(total "$out/$side-$N1".*)
  p2=$(total "$out/$side-$N2".*)
  printf '%-6s %18d %18d\n' "$side" $(((c2 - c1) / (N2 - N1))) $(((p2 - p1) / (N2 - N1)))
done
