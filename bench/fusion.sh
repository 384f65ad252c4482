#!/usr/bin/env bash
# bench/fusion.sh — fuse + plan-memory: softmax → GELU → MSE value+gradient on f32[4096,1024] at
# -O0/-O1/-O2 against hand-written fused loops and PyTorch eager (bench/fusion_torch.py, 1 and
# 2 threads, the better one counts), and the MLP step unfused vs fused; 5 repetitions,
# medians, ratios. gradc runs first, then torch, never at the same time.
# Usage: bench/fusion.sh [path/to/gradc_fusion_bench] [benchmark args...]
# PYTHON: the Python with torch (default /usr/bin/python3, Debian's python3-torch); NO_TORCH=1
# leaves PyTorch out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${BUILD_DIR:-$root/build-release}/bench/gradc_fusion_bench}"
python="${PYTHON:-/usr/bin/python3}"
shift || true
json="$(mktemp)" torch_json="$(mktemp)"
trap 'rm -f "$json" "$torch_json"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$bin" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@" >/dev/null
if [[ -z "${NO_TORCH:-}" ]]; then
  env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS "$python" "$root/bench/fusion_torch.py" >"$torch_json"
else
  echo '{"results": []}' >"$torch_json"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$python" - "$json" "$torch_json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
torch = json.load(open(sys.argv[2]))["results"]
med = {r["run_name"].replace("/real_time", ""): r for r in runs if r.get("aggregate_name") == "median"}
def ms(name): return med[name]["iter_median_ms"]
for name, r in med.items():
    extra = "".join(f"  {k} {r[k]:.0f}" for k in ("kernels", "workspace_KiB") if k in r)
    print(f"{name:28s} {r['iter_median_ms']:9.3f} ms{extra}")
for r in torch:
    print(f"{'torch eager, ' + str(r['threads']) + ' thread(s)':28s} {r['iter_median_ms']:9.3f} ms")
if "fusion/sgm/O2" in med:
    o2, hw = ms("fusion/sgm/O2"), ms("fusion/sgm/handwritten")
    line = (f"softmax-gelu-mse: O0/O2 {ms('fusion/sgm/O0')/o2:.2f}x (target >= 3), "
            f"O1/O2 {ms('fusion/sgm/O1')/o2:.2f}x, O2/handwritten {o2/hw:.2f} (target <= 1.2)")
    if torch:
        best = min(torch, key=lambda r: r["iter_median_ms"])
        line += f", torch/O2 {best['iter_median_ms']/o2:.2f}x (best: {best['threads']} thread(s); target >= 2)"
    print(line)
for b in (64, 256):
    u, f = med.get(f"fusion/mlp/O1/b:{b}"), med.get(f"fusion/mlp/O2/b:{b}")
    if u and f:
        print(f"mlp b={b}: kernels {u['kernels']:.0f} -> {f['kernels']:.0f}, workspace "
              f"{u['workspace_KiB']:.0f} -> {f['workspace_KiB']:.0f} KiB ({u['workspace_KiB']/f['workspace_KiB']:.1f}x), "
              f"time O1/O2 {u['iter_median_ms']/f['iter_median_ms']:.2f}")
PY
