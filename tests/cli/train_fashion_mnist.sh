#!/usr/bin/env bash
# One epoch of examples/mlp.grad (coursework 001's network) on fashion-mnist: test accuracy
# over 80 %. Slow (tens of seconds): ctest labels it `slow` (ctest -LE slow leaves it out).
# Usage: train_fashion_mnist.sh PATH/TO/gradc
set -euo pipefail
GRADC=${1:?usage: train_fashion_mnist.sh PATH/TO/gradc}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -d /usr/share/datasets/fashion-mnist ]; then echo "dataset-fashion-mnist is not installed: skipped"; exit 77; fi
out=$("$GRADC" train "$ROOT/examples/mlp.grad" --data fashion-mnist --epochs 1)
echo "$out"
echo "$out" | awk '/^epoch 1\/1/ { for (i = 1; i < NF; i++) if ($i == "accuracy") a = $(i + 1) } END { exit !(a > 80) }'
