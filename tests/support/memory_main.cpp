// tests/support/memory_main.cpp — gradc_memory_bench: memory over many compiles and long runs.
//
// The unit test (tests/unit/memory_test.cpp) checks a few thousand cycles so that CI stays
// fast; this runs the long version and prints the figures (bench/memory.sh runs it):
//   1. compile and drop --functions scalar formulas (gradc::Function), then as many tensor
//      programs (runtime::TensorJit): resident and heap memory every --every functions;
//   2. --calls calls of one compiled formula; 3. --steps gradient steps of examples/mlp.grad
//      (batch 64): memory every tenth of the run.
//
//   gradc_memory_bench [--functions 10000] [--every 1000] [--calls 1000000] [--steps 1000]
//                      [--mlp examples/mlp.grad] [--keep]
// --keep keeps every compiled function alive: the leak the checks must see (memory then
// grows with every function). Exit status: 0 done, 1 a workload failed, 2 usage.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>

#include "tests/support/memory_workload.h"

using namespace gradc;
using namespace gradc::memcheck;

namespace {

struct Args {
  int functions = 10000, every = 1000;
  int64_t calls = 1000000;
  int steps = 1000;
  std::string mlp = "examples/mlp.grad";
  bool keep = false;
};

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr, "gradc_memory_bench: {}\nusage: gradc_memory_bench [--functions N] [--every K] "
                     "[--calls N] [--steps N] [--mlp FILE] [--keep]\n", why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--keep") {
      a.keep = true;
      continue;
    }
    if (i + 1 >= argc) usage(fmt::format("{} needs a value", flag));
    const std::string value = argv[++i];
    if (flag == "--functions") a.functions = std::stoi(value);
    else if (flag == "--every") a.every = std::stoi(value);
    else if (flag == "--calls") a.calls = std::stoll(value);
    else if (flag == "--steps") a.steps = std::stoi(value);
    else if (flag == "--mlp") a.mlp = value;
    else usage(fmt::format("unknown option {}", flag));
  }
  if (a.functions < 0 || a.every < 1 || a.calls < 0 || a.steps < 0) usage("counts must be positive");
  return a;
}

using Clock = std::chrono::steady_clock;

void report(const std::string& what, int64_t done, Clock::time_point start) {
  const Memory m = measure();
  fmt::print("{:<26} {:>8}  rss {:7.2f} MiB  heap {:8.1f} KiB  peak rss {:7.2f} MiB  {:6.1f} s\n", what, done,
             m.rss_mib, m.heap_mib * 1024, peak_rss_mib(), std::chrono::duration<double>(Clock::now() - start).count());
  std::fflush(stdout);
}

// Runs `one(k)` for k in [0, n), reporting every `every` and at the end.
void run(const std::string& what, int64_t n, int64_t every, const std::function<void(int64_t)>& one) {
  const Clock::time_point start = Clock::now();
  report(what, 0, start);
  for (int64_t k = 0; k < n; ++k) {
    one(k);
    if ((k + 1) % every == 0 || k + 1 == n) report(what, k + 1, start);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    std::vector<Function> kept_scalar;
    std::vector<runtime::TensorJit> kept_tensor;
    run("scalar compile+drop", a.functions, a.every,
        [&](int64_t k) { scalar_cycle(static_cast<int>(k), a.keep ? &kept_scalar : nullptr); });
    run("tensor compile+drop", a.functions, a.every,
        [&](int64_t k) { tensor_cycle(static_cast<int>(k), a.keep ? &kept_tensor : nullptr); });

    const Function f = Function::compile("f = sin(x * y) + exp(y / 3) * ln(z + 1)");
    double sum = 0;
    run("scalar calls", a.calls, std::max<int64_t>(1, a.calls / 10),
        [&](int64_t) { sum += call_many(f, 1); });

    const TensorSteps mlp(tensor_gradient_graph(read_text(a.mlp), 64));
    run("mlp gradient steps (B=64)", a.steps, std::max(1, a.steps / 10), [&](int64_t) { sum += mlp.step(); });
    fmt::print("checksum {}\n", sum);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gradc_memory_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
