// runtime/compile.h — gradc as a C++ library: a formula in, compiled value and
// gradient out.
//
//   gradc::Function f = gradc::Function::compile("f = ln x + exp(y)*z");
//   gradc::ValueAndGrad r = f.value_and_grad({1, 3, 2});   // r.value, r.grad[0..2]
//
// Errors in the formula throw gradc::Error whose what() is the rendered
// diagnostic (file:line:col, the source line, a caret).
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradc {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ValueAndGrad {
  double value;
  std::vector<double> grad;  // ∂f/∂input, in inputs() order
};

class Function {
 public:
  // Parses, differentiates (by every input), optimises and JIT-compiles.
  static Function compile(const std::string& program, const std::string& name = "<formula>");

  Function(Function&&) noexcept;
  Function& operator=(Function&&) noexcept;
  ~Function();

  const std::vector<std::string>& inputs() const;
  double operator()(std::span<const double> at) const;
  ValueAndGrad value_and_grad(std::span<const double> at) const;
  // Over n points at once (vectorised): at[i] holds n values of input i;
  // value gets n values, grad[i] n values of ∂f/∂input i.
  void value_and_grad_batch(std::span<const double* const> at, double* value,
                            std::span<double* const> grad, int64_t n) const;

  struct Impl;

 private:
  explicit Function(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradc
