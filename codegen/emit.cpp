// codegen/emit.cpp — graph → LLVM module with a point entry and a batch (SoA loop) entry.
#include <stdexcept>
#include <vector>

#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/internal.h"

namespace gradc::codegen::detail {

namespace {

using llvm::Value;

// LLVM's fast instruction selector and register allocator, which large graphs
// get, are superlinear in the length of one basic block: a 20,000-step chain
// took seconds in one block. Cutting the straight-line body into blocks of this
// many nodes keeps them linear (values crossing a cut go through the stack);
// the optimising pipeline that small graphs get merges the blocks again.
constexpr ir::NodeId kNodesPerBlock = 512;

void start_new_block(llvm::IRBuilder<>& b) {
  llvm::BasicBlock* here = b.GetInsertBlock();
  auto* next = llvm::BasicBlock::Create(b.getContext(), "", here->getParent());
  b.CreateBr(next);
  b.SetInsertPoint(next);
}

// The graph's outputs computed from `inputs` (one value per g.inputs()) at the
// builder's insertion point, which may end in a later block than it started.
// Nodes are in topological order: one forward loop.
std::vector<Value*> emit_body(llvm::IRBuilder<>& b, const ir::Graph& g, llvm::Type* t,
                              const std::vector<Value*>& inputs) {
  std::vector<Value*> v(g.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) v[g.inputs()[i]] = inputs[i];
  for (ir::NodeId id = 0; id < g.size(); ++id) {
    if (id > 0 && id % kNodesPerBlock == 0) start_new_block(b);
    const ir::Node& n = g[id];
    if (!n.shape.is_scalar()) throw std::runtime_error("codegen: only scalar graphs are supported");
    if (n.op == ir::Op::Input) continue;
    if (n.op == ir::Op::Const) {
      v[id] = llvm::ConstantFP::get(t, n.value);  // rounds to float for f32, like the interpreter
      continue;
    }
    std::vector<Value*> args;
    for (ir::NodeId a : n.inputs) args.push_back(v[a]);
    v[id] = emit_op(b, n, args);
  }
  std::vector<Value*> out;
  for (const ir::Output& o : g.outputs) out.push_back(v[o.id]);
  return out;
}

// A large graph gets no LLVM optimisation (effective_opt_level), so its body is
// emitted once, in the kernel, which both entries call: twice the code would be
// twice LLVM's code-generation time, the bulk of compiling such a graph.
bool is_large(const ir::Graph& g) { return g.size() > kLargeGraphNodes; }

// Inlining a kernel with n `noalias` pointers tags each of its n loads and
// stores with n scopes: quadratic (5,000 inputs and their 5,000 gradients took
// seconds). Beyond this many the vectoriser would not have used them anyway.
constexpr size_t kMaxNoAliasPointers = 256;

// The batch loop over separate column arguments, each `noalias`: that is what
// lets LLVM vectorise without runtime overlap checks (which give up beyond a
// handful of pointers). It is internal and always inlined into the entry point;
// inlining keeps the no-alias facts as scoped metadata. A large graph's kernel
// is neither inlined nor `noalias`: its point entry calls it with in and out
// columns of one element, which may overlap.
llvm::Function* emit_kernel(llvm::Module& m, const ir::Graph& g, llvm::Type* t,
                            const std::string& name, const llvm::TargetMachine& tm) {
  llvm::LLVMContext& ctx = m.getContext();
  size_t ni = g.inputs().size(), no = g.outputs.size();
  std::vector<llvm::Type*> params(ni + no, llvm::PointerType::getUnqual(ctx));
  params.push_back(llvm::Type::getInt64Ty(ctx));
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false);
  llvm::Function* f = make_function(m, ft, name + ".kernel", llvm::Function::InternalLinkage, tm);
  if (is_large(g)) {
    f->addFnAttr(llvm::Attribute::NoInline);
  } else {
    f->addFnAttr(llvm::Attribute::AlwaysInline);
    for (unsigned i = 0; i < ni + no && ni + no <= kMaxNoAliasPointers; ++i) {
      f->addParamAttr(i, llvm::Attribute::NoAlias);
      f->addParamAttr(i, llvm::Attribute::NoCapture);
    }
  }
  llvm::Value* n = f->getArg(static_cast<unsigned>(ni + no));
  auto* entry = llvm::BasicBlock::Create(ctx, "entry", f);
  auto* loop = llvm::BasicBlock::Create(ctx, "loop", f);
  auto* exit = llvm::BasicBlock::Create(ctx, "exit", f);
  llvm::IRBuilder<> b(entry);
  b.CreateCondBr(b.CreateICmpSGT(n, b.getInt64(0)), loop, exit);

