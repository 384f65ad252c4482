#!/usr/bin/env bash
# bench/passes.sh — time of each -O2 pass at 10³, 10⁴ and 10⁵ nodes (the issue's scale check:
# passes near-linear, a 10⁵-node program with its gradient through -O2 in under a second).
#
# Each program is a random chain a_i = sin(a_{i-1})·y + log(1 + a_{i-1}²) − a_j (8 nodes a
# statement before autodiff, about 3x after); `gradc emit --grad --stats` reports every pass.
# Prints one table: per pass the median over REPS runs at each size and the growth 10⁵/10⁴
# (10 is linear), then the pipeline's total and the whole command's wall time (parse, lower,
# passes, print).
# Usage: bash bench/passes.sh [GRADC] [REPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gradc="${1:-$root/build/tools/gradc/gradc}"
reps="${2:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$gradc" "$reps" "$tmp" <<'PY'
import random, statistics, subprocess, sys, time

gradc, reps, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sizes = [125, 1250, 12500]  # statements: 10^3, 10^4, 10^5 nodes parsed


def write_program(n):
    random.seed(1)
    path = f"{tmp}/p{n}.grad"
    with open(path, "w") as f:
        print("a0 = x", file=f)
        for i in range(1, n + 1):
            print(f"a{i} = sin(a{i-1}) * y + log(1 + a{i-1}*a{i-1}) - a{random.randrange(i)}", file=f)
    return path


def parse_stats(text):
    """--stats rows: pass, nodes in, nodes out, kernels, workspace, peak, ms [(unchanged)]."""
    rows, lines = {}, text.splitlines()
    header = next(i for i, l in enumerate(lines) if l.split()[:1] == ["pass"])
    for line in lines[header + 1:]:
        words = line.replace("(unchanged)", "").split()
        if not words or line.startswith(" "):
            break  # the counters follow the table, indented
        nodes = (int(words[1]), int(words[2])) if words[0] != "total" else None
        rows[words[0]] = (nodes, float(words[-1]))
    return rows


results = {}  # size -> (pass -> [ms]), nodes, [wall s]
for n in sizes:
    path = write_program(n)
    ms, walls, nodes = {}, [], {}
    for _ in range(reps):
        start = time.perf_counter()
        run = subprocess.run([gradc, "emit", path, "--grad", "--stats"], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        for name, (count, t) in parse_stats(run.stderr).items():
            ms.setdefault(name, []).append(t)
            if count:
                nodes[name] = count
    results[n] = (ms, nodes, walls)

first = results[sizes[0]][0]
print(f"-O2 pass times, medians of {reps} runs (ms); growth = 10^5 / 10^4 (10 is linear)")
cols = []
for n in sizes:
    _, nodes, _ = results[n]
    cols.append(f"{nodes['stabilize'][0]:,}->{nodes['plan-memory'][1]:,}")
print(f"{'pass':<12}" + "".join(f"{c:>18}" for c in cols) + f"{'growth':>9}")
for name in first:
    meds = [statistics.median(results[n][0][name]) for n in sizes]
    growth = meds[2] / meds[1] if meds[1] > 0 else float("nan")
    print(f"{name:<12}" + "".join(f"{m:>18.2f}" for m in meds) + f"{growth:>9.1f}")
walls = [statistics.median(results[n][2]) * 1000 for n in sizes]
print(f"{'wall':<12}" + "".join(f"{w:>18.0f}" for w in walls) + f"{walls[2] / walls[1]:>9.1f}")
print("(wall: the whole `gradc emit --grad --stats` command, parse to printed IR)")
PY
