#!/usr/bin/env bash
# Coursework 003 section 6 on one chart: MLPs of several depths, activations and learning
# rates trained on the spirals (examples/spirals: 3 classes, 2 features, 600 training and 180
# test points), their loss and accuracy curves overlaid by `gradc plot-curves`.
# Usage: examples/sweep.sh [GRADC] [OUTDIR]   (default: build/tools/gradc/gradc, sweep-out)
# Writes OUTDIR/<run>.csv (each run's metrics log) and OUTDIR/sweep.svg. About 2 s.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
GRADC=${1:-$HERE/../build/tools/gradc/gradc}
OUT=${2:-sweep-out}
mkdir -p "$OUT"
COMMON=(--data "$HERE/spirals" --epochs 20 --batch 32 --optimizer adam --seed 0)
runs=() labels=()
train() {  # train LABEL MODEL LR
  "$GRADC" train "$HERE/spirals/$2.grad" "${COMMON[@]}" --lr "$3" --log "$OUT/$1.csv" | tail -1 | sed "s/^/$1: /"
  runs+=("$OUT/$1.csv") labels+=(--label "$1")
}
# Depth (ReLU, lr 0.01): no hidden layer, one, two.
train depth0 linear 0.01
train depth1-relu depth1_relu 0.01
train depth2-relu depth2_relu 0.01
# Activation (two hidden layers, lr 0.01).
train depth2-tanh depth2_tanh 0.01
train depth2-sigmoid depth2_sigmoid 0.01
# Learning rate (two ReLU layers).
train depth2-relu-lr0.1 depth2_relu 0.1
train depth2-relu-lr0.001 depth2_relu 0.001
"$GRADC" plot-curves "${runs[@]}" "${labels[@]}" --title "coursework 003 §6: depth, activation, learning rate" \
  --out "$OUT/sweep.${FORMAT:-svg}"
