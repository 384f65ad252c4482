#!/usr/bin/env bash
# End-to-end tests of the gradc command line: exit codes, stdout, stderr.
# Usage: run_cli_tests.sh PATH/TO/gradc
set -u
GRADC=${1:?usage: run_cli_tests.sh PATH/TO/gradc}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0

# run NAME EXPECTED_EXIT CMD...: runs gradc with a time limit (5 s; sanitizer builds set
# GRADC_CLI_TIMEOUT higher), keeps stdout/stderr.
run() {
  local name=$1 want=$2; shift 2
  timeout "${GRADC_CLI_TIMEOUT:-5}" "$GRADC" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; sed 's/^/  stderr: /' "$TMP/err" | head -5
    fail=$((fail + 1)); return 1
  fi
  return 0
}
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# expect_stdout NAME EXPECTED CMD...: exit 0 and exactly this stdout.
expect_stdout() {
  local name=$1 want=$2; shift 2
  run "$name" 0 "$@" || return
  [ "$(cat "$TMP/out")" = "$want" ] && ok || bad "$name" "stdout was: $(cat "$TMP/out")"
}
# expect_error NAME EXIT STDERR_SUBSTRING CMD...: that exit code and a message containing this.
expect_error() {
  local name=$1 code=$2 want=$3; shift 3
  run "$name" "$code" "$@" || return
  grep -qF -- "$want" "$TMP/err" && ok || bad "$name" "stderr lacks '$want': $(head -3 "$TMP/err")"
}

SEED='f = ln x + exp(y)*z'
# --- the must-hold figures (coursework 003, problem 5) -------------------------------
expect_stdout seed-json \
  '{"value": 40.171073846375336, "grad": {"x": 1, "y": 40.171073846375336, "z": 20.085536923187668}}' \
  grad -e "$SEED" --at x=1,y=3,z=2 --json
expect_stdout seed-json-interpreter \
  '{"value": 40.171073846375336, "grad": {"x": 1, "y": 40.171073846375336, "z": 20.085536923187668}}' \
  grad -e "$SEED" --at x=1,y=3,z=2 --json --interpret
expect_stdout seed-file "$(printf 'f     = 40.171073846375336\ndf/dx = 1\ndf/dy = 40.171073846375336\ndf/dz = 20.085536923187668')" \
  grad "$ROOT/examples/seed.grad" --at x=1,y=3,z=2
expect_stdout eval-json '{"value": 40.171073846375336}' eval -e "$SEED" --at x=1,y=3,z=2 --json
expect_stdout eval-text 'f = 40.171073846375336' eval -e "$SEED" --at 'x=1, y=3' --at z=2
expect_stdout wrt-subset '{"value": 40.171073846375336, "grad": {"z": 20.085536923187668}}' \
  grad -e "$SEED" --at x=1,y=3,z=2 --wrt z --json
expect_stdout cw002-1.5b '{"value": 50, "grad": {"x": 90, "y": 20, "z": 20}}' \
  grad "$ROOT/examples/coursework_002_1_5b.grad" --at x=1,y=2,z=3 --json
expect_stdout order2-cube '{"value": 8, "grad": {"x": 12}, "hessian": {"x": {"x": 12}}}' \
  grad -e 'f = x^3' --at x=2 --order 2 --json
expect_stdout f32 '{"value": 40.171074}' eval -e "$SEED" --at x=1,y=3,z=2 --dtype f32 --json
expect_stdout f32-grad '{"value": 40.171074, "grad": {"x": 1, "y": 40.171074, "z": 20.085537}}' \
  grad -e "$SEED" --at x=1,y=3,z=2 --dtype f32 --json
# expect_close NAME PYTHON_EXPR_OF_j CMD...: exit 0 and the --json output j satisfies the check.
expect_close() {
  local name=$1 check=$2; shift 2
  run "$name" 0 "$@" || return
  python3 -c "import json, math, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if ($check) else 1)" \
    "$TMP/out" && ok || bad "$name" "check '$check' failed on: $(cat "$TMP/out")"
}
# second order: (sin x · e^x)'' = 2 cos x · e^x
expect_close order2-sin-exp 'abs(j["hessian"]["x"]["x"] - 2*math.cos(0.5)*math.exp(0.5)) < 1e-14' \
  grad -e 'f = sin(x)*exp(x)' --at x=0.5 --order 2 --json
expect_close order2-mixed 'j["hessian"]["x"]["y"] == 1 and j["hessian"]["y"]["x"] == 1 and j["hessian"]["x"]["x"] == 2' \
  grad -e 'f = x^2 + x*y' --at x=3,y=4 --order 2 --json
