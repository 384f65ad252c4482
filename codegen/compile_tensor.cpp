// codegen/compile_tensor.cpp — compile_tensors(): emit, optimise, JIT; and the workspace.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <stdexcept>

#include "codegen/codegen.h"
#include "codegen/internal.h"

namespace gradc::codegen {

namespace {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};
using Buffer = std::unique_ptr<void, FreeDeleter>;

Buffer allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return Buffer(p);
}

}  // namespace

struct CompiledTensorFunction::Impl {
  size_t num_inputs = 0, num_outputs = 0, workspace_bytes = 0;
  ir::DType dtype = ir::DType::F64;
  detail::JitEntry entry;  // owns the code (and the GEMM symbol) through its resource tracker
  // The workspace made at compile time. A call takes it if it is free; a concurrent call
  // gets its own for the call (see codegen.h): no per-call allocation in the common case,
  // no data race in the other.
  Buffer workspace;
  mutable std::mutex workspace_busy;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { detail::jit_remove(entry.tracker); }

  template <class T>
  void run(const T* const* in, T* const* out) const {
    using Fn = void (*)(const T* const*, T* const*, void*);
    std::unique_lock<std::mutex> lock(workspace_busy, std::try_to_lock);
    if (lock.owns_lock()) return detail::call_generated<Fn>(entry.entry, in, out, workspace.get());
    Buffer own = allocate(workspace_bytes);
    detail::call_generated<Fn>(entry.entry, in, out, own.get());
  }
};

CompiledTensorFunction::CompiledTensorFunction() = default;
CompiledTensorFunction::CompiledTensorFunction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledTensorFunction::CompiledTensorFunction(CompiledTensorFunction&&) noexcept = default;
CompiledTensorFunction& CompiledTensorFunction::operator=(CompiledTensorFunction&&) noexcept = default;
CompiledTensorFunction::~CompiledTensorFunction() = default;

size_t CompiledTensorFunction::num_inputs() const { return impl_ ? impl_->num_inputs : 0; }
size_t CompiledTensorFunction::num_outputs() const { return impl_ ? impl_->num_outputs : 0; }
size_t CompiledTensorFunction::workspace_bytes() const { return impl_ ? impl_->workspace_bytes : 0; }

namespace {

// Calling through the wrong element type would reinterpret memory: refuse it.
const CompiledTensorFunction::Impl& checked(const std::unique_ptr<CompiledTensorFunction::Impl>& impl,
                                            ir::DType want) {
  if (!impl) throw std::logic_error("codegen: run on an empty CompiledTensorFunction");
  if (impl->dtype != want)
    throw std::logic_error(std::string("codegen: function compiled for ") + ir::dtype_name(impl->dtype) +
                           ", run with " + ir::dtype_name(want));
  return *impl;
}

// Symbol names are unique per process: every module shares the main JITDylib.
detail::TensorNames fresh_names() {
  static std::atomic<uint64_t> counter{0};
  std::string base = "gradc_tensor_fn" + std::to_string(counter.fetch_add(1));
  return {base, base + "_gemm", base + "_gemm_rows"};
}

void* gemm_for(const CodegenOptions& opts) {
  if (opts.dtype == ir::DType::F32)
    return opts.gemm_f32 ? opts.gemm_f32 : reinterpret_cast<void*>(&detail::gradc_codegen_gemm_f32);
  return opts.gemm_f64 ? opts.gemm_f64 : reinterpret_cast<void*>(&detail::gradc_codegen_gemm_f64);
}

}  // namespace

void CompiledTensorFunction::run(const double* const* in, double* const* out) const {
  checked(impl_, ir::DType::F64).run(in, out);
}
void CompiledTensorFunction::run(const float* const* in, float* const* out) const {
  checked(impl_, ir::DType::F32).run(in, out);
}

CompiledTensorFunction compile_tensors(const ir::Graph& g, const CodegenOptions& opts) {
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  const detail::TensorNames names = fresh_names();
  const detail::RowsInputs rows = detail::rows_inputs(opts);
  detail::TensorModule tmod = detail::emit_tensor_module(g, opts.dtype, *ctx, names, *tm, rows);
  detail::optimize(*tmod.module, *tm, detail::effective_opt_level(g, opts.opt_level));
  if (g.size() > detail::kLargeGraphNodes) detail::mark_large_module(*tmod.module);
  auto impl = std::make_unique<CompiledTensorFunction::Impl>();
  impl->num_inputs = g.inputs().size();
  impl->num_outputs = g.outputs.size();
  impl->dtype = opts.dtype;
  impl->workspace_bytes = tmod.workspace_bytes;
  impl->workspace = allocate(tmod.workspace_bytes);
  std::vector<std::pair<std::string, void*>> symbols = {{names.gemm, gemm_for(opts)}};
  if (rows.gemm_rows) symbols.emplace_back(names.gemm_rows, opts.gemm_rows_f32);
  impl->entry = detail::jit_add_with_symbols(std::move(tmod.module), std::move(ctx), names.entry, symbols);
  return CompiledTensorFunction(std::move(impl));
}

}  // namespace gradc::codegen
