// frontend/functions.cpp — the function table and "did you mean" suggestions.
#include "frontend/functions.h"

#include <algorithm>
#include <array>
#include <vector>

namespace gradc::frontend {

namespace {

using ir::Op;

const std::array kFunctions = {
    Function{"ln", 1, Op::Log, "ln(x)"},
    Function{"log", 1, Op::Log, "log(x)"},  // natural log, as in most maths texts
    Function{"exp", 1, Op::Exp, "exp(x)"},
    Function{"sqrt", 1, Op::Sqrt, "sqrt(x)"},
    Function{"sin", 1, Op::Sin, "sin(x)"},
    Function{"cos", 1, Op::Cos, "cos(x)"},
    Function{"tan", 1, Op::Tan, "tan(x)"},
    Function{"tanh", 1, Op::Tanh, "tanh(x)"},
    Function{"sigmoid", 1, Op::Sigmoid, "sigmoid(x)"},
    Function{"relu", 1, Op::Relu, "relu(x)"},
    Function{"abs", 1, Op::Abs, "abs(x)"},
    Function{"softplus", 1, Op::Softplus, "softplus(x)"},
    Function{"step", 1, Op::Step, "step(x)"},
    Function{"max", 2, Op::Max, "max(a, b)"},
    Function{"min", 2, Op::Min, "min(a, b)"},
    Function{"grad", 2, std::nullopt, "grad(expr, x)"},
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Levenshtein distance, ignoring case (so "Exp" and "LN" are found).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (lower(a[i - 1]) != lower(b[j - 1]));
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

}  // namespace

const Function* find_function(std::string_view name) {
  for (const Function& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

const Function* suggest_function(std::string_view name) {
  // One typo in a short name, two in a long one; a long name is not compared
  // at all (and costs nothing). Ties go to the name with the same first letter
  // ("sn" suggests sin, not ln).
  if (name.empty()) return nullptr;
  const size_t allowed = name.size() <= 3 ? 1 : 2;
  const Function* best = nullptr;
  size_t best_score = 2 * allowed + 2;
  for (const Function& f : kFunctions) {
    const size_t gap = f.name.size() > name.size() ? f.name.size() - name.size()
                                                   : name.size() - f.name.size();
    if (gap > allowed) continue;
    const size_t d = edit_distance(name, f.name);
    const size_t score = 2 * d + (lower(name[0]) != f.name[0]);
    if (d <= allowed && score < best_score) best = &f, best_score = score;
  }
  return best;
}

}  // namespace gradc::frontend
