#!/usr/bin/env bash
# bench/run.sh — build Release, run the benchmarks (5 repetitions, medians) and
# print gradc/handwritten throughput ratios (time ratio: 1.00 = as fast, 1.10 = 10 % slower).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-release}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRADC_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" gradc_bench gradc_gemm_bench gradc_fusion_bench
json="$build/bench.json"
"$build/bench/gradc_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@"
python3 - "$json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {r["run_name"]: r for r in runs if r.get("aggregate_name") == "median"}
for name, r in med.items():
    if name.startswith("BM_"):
        print(f"{name:28s} median {r['real_time']:.2f} {r['time_unit']}")
for t in ("f64", "f32"):
    g, h = med.get(f"Throughput/gradc/{t}"), med.get(f"Throughput/handwritten/{t}")
    if g and h:
        print(f"{t}: gradc {g['items_per_second']/1e6:.0f} M items/s, handwritten "
              f"{h['items_per_second']/1e6:.0f} M items/s, time ratio gradc/handwritten "
              f"{g['real_time']/h['real_time']:.2f}")
PY
# GEMM backends for matmul (docs/gemm.md): one process per library, several minutes.
bash "$root/bench/gemm.sh" "$build/bench/gradc_gemm_bench" "$build"
# One training step of examples/mlp.grad against PyTorch eager (bench/mlp.sh): a table of ratios.
BUILD_DIR="$build" bash "$root/bench/mlp.sh"
# Fusion (fuse + plan-memory) against -O0/-O1 and hand-written fused loops (bench/fusion.sh).
bash "$root/bench/fusion.sh" "$build/bench/gradc_fusion_bench"
