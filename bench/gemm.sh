#!/usr/bin/env bash
# bench/gemm.sh BENCH_BINARY [OUT_DIR] — runs gradc_gemm_bench one library per process (thread
# pools left spinning by one library would slow the next; OpenBLAS picks kernels at load) and
# prints the median GFLOP/s as a markdown table (docs/gemm.md holds one).
set -euo pipefail
bin="$1"; out="${2:-$(dirname "$bin")}"
reps=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.1)
# A library that is not installed (BLIS is optional, loaded with dlopen) has no benchmarks: it
# is skipped with a line saying so, and the table leaves it out.
run() {  # NAME FILTER [env(1) ARGS...]
  local name="$1" filter="$2"; shift 2
  rm -f "$out/gemm_$name.json"
  if [ -z "$("$bin" --benchmark_list_tests --benchmark_filter="^gemm/$filter/" 2>/dev/null)" ]; then
    echo "gemm.sh: skipping $name: no such backend on this machine (not installed)" >&2
    return 0
  fi
  env "$@" "$bin" --benchmark_filter="^gemm/$filter/" "${reps[@]}" \
    --benchmark_out="$out/gemm_$name.json" --benchmark_out_format=json >/dev/null
}
# OpenBLAS picks its kernels at load: by CPU detection (OPENBLAS_CORETYPE unset), or as told.
# Runs other than the forced ones get a clean OpenBLAS environment, as a user's would be.
auto=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
run loops loops "${auto[@]}"
run runtime runtime "${auto[@]}"
run onednn onednn "${auto[@]}"
run openblas 'openblas-[^/]*' "${auto[@]}"
run openblas-skx 'openblas-[^/]*' -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX
run openblas-hsw 'openblas-[^/]*' -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell
run blis 'blis-[^/]*' "${auto[@]}"
python3 - "$out"/gemm_*.json <<'PY'
import json, sys
gf, us = {}, {}  # (dtype, lib/threads) -> {shape: median GFLOP/s | median µs}
for f in sys.argv[1:]:
    for r in json.load(open(f))["benchmarks"]:
        if r.get("aggregate_name") != "median": continue
        _, lib, dt, th, shape = r["run_name"].removesuffix("/real_time").split("/", 4)
        gf.setdefault((dt, f"{lib} {th}"), {})[shape] = r["GFLOPS"]
        us.setdefault((dt, f"{lib} {th}"), {})[shape] = r["real_time"]
for dt in ("f32", "f64"):
    cols = sorted((c for d, c in gf if d == dt), key=lambda c: (c.split()[1], c))
    shapes = list(dict.fromkeys(s for c in cols for s in gf[(dt, c)]))
    print(f"\n{dt}, median GFLOP/s\n\n| shape | " + " | ".join(cols) + " |")
    print("|---" * (1 + len(cols)) + "|")
    for s in shapes:
        print(f"| {s} | " + " | ".join(f"{gf[(dt, c)].get(s, 0):.0f}" for c in cols) + " |")
    for b in ("b64", "b256"):  # one training step's 11 products: total flops / total time
        row = []
        for c in cols:
            ss = [s for s in shapes if s.startswith(b + "/")]
            fl = sum(gf[(dt, c)][s] * us[(dt, c)][s] for s in ss)  # GFLOP/s·µs = kflop
            row.append(f"{fl / sum(us[(dt, c)][s] for s in ss):.0f}")
        print(f"| **{b} step** | " + " | ".join(row) + " |")
PY
