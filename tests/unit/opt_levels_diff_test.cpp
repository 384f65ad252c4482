// tests/unit/opt_levels_diff_test.cpp — random programs agree at -O0, -O1, -O2, interpreted and JIT-compiled.
//
// Why a differential test: the rewrite rules, autodiff and both back ends each have their
// own tests, but a wrong interaction (a rule that is exact for scalars and not for
// broadcast operands, a stabilised form whose gradient is wrong, a fused loop that reads a
// stale value) shows only on programs nobody wrote by hand. Thousands of seeded random
// programs (tests/support/random_program.h) run through every level, and each level's
// values and gradients are compared with -O0's as tests/support/differential.h explains:
// -O1 exactly, -O2 exactly unless it stabilised something, then against the program's
// stable twin where it differs from -O0 (where -O0 overflows, -O2 must be finite and equal
// to the twin within rounding). `gradc_difftest --count 100000` runs the long version.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "passes/rewrite_rules.h"
#include "runtime/interpreter.h"
#include "runtime/tensor_jit.h"
#include "tests/support/differential.h"
#include "tests/support/random_program.h"

using namespace gradc;
using namespace gradc::difftest;

namespace {

constexpr uint64_t kBaseSeed = 0x0d1ff7e57ULL;
constexpr int kJitEvery = 16;  // LLVM compiles take ~20 ms each: the JIT runs on every 16th program

// Under ASan+UBSan (Debug, instrumented) everything runs ~20x slower: a tenth of the programs.
// GRADC_DIFFTEST_PROGRAMS overrides either count.
int program_count(int release_count) {
  if (const char* env = std::getenv("GRADC_DIFFTEST_PROGRAMS")) return std::atoi(env);
#if defined(__SANITIZE_ADDRESS__)
  return release_count / 10;
#else
  return release_count;
#endif
}

// Bit for bit, so that NaN inputs compare equal to themselves.
bool same_bits(const std::map<std::string, runtime::Tensor>& a, const std::map<std::string, runtime::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || i->second.shape != j->second.shape || i->second.data.size() != j->second.data.size())
      return false;
    for (size_t k = 0; k < i->second.data.size(); ++k)
      if (std::bit_cast<uint64_t>(i->second.data[k]) != std::bit_cast<uint64_t>(j->second.data[k])) return false;
  }
  return true;
}

void check_tally(const Tally& t) {
  INFO(t.summary());
  for (const std::string& report : t.reports) FAIL_CHECK(report);
  CHECK(t.total_failures() == 0);
}

}  // namespace

TEST_CASE("random programs: values and gradients agree at -O0, -O1 and -O2, interpreted and JIT",
          "[difftest][property]") {
  const Tally t = run_programs(kBaseSeed, program_count(3000), kJitEvery);
  WARN(t.summary());
  check_tally(t);
  // The generator reached what the comparison is for; a change that stops it is caught here.
  for (int k = 0; k < kProgramKinds; ++k) CHECK(t.programs[static_cast<size_t>(k)] > t.total() / 10);
  CHECK(t.stabilised > t.total() / 20);
  CHECK(t.rescued > 0);
  CHECK(t.more_accurate > 0);
  CHECK(t.jit_runs >= t.total() / kJitEvery);
  // Every row of the rewrite table, exact and stabilising, was exercised: a new rule that
  // no random program reaches fails here until the generator learns to write its pattern.
  // (The rarest, sub-zero, fires in ~1 program in 1,500: not asked of a sanitizer run's 300.)
  if (t.total() < 3000) return;
  for (const passes::RewriteRule& rule : passes::rewrite_rules()) {
    INFO("rule " << rule.name);
    CHECK(t.programs_per_rule.count(std::string(rule.name)) == 1);
  }
}

