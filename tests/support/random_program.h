// tests/support/random_program.h — seeded random well-typed gradc programs, for differential testing.
//
// Why a generator: the optimisation levels (-O0 autodiff only, -O1 exact rewrites, -O2
// stabilising rewrites) and the two back ends (interpreter, JIT) must compute the same
// values and gradients for every program, not only for the handful a person thought of.
// One seed gives one program, so a failure found in a run of 100,000 is reproduced by its
// seed alone. The unit test (tests/unit/opt_levels_diff_test.cpp) and the long-run tool
// (gradc_difftest) share this code, so both test exactly the same programs.
//
// Every program is built twice from the same random choices: as written (with "fragile"
// forms such as log(1 + x), log(softmax(z)), bce(sigmoid(z), t) at some sites) and as its
// stable twin (log1p(x), log_softmax(z), bce_with_logits(z, t) at those sites). The twin,
// run at -O0, is the independent reference that judges what the stabilising rewrites of
// -O2 compute where the written form overflows or loses digits.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "ir/graph.h"
#include "runtime/tensor.h"

namespace gradc::difftest {

enum class ProgramKind : uint8_t {
  Scalar,  // elementwise ops on scalars, built with ir::Builder (the scalar JIT runs them)
  Tensor,  // small concrete shapes: broadcasts, reductions, matmul, one_hot, nn functions
  Source,  // program text with `def`s, through frontend::compile_to_ir; some with a symbolic dim
};
inline constexpr int kProgramKinds = 3;
std::string_view kind_name(ProgramKind k);

struct RandomProgram {
  uint64_t seed = 0;
  ProgramKind kind = ProgramKind::Scalar;
  ir::DType dtype = ir::DType::F64;
  ir::Graph graph;        // as written; one output, the scalar "loss"
  ir::Graph stable_twin;  // the same program with every fragile site in its stable form
  int fragile_sites = 0;  // 0: the twin is the written program
  std::string source, twin_source;                // Source programs: the text
  std::map<std::string, int64_t> dims;            // values of the symbolic dims, if any
  std::map<std::string, runtime::Tensor> inputs;  // every input's value, by name
};

// The program of `seed`; its kind and dtype follow from the seed too.
RandomProgram generate_program(uint64_t seed);
RandomProgram generate_program(uint64_t seed, ProgramKind kind, ir::DType dtype);

// The values of g's inputs in g.inputs() order (passes may drop or reorder inputs).
std::vector<runtime::Tensor> inputs_for(const ir::Graph& g, const RandomProgram& p);

// The non-integer inputs of g: what the differential test differentiates by.
std::vector<std::string> differentiable_inputs(const ir::Graph& g);

}  // namespace gradc::difftest
