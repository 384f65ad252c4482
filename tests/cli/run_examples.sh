#!/usr/bin/env bash
# The training examples of examples/ run as the docs say, each in seconds (docs/training.md).
# Usage: run_examples.sh PATH/TO/gradc
set -u
GRADC=${1:?usage: run_examples.sh PATH/TO/gradc}
HERE=$(cd "$(dirname "$0")" && pwd)
EX=$(cd "$HERE/../../examples" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# train NAME ARGS...: gradc train, its stdout in $TMP/NAME.out; 1 if it fails.
train() {
  local name=$1; shift
  timeout "${GRADC_CLI_TIMEOUT:-30}" "$GRADC" train "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    { bad "$name" "exit $?: $(head -5 "$TMP/$name.err")"; return 1; }
}
last_accuracy() { grep '^epoch ' "$1" | tail -1 | awk '{ for (i = 1; i < NF; i++) if ($i == "accuracy") print $(i + 1) }'; }
npz() { python3 "$HERE/npz_arrays.py" "$@" >/dev/null; }
XOR=(--data "$EX/xor" --epochs 20 --batch 4 --lr 0.05)

# XOR (coursework 003 §4.2): two hidden ReLU units learn it, 100 % on the four points.
train xor "$EX/xor.grad" "${XOR[@]}" --seed 1 --save "$TMP/xor.npz" &&
  { [ "$(last_accuracy "$TMP/xor.out")" = 100.00 ] && ok || bad xor "$(tail -1 "$TMP/xor.out")"; }
# All-zero initialisation (§4.3): W1, b1, W2 stay exactly zero (the hidden units identical and
# dead), only b2 moves, and the net is no better than a coin on XOR's balanced classes.
train xor-zeros "$EX/xor_zeros.grad" "${XOR[@]}" --save "$TMP/zeros.npz" --layer-stats &&
  { npz "$TMP/zeros.npz" 'col("W1", 0) == col("W1", 1) and set(a["W1"][1] + a["b1"][1] + a["W2"][1]) == {0.0} and a["b2"][1] != [0.0, 0.0]' &&
    [ "$(last_accuracy "$TMP/xor-zeros.out")" = 50.00 ] &&
    grep -q '^h  *activation  *\[100,2\]  *0  *0  *100.0 %  *0  *0  *100.0 %$' "$TMP/xor-zeros.out" && ok ||
    bad xor-zeros "$(python3 "$HERE/npz_arrays.py" "$TMP/zeros.npz" 'a["W1"], a["b1"], a["W2"], a["b2"]'; tail -12 "$TMP/xor-zeros.out")"; }
# A constant initialisation (§4.4): the hidden units compute something, but the same thing,
# after every step: both columns of W1 (a unit's incoming weights), both entries of b1 and both
# rows of W2 (its outgoing weights) equal, bit for bit; XOR is not learnt.
train xor-constant "$EX/xor_constant.grad" "${XOR[@]}" --save "$TMP/const.npz" &&
  { npz "$TMP/const.npz" 'col("W1", 0) == col("W1", 1) and a["b1"][1][0] == a["b1"][1][1] and row("W2", 0) == row("W2", 1) and col("W1", 0) != [0.5, 0.5]' &&
    [ "$(last_accuracy "$TMP/xor-constant.out")" != 100.00 ] && ok ||
    bad xor-constant "$(python3 "$HERE/npz_arrays.py" "$TMP/const.npz" 'a["W1"], a["b1"], a["W2"]'; tail -1 "$TMP/xor-constant.out")"; }
# A seeded random start breaks the symmetry: the trained XOR net's hidden units differ.
npz "$TMP/xor.npz" 'col("W1", 0) != col("W1", 1)' && ok || bad xor-differ "the random start's hidden units are equal"

# Regression (MSE, float targets): it fits sin(3x) to well under the 0.2 of the best constant
# (the targets' variance) and near the noise's 0.0025; no accuracy printed or logged.
train regression "$EX/regression.grad" --data "$EX/regression" --epochs 60 --batch 16 --lr 0.03 --log "$TMP/reg.csv" &&
  { grep '^epoch 60/60 ' "$TMP/regression.out" | awk '{ for (i = 1; i < NF; i++) if ($i == "test" && $(i + 1) == "loss") exit !($(i + 2) < 0.02) }' &&
    ! grep -q accuracy "$TMP/regression.out" && [ "$(head -1 "$TMP/reg.csv")" = "epoch,train_loss,test_loss,seconds,validation_loss,lr" ] &&
    ok || bad regression "$(grep '^epoch 60' "$TMP/regression.out"; head -1 "$TMP/reg.csv")"; }

# The coursework 003 §6 sweep: seven runs, one chart naming each.
timeout $((${GRADC_CLI_TIMEOUT:-30} * 6)) bash "$EX/sweep.sh" "$GRADC" "$TMP/sweep" >"$TMP/sweep.out" 2>&1 &&
  { ok=1; for r in depth0 depth1-relu depth2-relu depth2-tanh depth2-sigmoid depth2-relu-lr0.1 depth2-relu-lr0.001; do
      grep -q ">$r<" "$TMP/sweep/sweep.svg" && [ -s "$TMP/sweep/$r.csv" ] || ok=0; done
    grep -q 'sweep.svg: 7 runs' "$TMP/sweep.out" && [ $ok = 1 ] && ok || bad sweep "$(cat "$TMP/sweep.out")"; } ||
  bad sweep "$(cat "$TMP/sweep.out")"
# Depth matters on the spirals: two ReLU layers beat no hidden layer by far.
[ "$(tail -1 "$TMP/sweep/depth0.csv" | cut -d, -f4 | awk '{ print ($1 < 0.8) }')" = 1 ] &&
  [ "$(tail -1 "$TMP/sweep/depth2-relu.csv" | cut -d, -f4 | awk '{ print ($1 > 0.95) }')" = 1 ] && ok ||
  bad sweep-depth "$(tail -1 "$TMP/sweep/depth0.csv") / $(tail -1 "$TMP/sweep/depth2-relu.csv")"

echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