TEST_CASE("random programs use every op of ops.def", "[difftest]") {
  std::set<ir::Op> seen;
  for (uint64_t seed = kBaseSeed; seed < kBaseSeed + 400; ++seed) {
    const RandomProgram p = generate_program(seed);
    for (const ir::Node& n : p.graph.nodes()) seen.insert(n.op);
  }
  for (int k = 0; k < ir::kOpCount; ++k) {
    INFO("op " << ir::mnemonic(static_cast<ir::Op>(k)));
    CHECK(seen.count(static_cast<ir::Op>(k)) == 1);
  }
}

TEST_CASE("a random program is a function of its seed", "[difftest]") {
  for (uint64_t seed : {kBaseSeed, kBaseSeed + 1, kBaseSeed + 2, kBaseSeed + 7}) {
    const RandomProgram a = generate_program(seed), b = generate_program(seed);
    CHECK(ir::print(a.graph) == ir::print(b.graph));  // printed: a count of a symbolic dim is NaN until bound
    CHECK(ir::print(a.stable_twin) == ir::print(b.stable_twin));
    CHECK(same_bits(a.inputs, b.inputs));
    CHECK(a.source == b.source);
  }
}

// 300 programs, interpreted only, whatever the build: a fraction of a second in release.
TEST_CASE("the differential test catches a wrong exact rule and a wrong stabilising rule", "[difftest]") {
  SECTION("a - b computed as b - a at -O1 and -O2") {
    const Tally t = run_programs(kBaseSeed, 300, 0, Fault::SubOperandsSwapped, 1);
    INFO(t.summary());
    REQUIRE(t.fault_applied > t.total() / 4);
    // Not every swap shows: a − b under abs (the generator's log(|x| + 0.25)) or squared (mse)
    // is the same value, so three in four, not all, must be caught.
    CHECK(t.total_failures() >= t.fault_applied * 6 / 10);
    REQUIRE(!t.reports.empty());
    CHECK(t.reports[0].find("seed ") != std::string::npos);     // the report names the seed,
    CHECK(t.reports[0].find("func @f") != std::string::npos);   // prints the program
    CHECK(t.reports[0].find("-O0 ") != std::string::npos);      // and the values that differ
  }
  SECTION("log1p(x) computed as log(x) at -O2, where the stable twin judges") {
    const Tally t = run_programs(kBaseSeed, 300, 0, Fault::Log1pAsLog, 1);
    INFO(t.summary());
    REQUIRE(t.fault_applied > 10);
    CHECK(t.total_failures() >= t.fault_applied * 8 / 10);
  }
}

TEST_CASE("the cancellation floor passes rounding residue and still fails a tiny wrong value", "[difftest]") {
  const double f64_floor = cancellation_floor(ir::DType::F64, 1.0), rtol = 1e-9;
  // seed 9007873: the fused softmax_cross_entropy gradient is exactly 0 where -O0's chain
  // rule leaves 2^-54 from terms of about 1.
  CHECK(within_rounding(0, 5.551115123125783e-17, rtol, 5.551115123125783e-17, f64_floor));
  // A gradient off by a factor 2 (or of the wrong sign) is no rounding, small as it is, as
  // long as it is above ~1e-13 of the values it was computed from.
  CHECK_FALSE(within_rounding(2e-12, 1e-12, rtol, 1e-12, f64_floor));
  CHECK_FALSE(within_rounding(-1e-12, 1e-12, rtol, 1e-12, f64_floor));
  CHECK_FALSE(within_rounding(2e-12, 1e-12, rtol, 1e-12, 0));  // and without a floor, as before
  CHECK(within_rounding(std::nan(""), std::nan(""), rtol, 1, f64_floor));
  CHECK_FALSE(within_rounding(0, std::nan(""), rtol, 1, f64_floor));
  CHECK_FALSE(within_rounding(0, std::numeric_limits<double>::infinity(), rtol, 1, 1e300));
  // f32 rounds 2^29 times coarser; the floor follows the type.
  CHECK(cancellation_floor(ir::DType::F32, 1.0) > cancellation_floor(ir::DType::F64, 1.0) * 1e8);
}

