// runtime/compile.cpp — the library façade over frontend → autodiff → passes → JIT.
#include "runtime/compile.h"

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "ir/check.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

namespace gradc {

struct Function::Impl {
  std::vector<std::string> inputs;
  codegen::CompiledFunction compiled;  // outputs: f, then ∂f/∂input for each input
};

Function::Function(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Function::Function(Function&&) noexcept = default;
Function& Function::operator=(Function&&) noexcept = default;
Function::~Function() = default;

Function Function::compile(const std::string& program, const std::string& name) {
  frontend::SourceFile src(name, program);
  ir::Graph g;
  try {
    g = frontend::compile_to_ir(src);
  } catch (const frontend::CompileError& e) {
    throw Error(frontend::render(src, e.diag));
  }
  passes::PassContext ctx;
  passes::PassManager pm(passes::build_pipeline({}));  // -O2, differentiating by every input
  g = pm.run(std::move(g), ctx);
  auto impl = std::make_unique<Impl>(Impl{g.input_names(), codegen::compile(g)});
  return Function(std::move(impl));
}

const std::vector<std::string>& Function::inputs() const { return impl_->inputs; }

ValueAndGrad Function::value_and_grad(std::span<const double> at) const {
  if (at.size() != impl_->inputs.size())
    throw Error("expected " + std::to_string(impl_->inputs.size()) + " input values, got " +
                std::to_string(at.size()));
  std::vector<double> out(1 + at.size());
  impl_->compiled.call(at.data(), out.data());
  return {out[0], std::vector<double>(out.begin() + 1, out.end())};
}

double Function::operator()(std::span<const double> at) const { return value_and_grad(at).value; }

void Function::value_and_grad_batch(std::span<const double* const> at, double* value,
                                    std::span<double* const> grad, int64_t n) const {
  if (at.size() != impl_->inputs.size() || grad.size() != impl_->inputs.size())
    throw Error("value_and_grad_batch: one column per input, for points and gradients");
  std::vector<double*> out{value};
  out.insert(out.end(), grad.begin(), grad.end());
  impl_->compiled.call_batch(at.data(), out.data(), n);
}

}  // namespace gradc
