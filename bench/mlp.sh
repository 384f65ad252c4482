#!/usr/bin/env bash
# bench/mlp.sh [REPETITIONS] — value + gradient of examples/mlp.grad (784-256-128-64-10, ReLU,
# cross-entropy, f32) at batch 64 and 256, 1 and 2 threads: gradc (bench/mlp_bench.cpp, the
# compiled code on float buffers) against PyTorch eager (bench/mlp_torch.py) on this machine,
# never at the same time: for each case gradc runs, then torch, so that both see the same load.
# Prints one table of medians; ratio = torch / gradc: above 1, gradc is faster.
#
# Both sides are timed alike: REPETITIONS (default 10) runs of >= 0.1 s; "ms" is the median over
# runs of each run's mean (Google Benchmark's real_time median), "iter" the median over runs of
# each run's median call, which a busy machine (other processes on the cores) disturbs less.
#
# BUILD_DIR: the build to use (default build-release, configured Release if it does not exist
# yet; an existing one is used as it is). PYTHON: the Python with torch (default /usr/bin/python3).
# OpenBLAS (torch's GEMM on Debian) gets a clean environment, as a user's would be: kernels
# chosen by CPU detection, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
# OMP_WAIT_POLICY is passed through to both: on cores shared with other work, libgomp's default
# spin-waiting makes the 2-thread cases collapse (oneDNN's GEMM runs on libgomp); compare with
# OMP_WAIT_POLICY=passive bash bench/mlp.sh. GLIBC_TUNABLES passes through too: where page
# faults are dear (VMs), PyTorch's per-step tensor allocations (glibc mmap/munmap, trimmed heap)
# cost it much of its time; glibc.malloc.trim_threshold and .mmap_threshold set high show that.
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
for b in 64 256; do
  for t in 1 2; do
    echo "batch $b, $t thread(s): load $(load)" >&2
    "${clean[@]}" "$build/bench/gradc_mlp_bench" --benchmark_filter="^mlp/[a-z_]+/b:$b/t:$t/" \
      --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
      --benchmark_min_time=0.1 --benchmark_format=json >"$out/gradc_b${b}_t$t.json"
    "${clean[@]}" "$python" "$root/bench/mlp_torch.py" --batches "$b" --threads "$t" --reps "$reps" \
      >"$out/torch_b${b}_t$t.json"
  done
done
echo "load after: $(load); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}" >&2
"$python" - "$out" <<'PY'
import glob, json, sys
med, torch = {}, {}
for f in glob.glob(sys.argv[1] + "/gradc_*.json"):
    for r in json.load(open(f))["benchmarks"]:
        if r.get("aggregate_name") == "median":
            scale = {"ms": 1, "us": 1e-3, "ns": 1e-6}[r["time_unit"]]
            med[r["run_name"].removesuffix("/real_time")] = dict(r, ms=r["real_time"] * scale)
for f in glob.glob(sys.argv[1] + "/torch_*.json"):
    for r in json.load(open(f))["results"]:
        torch[(r["batch"], r["threads"])] = r
def get(name, key="ms"):
    r = med.get(name)
    return None if r is None or key not in r else r[key]
f = lambda v: "-" if v is None else f"{v:.3f}"
ratio = lambda a, b: "-" if a is None or b is None else f"{a / b:.2f}"
print("\nMLP 784-256-128-64-10, value + all parameter gradients, f32, ms per step (median)")
print("ratio = torch / gradc (> 1: gradc faster); iter = median call (less disturbed by load)\n")
print("| batch | threads | gradc ms | torch ms | ratio | gradc iter | torch iter | ratio iter |")
print("|---|---|---|---|---|---|---|---|")
for (b, t), r in sorted(torch.items()):
    g = get(f"mlp/gradc/b:{b}/t:{t}")
    gi = get(f"mlp/gradc/b:{b}/t:{t}", "iter_median_ms")
    print(f"| {b} | {t} | {f(g)} | {r['median_ms']:.3f} | {ratio(r['median_ms'], g)} | "
          f"{f(gi)} | {r['iter_median_ms']:.3f} | {ratio(r['iter_median_ms'], gi)} |")
print("\ngradc, where the time goes (ms, medians of means): GEMM = inside gradc_gemm_f32 (oneDNN),")
print("timed around each call; other = the rest (the generated loops: elementwise, broadcasts,")
print("reductions); TensorJit::run = the same step on double Tensors (conversions, allocations);")
print("own loops = codegen's blocked matmul loop instead of oneDNN (1 thread)\n")
print("| batch | threads | compiled | GEMM | other | TensorJit::run | own loops |")
print("|---|---|---|---|---|---|---|")
for (b, t) in sorted(torch):
    split = f"mlp/gradc_split/b:{b}/t:{t}"
    gemm, total = get(split, "gemm_ms"), get(split)
    other = None if gemm is None or total is None else total - gemm
    print(f"| {b} | {t} | {f(get(f'mlp/gradc/b:{b}/t:{t}'))} | {f(gemm)} | {f(other)} | "
          f"{f(get(f'mlp/gradc_tensorjit/b:{b}/t:{t}'))} | {f(get(f'mlp/gradc_ownloops/b:{b}/t:{t}'))} |")
PY
