#!/usr/bin/env bash
# bench/train.sh [--quick] — seconds per training epoch of examples/mlp.grad (784-256-128-64-10,
# ReLU, softmax cross-entropy, plain SGD, f32) on fashion-mnist, data preloaded as float32, a
# fresh shuffle each epoch, at batch 64 and 256 on 1 and 2 threads:
#   gradc        the compiled step through runtime/trainer.h, the library `gradc train` uses
#                (bench/train_bench.cpp --impl gradc);
#   hand-written a C++ step on the same GEMM (oneDNN sgemm): fused bias+ReLU after each forward
#                GEMM, the softmax-CE gradient, SGD folded into the dW GEMM with beta = 1
#                (bench/train_handwritten.cpp);
#   PyTorch      eager, Debian's python3-torch: with its own shuffle (DataLoader, shuffle=True)
#                and without it (randperm and an index gather per batch) (bench/train_torch.py).
# For each (batch, threads) one process runs gradc and the hand-written step epoch by epoch in
# turn (--impl both: a shared machine's speed drifts from minute to minute, and the ratio is
# what is compared), then torch. Seconds per epoch count the training steps only (shuffle,
# gather, step; not the test evaluation, loading or compiling); each figure is the median over
# EPOCHS epochs (default 5; --quick: 3), and gradc ÷ hand is the median of the epoch-by-epoch
# ratios. Also printed: the process's peak RSS after its first and last epoch (VmHWM: gradc's,
# with the hand-written step's few MiB of buffers), and gradc's load and compile times.
#
# BUILD_DIR: the build to use (default build-release, configured Release if it does not exist
# yet). PYTHON: the Python with torch (default /usr/bin/python3). OMP_WAIT_POLICY is passive
# unless set: oneDNN's OpenMP threads otherwise spin-wait, which a shared machine punishes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-release}"
python="${PYTHON:-/usr/bin/python3}"
epochs="${EPOCHS:-5}"
[[ "${1:-}" == "--quick" ]] && epochs="${EPOCHS:-3}"
if [[ ! -f "$build/build.ninja" ]]; then
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRADC_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
fi
ninja -C "$build" gradc_train_bench >/dev/null
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
clean=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS)
out="$build/train"
mkdir -p "$out"
rm -f "$out"/*.json
load() { cut -d' ' -f1 /proc/loadavg; }
for t in 1 2; do
  for b in 64 256; do
    echo "batch $b, $t thread(s): load $(load)" >&2
    "${clean[@]}" "$build/bench/gradc_train_bench" --impl both --batch "$b" --threads "$t" \
      --epochs "$epochs" >"$out/both_b${b}_t${t}.json"
    "${clean[@]}" "$python" "$root/bench/train_torch.py" --batches "$b" --threads "$t" --epochs "$epochs" \
      >"$out/torch_b${b}_t${t}.json"
    echo "$(load)" >"$out/load_b${b}_t${t}.txt"
  done
done
"$python" - "$out" "$epochs" <<'PY'
import glob, json, statistics, sys
out, epochs = sys.argv[1:]
runs = {}
for f in glob.glob(out + "/*.json"):
    data = json.load(open(f))
    for r in data.get("results", [data]):
        runs[(r["impl"], r["batch"], r["threads"])] = r

def med(r):
    return statistics.median(e["seconds"] for e in r["epochs"])

print(f"\nMLP 784-256-128-64-10 on fashion-mnist (60000 examples), SGD, f32: seconds per epoch,")
print(f"training steps only, median of {epochs} epochs; ratios: time ÷ the hand-written step's\n")
print("| batch | threads | load | gradc | hand-written | gradc ÷ hand | PyTorch, own shuffle | ÷ hand "
      "| PyTorch, index gather | ÷ hand | gradc peak RSS, epoch 1 → last | gradc load, compile (after the load) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (impl, b, t) in sorted(k for k in runs if k[0] == "gradc"):
    g, h = runs[("gradc", b, t)], runs[("handwritten", b, t)]
    pairs = statistics.median(a["seconds"] / c["seconds"] for a, c in zip(g["epochs"], h["epochs"]))
    po, pi = runs[("torch_own_shuffle", b, t)], runs[("torch_index_gather", b, t)]
    hand = med(h)
    load = open(f"{out}/load_b{b}_t{t}.txt").read().strip()
    hwm = f"{g['epochs'][0]['hwm_kib'] / 1024:.0f} → {g['epochs'][-1]['hwm_kib'] / 1024:.0f} MiB"
    print(f"| {b} | {t} | {load} | {med(g):.3f} | {hand:.3f} | {pairs:.2f} | {med(po):.3f} | "
          f"{med(po) / hand:.2f} | {med(pi):.3f} | {med(pi) / hand:.2f} | {hwm} | "
          f"{g['load_seconds']:.2f} s, {g['compile_seconds'] * 1e3:.0f} ms "
          f"({g['compile_after_load_seconds'] * 1e3:.0f} ms) |")
print("\nload: the 1-minute load average after the row's runs (2 cores). gradc ÷ hand: the median of the")
print("ratios of the epochs run in turn in one process. Train losses after the last epoch")
print("(a check that all train the same network): " + ", ".join(
    f"{impl} b{b}/t{t} {r['epochs'][-1]['train_loss']:.4f}" for (impl, b, t), r in sorted(runs.items()) if t == 1))
PY