  b.SetInsertPoint(loop);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2, "i");
  i->addIncoming(b.getInt64(0), entry);
  std::vector<Value*> in;
  for (unsigned k = 0; k < ni; ++k)
    in.push_back(b.CreateLoad(t, b.CreateInBoundsGEP(t, f->getArg(k), i)));
  std::vector<Value*> out = emit_body(b, g, t, in);
  for (unsigned k = 0; k < no; ++k)
    b.CreateStore(out[k], b.CreateInBoundsGEP(t, f->getArg(static_cast<unsigned>(ni) + k), i));
  Value* next = b.CreateAdd(i, b.getInt64(1), "i.next", /*HasNUW=*/true, /*HasNSW=*/true);
  i->addIncoming(next, b.GetInsertBlock());  // the body may have split `loop`
  b.CreateCondBr(b.CreateICmpEQ(next, n), exit, loop);

  b.SetInsertPoint(exit);
  b.CreateRetVoid();
  return f;
}

// void batch(const T* const* in, T* const* out, int64_t n): loads the column
// pointers and runs the kernel over them.
void emit_batch(llvm::Module& m, const ir::Graph& g, const std::string& name,
                const llvm::TargetMachine& tm, llvm::Function* kernel) {
  llvm::LLVMContext& ctx = m.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(ctx);
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                     {ptr, ptr, llvm::Type::getInt64Ty(ctx)}, false);
  llvm::Function* f = make_function(m, ft, name, llvm::Function::ExternalLinkage, tm);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  std::vector<Value*> args;
  for (size_t k = 0; k < g.inputs().size(); ++k)
    args.push_back(b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, f->getArg(0), k)));
  for (size_t k = 0; k < g.outputs.size(); ++k)
    args.push_back(b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, f->getArg(1), k)));
  args.push_back(f->getArg(2));
  b.CreateCall(kernel, args);
  b.CreateRetVoid();
}

// void point(const T* in, T* out): loads every input before storing any output,
// so `in` and `out` may even overlap.
// A large graph's point entry calls the kernel for one element instead.
void emit_point(llvm::Module& m, const ir::Graph& g, llvm::Type* t, const std::string& name,
                const llvm::TargetMachine& tm, llvm::Function* kernel) {
  llvm::LLVMContext& ctx = m.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(ctx);
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr}, false);
  llvm::Function* f = make_function(m, ft, name, llvm::Function::ExternalLinkage, tm);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  if (is_large(g)) {
    std::vector<Value*> args;
    for (size_t k = 0; k < g.inputs().size(); ++k)
      args.push_back(b.CreateConstInBoundsGEP1_64(t, f->getArg(0), k));
    for (size_t k = 0; k < g.outputs.size(); ++k)
      args.push_back(b.CreateConstInBoundsGEP1_64(t, f->getArg(1), k));
    args.push_back(b.getInt64(1));
    b.CreateCall(kernel, args);
    b.CreateRetVoid();
    return;
  }
  std::vector<Value*> in;
  for (size_t i = 0; i < g.inputs().size(); ++i)
    in.push_back(b.CreateLoad(t, b.CreateConstInBoundsGEP1_64(t, f->getArg(0), i)));
  std::vector<Value*> out = emit_body(b, g, t, in);
  for (size_t k = 0; k < out.size(); ++k)
    b.CreateStore(out[k], b.CreateConstInBoundsGEP1_64(t, f->getArg(1), k));
  b.CreateRetVoid();
}

}  // namespace

// Every function carries the host CPU and features so that the optimiser's cost
// model and the JIT's code generator agree on the vector width.
llvm::Function* make_function(llvm::Module& m, llvm::FunctionType* ft, const std::string& name,
                              llvm::GlobalValue::LinkageTypes linkage,
                              const llvm::TargetMachine& tm) {
  auto* f = llvm::Function::Create(ft, linkage, name, m);
  f->setDoesNotThrow();
  f->addFnAttr("target-cpu", tm.getTargetCPU());
  f->addFnAttr("target-features", tm.getTargetFeatureString());
  return f;
}

llvm::Type* element_type(llvm::LLVMContext& ctx, ir::DType t) {
  return t == ir::DType::F32 ? llvm::Type::getFloatTy(ctx) : llvm::Type::getDoubleTy(ctx);
}

std::unique_ptr<llvm::Module> emit_module(const ir::Graph& g, ir::DType dtype,
                                          llvm::LLVMContext& ctx, const EntryNames& names,
                                          const llvm::TargetMachine& tm) {
  auto m = std::make_unique<llvm::Module>("gradc", ctx);
  m->setTargetTriple(tm.getTargetTriple().str());
  m->setDataLayout(tm.createDataLayout());
  llvm::Type* t = element_type(ctx, dtype);
  llvm::Function* kernel = emit_kernel(*m, g, t, names.batch, tm);
  emit_point(*m, g, t, names.point, tm, kernel);
  emit_batch(*m, g, names.batch, tm, kernel);
  std::string err;
  llvm::raw_string_ostream os(err);
  if (llvm::verifyModule(*m, &os)) throw std::runtime_error("codegen: invalid LLVM IR: " + os.str());
  return m;
}

}  // namespace gradc::codegen::detail
