#!/usr/bin/env bash
# bench/passes.sh — time of each -O2 pass at 10³, 10⁴ and 10⁵ nodes (the issue's scale check:
# passes near-linear, a 10⁵-node program with its gradient through -O2 in under a second).
#
# Each program is a random chain a_i = sin(a_{i-1})·y + log(1 + a_{i-1}²) − a_j (8 nodes a
# statement before autodiff, about 3x after); `gradc emit --grad --stats` reports every pass.
# Prints, per size, the median over REPS runs of each pass and of the whole pipeline.
# Usage: bash bench/passes.sh [GRADC] [REPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gradc="${1:-$root/build/tools/gradc/gradc}"
reps="${2:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for statements in 125 1250 12500; do
  python3 - "$statements" >"$tmp/p.grad" <<'PY'
import random, sys
random.seed(1)
n = int(sys.argv[1])
print("a0 = x")
for i in range(1, n + 1):
    print(f"a{i} = sin(a{i-1}) * y + log(1 + a{i-1}*a{i-1}) - a{random.randrange(i)}")
PY
  for r in $(seq "$reps"); do
    "$gradc" emit "$tmp/p.grad" --grad --stats 2>"$tmp/stats.$r" >/dev/null
  done
  python3 - "$tmp" "$reps" "$statements" <<'PY'
import statistics, sys, re
tmp, reps, n = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = {}
for r in range(1, reps + 1):
    for line in open(f"{tmp}/stats.{r}"):
        m = re.match(r"^(\w[\w-]*)\s+(\d+)?\s*(\d+)?\s+([\d.]+)", line)
        if m and m.group(1) != "pass":
            rows.setdefault(m.group(1), []).append((m.group(2), m.group(3), float(m.group(4))))
first = rows["stabilize"][0]
print(f"\n{n} statements: {first[0]} nodes parsed, {rows['dce'][0][1]} after -O2 (medians of {reps} runs)")
for name, runs in rows.items():
    print(f"  {name:10s} {statistics.median(t for _, _, t in runs):9.2f} ms")
PY
done