expect_close in-language-grad 'j["value"] == 12' eval -e 'f = grad(grad(x^3, x), x)' --at x=2 --json
# --- IEEE values are printed, as JSON strings -------------------------------------------
expect_stdout ln-minus-one '{"value": "nan"}' eval -e 'ln(-1)' --json
expect_stdout one-over-zero '{"value": "inf"}' eval -e '1/0' --json
expect_stdout minus-one-over-zero '{"value": "-inf"}' eval -e '-1/0' --json
expect_stdout nan-input '{"value": "nan", "grad": {"x": "nan"}}' grad -e 'f = x*x' --at x=nan --json
expect_stdout kink-relu '{"value": 0, "grad": {"x": 0}}' grad -e 'relu x' --at x=0 --json
expect_stdout kink-max '{"value": 2, "grad": {"a": 1, "b": 0}}' grad -e 'max(a, b)' --at a=2,b=2 --json
# --- bad usage: exit 2 --------------------------------------------------------------------
expect_error missing-at 2 "no value for z" grad -e "$SEED" --at x=1,y=3
expect_error extra-at 2 "'w' is not an input" grad -e "$SEED" --at x=1,y=3,z=2,w=4
expect_error twice-at 2 "'x' is given twice" eval -e "$SEED" --at x=1,x=2,y=3,z=2
expect_error bad-number 2 "is not a number" eval -e "$SEED" --at x=abc,y=3,z=2
expect_error bad-wrt 2 "'q' is not an input" grad -e "$SEED" --at x=1,y=3,z=2 --wrt q
expect_error twice-wrt 2 "'x' is given twice" grad -e "$SEED" --at x=1,y=3,z=2 --wrt x,x
expect_error no-program 2 "no program" eval --at x=1
expect_error no-file 2 "cannot open" eval /nonexistent.grad
expect_error unknown-option 2 "gradc: error" eval -e x --frobnicate
expect_error bad-order 2 "--order must be 1 or 2" grad -e x --at x=1 --order 3
expect_error no-command 2 "gradc: error" 
# --- bad programs: exit 1, file:line:col, the line and a caret ---------------------------
expect_error unknown-function 1 "<-e>:1:5: error: unknown function 'lnn'" eval -e 'f = lnn(x)' --at x=1
expect_error unbalanced 1 "error: expected ')'" eval -e 'f = (x + 1' --at x=1
expect_error empty 1 "error: empty program" eval -e '# nothing'
printf 'f = x +\n' > "$TMP/trail.grad"
expect_error file-position 1 "trail.grad:1:8: error:" eval "$TMP/trail.grad" --at x=1
deep=$(printf '(%.0s' $(seq 10000))x$(printf ')%.0s' $(seq 10000))
expect_error deep-nesting 1 "nested too deeply" eval -e "$deep" --at x=1
long=x$(printf '+x%.0s' $(seq 50000))
expect_stdout long-input '{"value": 50001}' eval -e "$long" --at x=1 --json
printf 'f = x\0 + 1\n' > "$TMP/nul.grad"
expect_error nul-byte 1 "NUL" eval "$TMP/nul.grad" --at x=1
# --- golden IR: the optimised gradient of each example, as `gradc emit --grad` prints it ---
for f in "$ROOT"/tests/golden/ir/*.grad.ir; do
  ex="$ROOT/examples/$(basename "$f" .ir)"
  run "golden-ir $(basename "$ex")" 0 emit "$ex" --grad || continue
  if [ "${GRADC_UPDATE_GOLDEN:-}" = 1 ]; then cp "$TMP/out" "$f"; fi
  diff -u "$f" "$TMP/out" >"$TMP/diff" && ok || { bad "golden-ir $(basename "$ex")" "IR differs:"; cat "$TMP/diff"; }
done
# --- graph and emit -----------------------------------------------------------------------
run graph 0 graph -e "$SEED" --at x=1,y=3,z=2 --out "$TMP/pics" --format dot &&
  { [ -f "$TMP/pics/00-parsed.dot" ] && [ -f "$TMP/pics/01-autodiff.dot" ] &&
    grep -q '40.1711' "$TMP/pics/01-autodiff.dot" && ok || bad graph "missing pictures or values"; }
expect_error bad-out-dir 2 "cannot create directory" graph -e "$SEED" --out /dev/null/pics
# Without Graphviz on PATH: DOT is still written, and the note says how to render it.
mkdir -p "$TMP/nobin"
if PATH="$TMP/nobin" "$GRADC" graph -e "$SEED" --out "$TMP/nodot" --format svg >"$TMP/out" 2>"$TMP/err" &&
   [ -f "$TMP/nodot/01-autodiff.dot" ] && grep -q "apt-get install graphviz" "$TMP/err"; then ok
else bad no-dot "expected DOT files and a note: $(cat "$TMP/err")"; fi
run emit-ir 0 emit -e "$SEED" --grad && { grep -q 'return f = ' "$TMP/out" && ok || bad emit-ir "no return"; }
run emit-llvm 0 emit -e "$SEED" --emit llvm && { grep -q 'define' "$TMP/out" && ok || bad emit-llvm "no define"; }
run emit-asm 0 emit -e "$SEED" --emit asm && { grep -q 'ret' "$TMP/out" && ok || bad emit-asm "no ret"; }
run help 0 grad --help && { grep -q 'Examples' "$TMP/out" && ok || bad help "no examples"; }

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