TEST_CASE("fixed: cancellation to ~0 from terms of ~1 is rounding, not a failure", "[difftest][regression]") {
  // The four failures of a 30,000-program run with fuse in -O2 (gradc_difftest --seed S
  // --count 1). Each output is all cancellation: 9007873 and 9010749, softmax(z)·Σy − y at a
  // saturated class (0 fused, 5.6e-17 and 3.5e-17 through the chain rule); 9012644, the
  // gradient of cross-entropy through a logit broadcast to every class (1/3 + 1/3 − 2/3:
  // -O2 1.6e-18, -O0 −7.8e-19, exactly 0 in real arithmetic); 9012151, values of 5e-19
  // scaled by a 1e-9 factor, where -O2's expm1 is accurate and -O0's exp(x) − 1 is off by
  // 1e-7 relative (and the twin, not stabilised there, with it).
  for (uint64_t seed : {9007873ULL, 9010749ULL, 9012151ULL, 9012644ULL}) {
    INFO("seed " << seed);
    check_tally(run_programs(seed, 1, 1));
  }
}

// ---------------------------------------------------------------------------
// Bugs the differential test found, minimised, kept as regression tests. A bug in code
// another branch owns waits here hidden ([.][known-bug], run with `gradc_tests
// "[known-bug]"`) until its fix lands; the differential harness says where it works around one.
namespace {

// The program's value and gradients at -O<level>, interpreted, dims bound after the passes.
std::vector<runtime::Tensor> at_level(const ir::Graph& g, int level, const std::vector<runtime::Tensor>& in,
                                      const std::map<std::string, int64_t>& dims = {}) {
  passes::PipelineSpec spec;
  spec.level = level;
  passes::PassContext ctx;
  ir::Graph out = passes::PassManager(passes::build_pipeline(spec)).run(g, ctx);
  if (!dims.empty()) out = ir::bind_dims(out, dims);
  return runtime::interpret_tensors(out, in);
}

ir::Graph parse(const char* text, ir::DType t) {
  return frontend::compile_to_ir(frontend::SourceFile("bug.grad", text), t);
}

}  // namespace

TEST_CASE("fixed: simplify, cse, dce and stabilize keep the names of symbolic dims", "[passes][regression]") {
  // passes/rewriter.cpp's finish() copies nodes and outputs but not Graph::dim_names, so
  // after -O1 `B` is "?0": `gradc emit --emit ir -O1` prints f32[?0,3], and bind_dims
  // after a pipeline throws "dimension ? is not bound".
  const ir::Graph g = parse("input x[B, 3]\nloss = mean(x * x)\n", ir::DType::F64);
  for (int level : {1, 2}) {
    passes::PipelineSpec spec;
    spec.level = level;
    passes::PassContext ctx;
    const ir::Graph out = passes::PassManager(passes::build_pipeline(spec)).run(g, ctx);
    CHECK(out.dim_names.names == g.dim_names.names);
    CHECK_NOTHROW(ir::bind_dims(out, {{"B", 2}}));
  }
}

TEST_CASE("fixed: constant folding in f32 rounds the constants to float first", "[passes][regression]") {
  // The interpreter and the JIT round the constant 1.3 to float (1.2999999523) before use;
  // simplify's fold computes tanh(3) * 1.3 from the double 1.3. tan near π/2 makes the
  // difference 4 float ulp: `gradc eval -e 'f = tan(tanh(3) * 1.3) + x' --at x=0 --dtype f32`
  // prints 3.51429 at -O0 and 3.5142918 at -O1.
  const ir::Graph g = parse("f = tan(tanh(3) * 1.3) + x", ir::DType::F32);
  const std::vector<runtime::Tensor> in{runtime::Tensor::scalar(0)};
  CHECK(at_level(g, 1, in)[0].data[0] == at_level(g, 0, in)[0].data[0]);
}

