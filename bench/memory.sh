#!/usr/bin/env bash
# bench/memory.sh [ARGS] — memory of a long-lived process using gradc as a library: 10,000
# scalar formulas (gradc::Function) and 10,000 tensor programs (runtime::TensorJit) compiled
# and dropped one after another, then 10^6 calls of one compiled formula and 1,000 gradient
# steps of examples/mlp.grad (batch 64). Prints resident memory (after handing free heap back
# to the system), heap in use and peak resident memory every 1,000 functions and every tenth
# of each long run (tests/support/memory_main.cpp; docs/memory.md has the figures). ARGS go to
# gradc_memory_bench: e.g. --functions 2000 for a quick run, --keep to see what a leak of
# every function looks like. About 25 minutes for the full run on the development machine.
#
# BUILD_DIR: the build to use (default build, as .ci/configure sets it up: the tool is built
# with the tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
[[ -f "$build/build.ninja" ]] || bash "$root/.ci/configure" "$build" >/dev/null
ninja -C "$build" gradc_memory_bench >/dev/null
cd "$root"
exec "$build/tests/gradc_memory_bench" --mlp examples/mlp.grad "$@"
