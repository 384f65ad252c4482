// frontend/functions.h — the built-in functions a program may call, and the
// initialisers a param may name.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/op.h"

namespace gradc::frontend {

// What a call lowers to: one IR op (the scalar functions, applied elementwise),
// grad, or a tensor built-in.
enum class Builtin : uint8_t {
  Elementwise, Grad,
  Sum, Mean, ReduceMax, Softmax, LogSoftmax, LogSumExp, LeakyRelu, Gelu,
  Mse, Bce, BceWithLogits, CrossEntropy, OneHot, Transpose, Reshape,
};

struct Function {
  std::string_view name;
  int arity;                 // the graph operands (for grad: expr and x)
  std::optional<ir::Op> op;  // Elementwise: the op
  std::string_view usage;    // "max(a, b)", for messages
  Builtin builtin = Builtin::Elementwise;
  // Options after the operands, by position or as name=value (axis, keepdims, ...).
  std::array<std::string_view, 2> options{};
  int required_options = 0;  // the first this many must be given

  int option_count() const { return options[0].empty() ? 0 : options[1].empty() ? 1 : 2; }
};

const Function* find_function(std::string_view name);  // nullptr if not a function

// max(x, axis=...) with one operand: the reduction, not the elementwise max.
const Function& max_reduction();

// The function whose name is a likely misspelling of `name`, if any.
const Function* suggest_function(std::string_view name);

// The candidate that `name` is a likely misspelling of (one typo in a short
// name, two in a long one), or empty.
std::string_view suggest(std::string_view name, const std::vector<std::string_view>& candidates);

// Param initialisers: he() xavier() normal(mean, std) uniform(lo, hi) zeros() ones() constant(v).
struct Initialiser {
  std::string_view name;
  int arity;
  std::string_view usage;
};
const Initialiser* find_initialiser(std::string_view name);
std::vector<std::string_view> initialiser_names();

}  // namespace gradc::frontend