TEST_CASE("fixed: bce_with_logits is finite or +inf at infinite logits, at every level", "[passes][regression]") {
  // ir/nn.cpp computed softplus(z) − t·z: inf − inf = NaN at z = +inf for t > 0, where the
  // loss is +inf (PyTorch's BCEWithLogitsLoss gives inf), and 0·(−inf) at z = −inf, t = 0,
  // where it is 0. Checked interpreted and JIT-compiled at -O0..-O2, the loss and ∂/∂z = σ(z) − t.
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    double z, t, loss, dz;
  };
  const Case cases[] = {{inf, 0.5, inf, 0.5},  {inf, 1, 0, 0},     {inf, 0, inf, 1},
                        {-inf, 0.5, inf, -0.5}, {-inf, 0, 0, 0},    {-inf, 1, inf, -1},
                        {0, 0.25, std::log(2.0), 0.25}};
  const char* text = "input z[1]\ninput t[1]\nloss = bce_with_logits(z, t)\n";
  for (ir::DType dtype : {ir::DType::F64, ir::DType::F32})
    for (int level = 0; level <= 2; ++level) {
      passes::PipelineSpec spec;
      spec.level = level;
      passes::PassContext ctx;
      ctx.wrt = {"z"};
      const ir::Graph g = passes::PassManager(passes::build_pipeline(spec)).run(parse(text, dtype), ctx);
      const runtime::TensorJit jit = runtime::TensorJit::compile(g);
      for (const Case& c : cases) {
        const std::vector<runtime::Tensor> in{{{1}, {c.z}}, {{1}, {c.t}}};
        for (const auto& out : {runtime::interpret_tensors(g, in), jit.run(in)}) {
          INFO("dtype " << ir::dtype_name(dtype) << " -O" << level << " z " << c.z << " t " << c.t);
          CHECK(out[0].data[0] == Approx(c.loss).margin(1e-6));
          CHECK(out[1].data[0] == Approx(c.dz).margin(1e-6));
        }
      }
    }
}

TEST_CASE("fixed: add-zero keeps the sign of a -0 that a division then shows", "[passes][regression]") {
  // passes/rewrite_rules.cpp rewrites x + 0 to x, keeping a -0 that IEEE turns into +0, on
  // the grounds that a zero's sign changes no value: 1/(x + 0) at x = -0 is +inf at -O0 and
  // -inf at -O1 (`gradc eval -e 'f = 1/(x + 0)' --at x=-0`). x + (-0) → x and x - 0 → x are
  // exact for every x; x + (+0) → x is not. (The random programs keep denominators away
  // from 0, so the differential test compares zeros with == and does not meet this.)
  const ir::Graph g = parse("f = 1/(x + 0)", ir::DType::F64);
  const std::vector<runtime::Tensor> in{runtime::Tensor::scalar(-0.0)};
  CHECK(at_level(g, 1, in)[0].data[0] == at_level(g, 0, in)[0].data[0]);
}

TEST_CASE("fixed: pow-two, which changes a value by an ulp, is not an exact rule", "[passes][regression]") {
  // pow(x, 2) → x·x is in the exact set, but glibc's pow is within 0.52 ulp, not correctly
  // rounded: `gradc eval -e 'f = x^2' --at x=18.60806040098286` prints 346.25991188662647 at
  // -O0 and 346.2599118866264 (the correctly rounded x·x) at -O1; the gradient of x^3
  // differs the same way. Either the rule moves to a set that may change values, or
  // passes/simplify.cpp's promise that -O1 computes exactly what -O0 computes gets a caveat;
  // the differential test compares within rounding where pow-two fired.
  const ir::Graph g = parse("f = x^2", ir::DType::F64);
  const std::vector<runtime::Tensor> in{runtime::Tensor::scalar(18.60806040098286)};
  CHECK(at_level(g, 1, in)[0].data[0] == at_level(g, 0, in)[0].data[0]);
}
