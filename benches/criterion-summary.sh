#!/usr/bin/env bash
# Median, its 95% confidence interval and the median absolute deviation of
# every criterion benchmark of `cargo bench -p cakemail-bench --bench token`
# (criterion prints the mean; BENCHMARKS.md records medians).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "${CARGO_TARGET_DIR:-target}/criterion" <<'PY'
import glob, json, os, sys

def fmt(ns):
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.1f} ns"

root = sys.argv[1]
for path in sorted(glob.glob(os.path.join(root, "*", "*", "new", "estimates.json"))):
    name = "/".join(path.split(os.sep)[-4:-2])
    e = json.load(open(path))
    m, mad = e["median"], e["median_abs_dev"]["point_estimate"]
    ci = m["confidence_interval"]
    print(f"{name:<28} median {fmt(m['point_estimate']):>10}  "
          f"95% CI [{fmt(ci['lower_bound'])}, {fmt(ci['upper_bound'])}]  MAD {fmt(mad)}")
PY
