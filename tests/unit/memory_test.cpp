// tests/unit/memory_test.cpp — memory stays bounded: compiling and dropping functions, and
// calling one for a long time, leave nothing behind.
//
// Each check warms up first (LLVM builds its registries, caches and pools on first use),
// measures, runs more of the same, measures again and bounds the growth per cycle:
//   anonymous resident memory (RssAnon: library pages read in on first use are not growth):
//     2 KiB per compiled function (one kept alive costs about 10 KiB: its code and data
//     pages), 256 KiB over a whole long run;
//   heap in use: 64 bytes per compiled function (codegen/jit.cpp's symbol names left in
//     ORC's string pool cost about 140), plus 4 KiB once: glibc's per-thread cache keeps a
//     few freed chunks of each small size, which mallinfo2 counts as in use, so the figure
//     moves by whole KiB from run to run with nothing leaking (tensor functions: 0-7.8 KiB
//     over 80 cycles, while gradc_memory_bench's heap stays flat from the 20th function to
//     the 1500th). 160 cycles keep that noise under the bound and a leak well over it.
// The last case keeps the functions alive and requires the check to see it. gradc_memory_bench
// (bench/memory.sh) runs the same workloads at 10,000 functions and 10^6 calls.
// Sanitizer builds run a few cycles unmeasured (their allocator keeps freed memory in
// quarantine): there LeakSanitizer checks the same paths at exit.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "tests/support/memory_workload.h"

using namespace gradc;
using namespace gradc::memcheck;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasured = false;
#else
constexpr bool kMeasured = true;
#endif

// Compile-and-drop: the heap settles after some 80 functions (ORC's symbol tables and string
// pool reach their working size), so 100 are warm-up and 160 more measured; a kept function
// shows after any warm-up. A few seconds in all.
constexpr int kWarmup = 100, kShortWarmup = 20, kCycles = 160;
constexpr double kRssPerCycleKiB = 2, kHeapPerCycleBytes = 64, kHeapSlackBytes = 4096, kRssLongRunKiB = 256;

struct Growth {
  double rss_kib = 0, heap_bytes = 0;
};

// Growth over `cycles` calls of one(k), after `warmup` unmeasured ones.
Growth growth(int warmup, int cycles, const std::function<void(int)>& one) {
  int k = 0;
  for (; k < warmup; ++k) one(k);
  const Memory before = measure();
  for (; k < warmup + cycles; ++k) one(k);
  const Memory after = measure();
  return {(after.anon_mib - before.anon_mib) * 1024, (after.heap_mib - before.heap_mib) * 1024 * 1024};
}

void require_flat(const Growth& g, int cycles) {
  INFO("over " << cycles << " cycles: resident +" << g.rss_kib << " KiB, heap +" << g.heap_bytes << " bytes");
  CHECK(g.rss_kib <= kRssPerCycleKiB * cycles);
  CHECK(g.heap_bytes <= kHeapPerCycleBytes * cycles + kHeapSlackBytes);
}

// Sanitizer builds: the same paths, a few times, for LeakSanitizer.
int cycles_here(int cycles) { return kMeasured ? cycles : 3; }

}  // namespace

TEST_CASE("compiling and dropping scalar functions leaves no memory behind", "[memory]") {
  const Growth g = growth(cycles_here(kWarmup), cycles_here(kCycles), [](int k) { scalar_cycle(k); });
  if (kMeasured) require_flat(g, kCycles);
}

TEST_CASE("compiling and dropping tensor functions leaves no memory behind", "[memory]") {
  const Growth g = growth(cycles_here(kWarmup), cycles_here(kCycles), [](int k) { tensor_cycle(k); });
  if (kMeasured) require_flat(g, kCycles);
}

TEST_CASE("the compile-and-drop check sees functions kept alive", "[memory]") {
  if (!kMeasured) return;
  std::vector<Function> kept;
  const Growth g = growth(kShortWarmup, kCycles, [&](int k) { scalar_cycle(k, &kept); });
  INFO("kept " << kept.size() << ": resident +" << g.rss_kib << " KiB");
  CHECK(g.rss_kib > kRssPerCycleKiB * kCycles);
}

TEST_CASE("long runs of a compiled function keep memory flat", "[memory]") {
  const Function f = Function::compile("f = sin(x * y) + exp(y / 3) * ln(z + 1)");
  const int64_t calls = kMeasured ? 200000 : 1000;
  const Growth g = growth(1, 4, [&](int) { CHECK(std::isfinite(call_many(f, calls / 5))); });
  INFO("scalar calls: resident +" << g.rss_kib << " KiB, heap +" << g.heap_bytes << " bytes");
  if (kMeasured) CHECK(g.rss_kib <= kRssLongRunKiB);
  if (kMeasured) CHECK(g.heap_bytes <= kHeapPerCycleBytes);

  // A small MLP's gradient (the shape of examples/mlp.grad, narrower).
  const TensorSteps steps(tensor_gradient_graph(
      "input x[B, 32]\ninput y[B] : int\nparam W1[32, 16] = he()\nparam b1[16] = zeros()\n"
      "param W2[16, 10] = he()\nparam b2[10] = zeros()\n"
      "loss = cross_entropy(relu(x @ W1 + b1) @ W2 + b2, y)\n",
      16));
  const Growth t = growth(10, kMeasured ? 300 : 3, [&](int) { CHECK(std::isfinite(steps.step())); });
  INFO("tensor steps: resident +" << t.rss_kib << " KiB, heap +" << t.heap_bytes << " bytes");
  if (kMeasured) CHECK(t.rss_kib <= kRssLongRunKiB);
  if (kMeasured) CHECK(t.heap_bytes <= kHeapPerCycleBytes);
}
