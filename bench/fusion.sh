#!/usr/bin/env bash
# bench/fusion.sh — fuse + plan-memory: softmax → GELU → MSE value+gradient on f32[4096,1024] at
# -O0/-O1/-O2 against hand-written fused loops, and the MLP step unfused vs fused; 5 repetitions,
# medians, ratios. Usage: bench/fusion.sh [path/to/gradc_fusion_bench] [benchmark args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${BUILD_DIR:-$root/build-release}/bench/gradc_fusion_bench}"
shift || true
json="$(mktemp)"
"$bin" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@" >/dev/null
python3 - "$json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {r["run_name"].replace("/real_time", ""): r for r in runs if r.get("aggregate_name") == "median"}
def ms(name): return med[name]["iter_median_ms"]
for name, r in med.items():
    extra = "".join(f"  {k} {r[k]:.0f}" for k in ("kernels", "workspace_KiB") if k in r)
    print(f"{name:28s} {r['iter_median_ms']:9.3f} ms{extra}")
if "fusion/sgm/O2" in med:
    hw = ms("fusion/sgm/handwritten")
    print(f"softmax-gelu-mse: O0/O2 {ms('fusion/sgm/O0')/ms('fusion/sgm/O2'):.2f}x, "
          f"O1/O2 {ms('fusion/sgm/O1')/ms('fusion/sgm/O2'):.2f}x, O2/handwritten {ms('fusion/sgm/O2')/hw:.2f}")
for b in (64, 256):
    u, f = med.get(f"fusion/mlp/O1/b:{b}"), med.get(f"fusion/mlp/O2/b:{b}")
    if u and f:
        print(f"mlp b={b}: kernels {u['kernels']:.0f} -> {f['kernels']:.0f}, workspace "
              f"{u['workspace_KiB']:.0f} -> {f['workspace_KiB']:.0f} KiB ({u['workspace_KiB']/f['workspace_KiB']:.1f}x), "
              f"time O1/O2 {u['iter_median_ms']/f['iter_median_ms']:.2f}")
PY
rm -f "$json"
