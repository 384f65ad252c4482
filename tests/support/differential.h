// tests/support/differential.h — one random program at -O0, -O1, -O2, interpreted and JIT-compiled, compared.
//
// Why these comparisons and not others: -O0 (autodiff only) interpreted is the reference,
// the program exactly as written and differentiated. -O1 applies only IEEE-exact rewrites,
// so its interpreted values must equal -O0's bit for bit (NaN for NaN; +0 and -0 count as
// equal, the one liberty the exact rules take). -O2 also rewrites fragile forms into
// stable ones, so where it differs from -O0 it is judged against the program's stable twin
// (random_program.h) run at -O0: equal to the twin within rounding, it is the rewrite doing
// its job (counted as rescued where -O0 is not finite, more accurate where it is);
// equal to neither, it is a failure. The JIT at each level is compared with the
// interpreter at the same level, within rounding (libm versus libmvec, float arithmetic,
// summation order), which together with the above compares it with -O0's interpreter.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "tests/support/random_program.h"

namespace gradc::difftest {

// A wrong rewrite injected after the pipeline, to show that the comparison catches one.
// Never set outside tests of the test.
enum class Fault : uint8_t {
  None,
  SubOperandsSwapped,  // at -O1 and -O2 the first forward a − b computes b − a (a wrong exact rule)
  Log1pAsLog,          // at -O2 only, log1p(x) computes log(x) (a wrong stabilising rule: judged by the twin)
};

struct CheckOptions {
  bool jit = true;  // also JIT-compile the program at every level
  Fault fault = Fault::None;
};

struct CheckResult {
  bool ok = true;
  bool stabilised = false;   // -O2's stabilize pass rewrote something
  bool fault_applied = false;  // the injected fault found something to break
  bool jit_ran = false;
  int rescued = 0;           // elements: -O0 inf or NaN, -O2 finite and equal to the twin
  int more_accurate = 0;     // elements: both finite, -O2 off -O0 but equal to the twin
  int nonfinite = 0;         // elements where -O0 and -O2 agree on inf or NaN
  std::map<std::string, int> rules;  // rewrite rule name → times it fired at -O1 and -O2
  std::string report;        // on failure: seed, program, the values that differ
};

CheckResult check_program(const RandomProgram& p, const CheckOptions& o = {});

// Whether `got` is `want` to within rounding: within rtol of |want| + scale (scale: the
// output's largest value), or at most `floor` apart (cancellation_floor). NaN matches only
// NaN, an infinity only itself.
bool within_rounding(double got, double want, double rtol, double scale, double floor);

// The absolute difference rounding can leave in an output that cancels, given the largest
// finite value among the nodes it was computed from (differential.cpp says why 1024 ε).
double cancellation_floor(ir::DType t, double cone_scale);

// The seed, kind, dtype, text and IR of a program: what a failure report starts with.
std::string describe(const RandomProgram& p);

// What a run of many programs found.
struct Tally {
  std::array<int, kProgramKinds> programs{}, failures{};
  int f32 = 0, jit_runs = 0, stabilised = 0, rescued = 0, more_accurate = 0, nonfinite = 0, fault_applied = 0;
  std::map<std::string, int> programs_per_rule;  // rewrite rule name → programs where it fired
  std::vector<uint64_t> failing_seeds;
  std::vector<std::string> reports;  // the first few failures in full

  int total() const;
  int total_failures() const;
  std::string summary() const;  // one paragraph: programs by kind, the stabilised counts, failures
};

// Programs first_seed, first_seed + 1, ...: `count` of them, the JIT on every
// jit_every-th (0: never). Reports are kept for the first `max_reports` failures.
Tally run_programs(uint64_t first_seed, int count, int jit_every, Fault fault = Fault::None, int max_reports = 3);

}  // namespace gradc::difftest
