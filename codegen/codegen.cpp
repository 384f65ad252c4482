// codegen/codegen.cpp — compile(): emit, optimise, JIT; and CompiledFunction's calls.
#include "codegen/codegen.h"

#include <atomic>
#include <stdexcept>

#include "codegen/internal.h"

namespace gradc::codegen {

struct CompiledFunction::Impl {
  size_t num_inputs = 0, num_outputs = 0;
  ir::DType dtype = ir::DType::F64;
  detail::JitEntries entries;  // owns the code through its resource tracker

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { detail::jit_remove(entries.tracker); }
};

CompiledFunction::CompiledFunction() = default;
CompiledFunction::CompiledFunction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledFunction::CompiledFunction(CompiledFunction&&) noexcept = default;
CompiledFunction& CompiledFunction::operator=(CompiledFunction&&) noexcept = default;
CompiledFunction::~CompiledFunction() = default;

size_t CompiledFunction::num_inputs() const { return impl_ ? impl_->num_inputs : 0; }
size_t CompiledFunction::num_outputs() const { return impl_ ? impl_->num_outputs : 0; }

namespace {

// Calling through the wrong element type would reinterpret memory: refuse it.
const CompiledFunction::Impl& checked(const std::unique_ptr<CompiledFunction::Impl>& impl,
                                      ir::DType want) {
  if (!impl) throw std::logic_error("codegen: call on an empty CompiledFunction");
  if (impl->dtype != want)
    throw std::logic_error(std::string("codegen: function compiled for ") +
                           ir::dtype_name(impl->dtype) + ", called with " + ir::dtype_name(want));
  return *impl;
}

template <class T>
using PointFn = void (*)(const T*, T*);
template <class T>
using BatchFn = void (*)(const T* const*, T* const*, int64_t);

// Symbol names are unique per process: every module shares the main JITDylib.
detail::EntryNames fresh_names() {
  static std::atomic<uint64_t> counter{0};
  std::string base = "gradc_fn" + std::to_string(counter.fetch_add(1));
  return {base, base + "_batch"};
}

}  // namespace

void CompiledFunction::call(const double* in, double* out) const {
  detail::call_generated<PointFn<double>>(checked(impl_, ir::DType::F64).entries.point, in, out);
}
void CompiledFunction::call_batch(const double* const* in, double* const* out, int64_t n) const {
  detail::call_generated<BatchFn<double>>(checked(impl_, ir::DType::F64).entries.batch, in, out, n);
}
void CompiledFunction::call(const float* in, float* out) const {
  detail::call_generated<PointFn<float>>(checked(impl_, ir::DType::F32).entries.point, in, out);
}
void CompiledFunction::call_batch(const float* const* in, float* const* out, int64_t n) const {
  detail::call_generated<BatchFn<float>>(checked(impl_, ir::DType::F32).entries.batch, in, out, n);
}

CompiledFunction compile(const ir::Graph& g, const CodegenOptions& opts) {
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  detail::EntryNames names = fresh_names();
  std::unique_ptr<llvm::Module> m = detail::emit_module(g, opts.dtype, *ctx, names, *tm);
  detail::optimize(*m, *tm, detail::effective_opt_level(g, opts.opt_level));
  if (g.size() > detail::kLargeGraphNodes) detail::mark_large_module(*m);
  auto impl = std::make_unique<CompiledFunction::Impl>();
  impl->num_inputs = g.inputs().size();
  impl->num_outputs = g.outputs.size();
  impl->dtype = opts.dtype;
  impl->entries = detail::jit_add(std::move(m), std::move(ctx), names);
  return CompiledFunction(std::move(impl));
}

}  // namespace gradc::codegen
