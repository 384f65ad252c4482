// tests/support/difftest_main.cpp — gradc_difftest: the differential test over many programs.
//
// Why a separate tool: the unit test runs a few thousand programs so that CI stays fast;
// a run of 100,000 (minutes) finds what is rarer. Same generator, same comparisons, same
// seeds: a failing seed found here is reproduced with `--seed S --count 1`.
//
//   gradc_difftest --count 100000 --seed 1 [--jit-every 8] [--reports 5] [--fault sub|log1p]
// Exit status: 0 no failure, 1 failures (their seeds and the first reports are printed), 2 usage.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/support/differential.h"

using namespace gradc::difftest;

namespace {

struct Args {
  int count = 1000;
  uint64_t seed = 1;
  int jit_every = 8;
  int reports = 5;
  int chunk = 1000;  // programs between progress lines
  Fault fault = Fault::None;
};

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr, "gradc_difftest: {}\nusage: gradc_difftest [--count N] [--seed S] [--jit-every K] "
                     "[--reports R] [--fault sub|log1p]\n", why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(fmt::format("{} needs a value", flag));
    const std::string value = argv[++i];
    if (flag == "--count") a.count = std::stoi(value);
    else if (flag == "--seed") a.seed = std::stoull(value, nullptr, 0);  // 0x... too
    else if (flag == "--jit-every") a.jit_every = std::stoi(value);
    else if (flag == "--reports") a.reports = std::stoi(value);
    else if (flag == "--fault" && value == "sub") a.fault = Fault::SubOperandsSwapped;
    else if (flag == "--fault" && value == "log1p") a.fault = Fault::Log1pAsLog;
    else usage(fmt::format("unknown option {} {}", flag, value));
  }
  return a;
}

void add(Tally& total, const Tally& part) {
  for (size_t k = 0; k < total.programs.size(); ++k) {
    total.programs[k] += part.programs[k];
    total.failures[k] += part.failures[k];
  }
  total.f32 += part.f32;
  total.jit_runs += part.jit_runs;
  total.stabilised += part.stabilised;
  total.rescued += part.rescued;
  total.more_accurate += part.more_accurate;
  total.nonfinite += part.nonfinite;
  total.fault_applied += part.fault_applied;
  for (const auto& [rule, n] : part.programs_per_rule) total.programs_per_rule[rule] += n;
  total.failing_seeds.insert(total.failing_seeds.end(), part.failing_seeds.begin(), part.failing_seeds.end());
  total.reports.insert(total.reports.end(), part.reports.begin(), part.reports.end());
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  Tally total;
  // In chunks, with a progress line after each: a run cut short by a time limit still says
  // how far it got and what it found.
  for (int done = 0; done < a.count; done += a.chunk) {
    const int n = std::min(a.chunk, a.count - done);
    const int reports_left = std::max(0, a.reports - static_cast<int>(total.reports.size()));
    add(total, run_programs(a.seed + static_cast<uint64_t>(done), n, a.jit_every, a.fault, reports_left));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "[{:.0f} s] {}\n", s, total.summary());
  }
  for (const std::string& r : total.reports) fmt::print("---- failure\n{}\n", r);
  fmt::print("{}\n", total.summary());
  for (const auto& [rule, n] : total.programs_per_rule) fmt::print("  rule {:<22} fired in {} programs\n", rule, n);
  return total.total_failures() == 0 ? 0 : 1;
}
