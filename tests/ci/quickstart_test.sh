#!/usr/bin/env bash
# Regression test for the quick start: `bash .ci/demo` then `bash .ci/test` on one checkout
# once ran no test, because the demo configures build/ with GRADC_BUILD_TESTS=OFF and the test
# command reused that cache. Here a build directory is configured as the demo leaves it, then
# by .ci/configure as the test command does: the tests must be back on and registered.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cmake -S "$src" -B "$dir" -G Ninja -DGRADC_BUILD_TESTS=OFF -DGRADC_BUILD_BENCH=OFF >/dev/null
bash "$src/.ci/configure" "$dir" >/dev/null
grep -q '^GRADC_BUILD_TESTS:BOOL=ON$' "$dir/CMakeCache.txt" || { echo "FAIL: tests still off"; exit 1; }
count=$(ctest --test-dir "$dir" -N | sed -n 's/^Total Tests: //p')
[ "${count:-0}" -gt 0 ] || { echo "FAIL: ctest lists no test after .ci/configure"; exit 1; }
grep -q -- '--no-tests=error' "$src/.ci/test" || { echo "FAIL: .ci/test accepts a run of no test"; exit 1; }
echo "quick start: tests on, $count registered before building"
