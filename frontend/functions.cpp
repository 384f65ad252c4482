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
    Function{"log10", 1, Op::Log10, "log10(x)"},
    Function{"log2", 1, Op::Log2, "log2(x)"},
    Function{"log1p", 1, Op::Log1p, "log1p(x)"},
    Function{"expm1", 1, Op::Expm1, "expm1(x)"},
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
    Function{"grad", 2, std::nullopt, "grad(expr, x)", Builtin::Grad},
    Function{"sum", 1, std::nullopt, "sum(x), sum(x, axis=1), sum(x, axis=[0, 1], keepdims=true)",
             Builtin::Sum, {"axis", "keepdims"}},
    Function{"mean", 1, std::nullopt, "mean(x), mean(x, axis=1), mean(x, axis=[0, 1], keepdims=true)",
             Builtin::Mean, {"axis", "keepdims"}},
    Function{"softmax", 1, std::nullopt, "softmax(x) or softmax(x, axis=0)", Builtin::Softmax, {"axis"}},
    Function{"log_softmax", 1, std::nullopt, "log_softmax(x) or log_softmax(x, axis=0)",
             Builtin::LogSoftmax, {"axis"}},
    Function{"logsumexp", 1, std::nullopt, "logsumexp(x), logsumexp(x, axis=0, keepdims=true)",
             Builtin::LogSumExp, {"axis", "keepdims"}},
    Function{"leaky_relu", 1, std::nullopt, "leaky_relu(x) or leaky_relu(x, slope=0.2)",
             Builtin::LeakyRelu, {"slope"}},
    Function{"gelu", 1, std::nullopt, "gelu(x)", Builtin::Gelu},
    Function{"mse", 2, std::nullopt, "mse(prediction, target)", Builtin::Mse},
    Function{"bce", 2, std::nullopt, "bce(probability, target)", Builtin::Bce},
    Function{"bce_with_logits", 2, std::nullopt, "bce_with_logits(logits, target)", Builtin::BceWithLogits},
    Function{"cross_entropy", 2, std::nullopt, "cross_entropy(logits, labels)", Builtin::CrossEntropy},
    Function{"one_hot", 1, std::nullopt, "one_hot(labels, classes)", Builtin::OneHot, {"classes"}, 1},
    Function{"transpose", 1, std::nullopt, "transpose(x) or transpose(x, [1, 0])", Builtin::Transpose,
             {"axes"}},
    Function{"reshape", 1, std::nullopt, "reshape(x, [2, -1])", Builtin::Reshape, {"shape"}, 1},
};

const Function kMaxReduction{"max", 1, std::nullopt,
                             "max(x), max(x, axis=1), max(x, axis=[0, 1], keepdims=true)",
                             Builtin::ReduceMax, {"axis", "keepdims"}};

const std::array kInitialisers = {
    Initialiser{"he", 0, "he()"},
    Initialiser{"xavier", 0, "xavier()"},
    Initialiser{"xavier_normal", 0, "xavier_normal()"},
    Initialiser{"he_uniform", 0, "he_uniform()"},
    Initialiser{"normal", 2, "normal(mean, std)"},
    Initialiser{"uniform", 2, "uniform(lo, hi)"},
    Initialiser{"zeros", 0, "zeros()"},
    Initialiser{"ones", 0, "ones()"},
    Initialiser{"constant", 1, "constant(v)"},
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

const Function& max_reduction() { return kMaxReduction; }

std::string_view suggest(std::string_view name, const std::vector<std::string_view>& candidates) {
  // One typo in a short name, two in a long one; a long name is not compared
  // at all (and costs nothing). Ties go to the name with the same first letter
  // ("sn" suggests sin, not ln).
  if (name.empty()) return {};
  const size_t allowed = name.size() <= 3 ? 1 : 2;
  std::string_view best;
  size_t best_score = 2 * allowed + 2;
  for (std::string_view c : candidates) {
    if (c.empty()) continue;
    const size_t gap = c.size() > name.size() ? c.size() - name.size() : name.size() - c.size();
    if (gap > allowed) continue;
    const size_t d = edit_distance(name, c);
    const size_t score = 2 * d + (lower(name[0]) != c[0]);
    if (d <= allowed && score < best_score) best = c, best_score = score;
  }
  return best;
}

const Function* suggest_function(std::string_view name) {
  std::vector<std::string_view> names;
  for (const Function& f : kFunctions) names.push_back(f.name);
  const std::string_view best = suggest(name, names);
  return best.empty() ? nullptr : find_function(best);
}

const Initialiser* find_initialiser(std::string_view name) {
  for (const Initialiser& i : kInitialisers)
    if (i.name == name) return &i;
  return nullptr;
}

std::vector<std::string_view> initialiser_names() {
  std::vector<std::string_view> names;
  for (const Initialiser& i : kInitialisers) names.push_back(i.name);
  return names;
}

}  // namespace gradc::frontend
