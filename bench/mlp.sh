#!/usr/bin/env bash
# bench/mlp.sh [REPETITIONS] — value + gradient of examples/mlp.grad (784-256-128-64-10, ReLU,
# cross-entropy, f32) at batch 64 and 256 on 1 thread: gradc at -O2 and at -O0 (bench/mlp_bench.cpp,
# the compiled code on float buffers) and PyTorch eager (bench/mlp_torch.py) on this machine, never
# at the same time: for each batch gradc runs, then torch, so that both see about the same load.
# Prints one table: kernels, workspace, the median step time, its ratio to -O2's, and the share
# of the step spent outside sgemm.
#
# Both sides are timed alike: REPETITIONS (default 10) runs of >= 0.1 s; "ms" is the median over
# runs of each run's median call (less disturbed by other processes on the cores than a mean).
# A second gradc run times each GEMM call (steady_clock around the call): its mean GEMM time per
# step against that run's mean step time gives the share outside sgemm.
#
# BUILD_DIR: the build to use (default build-release, configured Release if it does not exist
# yet; an existing one is used as it is). PYTHON: the Python with torch (default /usr/bin/python3).
# OpenBLAS (torch's GEMM on Debian) gets a clean environment, as a user's would be: kernels
# chosen by CPU detection, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset. GLIBC_TUNABLES passes
# through: where page faults are dear (VMs), PyTorch's per-step tensor allocations (glibc
# mmap/munmap, trimmed heap) cost it much of its time; glibc.malloc.trim_threshold and
# .mmap_threshold set high show that.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-release}"
python="${PYTHON:-/usr/bin/python3}"
reps="${1:-10}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRADC_BUILD_TESTS=OFF >/dev/null
fi
ninja -C "$build" gradc_mlp_bench >/dev/null
clean=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS)
out="$build/mlp"
mkdir -p "$out"
rm -f "$out"/gradc_*.json "$out"/torch_*.json
load() { cut -d' ' -f1 /proc/loadavg; }
load_before=$(load)
for b in 64 256; do
  echo "batch $b: load $(load)" >&2
  "${clean[@]}" "$build/bench/gradc_mlp_bench" --benchmark_filter="^mlp/O[02](_split)?/b:$b/t:1/" \
    --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_min_time=0.1 --benchmark_format=json >"$out/gradc_b$b.json"
  "${clean[@]}" "$python" "$root/bench/mlp_torch.py" --batches "$b" --threads 1 --reps "$reps" \
    >"$out/torch_b$b.json"
done
"$python" - "$out" "$reps" "$load_before" "$(load)" <<'PY'
import glob, json, sys
out, reps, load0, load1 = sys.argv[1:]
med, torch = {}, {}
for f in glob.glob(out + "/gradc_*.json"):
    for r in json.load(open(f))["benchmarks"]:
        if r.get("aggregate_name") == "median":
            scale = {"ms": 1, "us": 1e-3, "ns": 1e-6}[r["time_unit"]]
            med[r["run_name"].removesuffix("/real_time")] = dict(r, ms=r["real_time"] * scale)
for f in glob.glob(out + "/torch_*.json"):
    for r in json.load(open(f))["results"]:
        torch[r["batch"]] = r

def kib(n):
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n:.0f} B"

print(f"\nMLP 784-256-128-64-10, value + all 8 parameter gradients, f32, 1 thread; medians of {reps} runs;")
print(f"load average {load0} before, {load1} after\n")
print("| batch | run | kernels | workspace | ms | ÷ -O2 | outside GEMM |")
print("|---|---|---|---|---|---|---|")
for b in sorted(torch):
    o2 = med[f"mlp/O2/b:{b}/t:1"]
    for level in ("O0", "O2"):
        r, split = med[f"mlp/{level}/b:{b}/t:1"], med[f"mlp/{level}_split/b:{b}/t:1"]
        outside = 1 - split["gemm_ms"] / split["ms"]
        ws = f"{kib(r['workspace_bytes'])}"
        if level == "O0":
            ws += f" ({r['workspace_bytes'] / o2['workspace_bytes']:.1f}×)"
        print(f"| {b} | gradc -{level} | {r['kernels']:.0f} | {ws} | {r['iter_median_ms']:.3f} | "
              f"{r['iter_median_ms'] / o2['iter_median_ms']:.2f} | {outside:.0%} ({outside * r['iter_median_ms']:.3f} ms) |")
    t = torch[b]
    print(f"| {b} | PyTorch eager | - | - | {t['iter_median_ms']:.3f} | "
          f"{t['iter_median_ms'] / o2['iter_median_ms']:.2f} | - |")
print("\nkernels: functions run one after another per step (-O2: the kernel table's entries with code,")
print("a GEMM with its epilogue counting once; -O0: one per node). workspace: gradc's intermediates")
print("(the -O0 figure in brackets: how many times -O2's). ÷ -O2: time relative to gradc -O2.")
print("outside GEMM: the share of the step not spent inside gradc_gemm_f32 (oneDNN sgemm), from the")
print("timed run's means, and that share of the median step.")
PY
