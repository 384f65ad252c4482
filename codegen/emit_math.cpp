// codegen/emit_math.cpp — the one op → LLVM IR mapping, matching ir/rules.cpp op by op.
//
// Why compare+select instead of llvm.maxnum/minnum for max/min/relu: maxnum
// drops NaN (maxnum(NaN, 1) = 1), while gradc's ops propagate it. No fast-math
// flags anywhere: NaN and ±inf must behave per IEEE, like the interpreter.
#include <llvm/IR/Intrinsics.h>

#include "codegen/internal.h"
#include "ir/check.h"

namespace gradc::codegen::detail {

namespace {

using llvm::Value;
using B = llvm::IRBuilder<>;

Value* zero(Value* like) { return llvm::ConstantFP::get(like->getType(), 0.0); }
Value* cst(Value* like, double v) { return llvm::ConstantFP::get(like->getType(), v); }
Value* is_nan(B& b, Value* x) { return b.CreateFCmpUNO(x, x); }

Value* intrinsic(B& b, llvm::Intrinsic::ID id, llvm::ArrayRef<Value*> x) {
  return b.CreateIntrinsic(id, {x[0]->getType()}, x);
}

// A libm function without an LLVM intrinsic (tan, tanh, log1p). Declared
// memory(none) like clang's -fno-math-errno, so the vectoriser may map it to
// libmvec; f32 uses the `f`-suffixed C name.
Value* libm(B& b, const char* name, Value* x) {
  llvm::Type* t = x->getType();
  std::string fn = t->isFloatTy() ? std::string(name) + "f" : name;
  llvm::Module* m = b.GetInsertBlock()->getModule();
  llvm::FunctionCallee callee = m->getOrInsertFunction(fn, llvm::FunctionType::get(t, {t}, false));
  auto* f = llvm::cast<llvm::Function>(callee.getCallee());
  f->setDoesNotAccessMemory();
  f->setDoesNotThrow();
  f->setWillReturn();
  llvm::CallInst* call = b.CreateCall(callee, {x});
  call->setDoesNotAccessMemory();
  call->setDoesNotThrow();
  return call;
}

// max2(a, b) = (a >= b || isnan(a)) ? a : b   — ties and NaN in a go to a, NaN in b propagates.
Value* max2(B& b, Value* x, Value* y) {
  return b.CreateSelect(b.CreateOr(b.CreateFCmpOGE(x, y), is_nan(b, x)), x, y);
}
Value* min2(B& b, Value* x, Value* y) {
  return b.CreateSelect(b.CreateOr(b.CreateFCmpOLE(x, y), is_nan(b, x)), x, y);
}

// step(x) = isnan(x) ? x : (x > 0 ? 1 : 0)
Value* step(B& b, Value* x) {
  Value* pos = b.CreateSelect(b.CreateFCmpOGT(x, zero(x)), cst(x, 1), zero(x));
  return b.CreateSelect(is_nan(b, x), x, pos);
}

// sign(x) = isnan(x) ? x : (x > 0 ? 1 : (x < 0 ? -1 : 0))   — sign(-0) = +0
Value* sign(B& b, Value* x) {
  Value* neg = b.CreateSelect(b.CreateFCmpOLT(x, zero(x)), cst(x, -1), zero(x));
  Value* s = b.CreateSelect(b.CreateFCmpOGT(x, zero(x)), cst(x, 1), neg);
  return b.CreateSelect(is_nan(b, x), x, s);
}

// sigmoid(x) = 1 / (1 + exp(-x))
Value* sigmoid(B& b, Value* x) {
  Value* e = intrinsic(b, llvm::Intrinsic::exp, {b.CreateFNeg(x)});
  return b.CreateFDiv(cst(x, 1), b.CreateFAdd(cst(x, 1), e));
}

// softplus(x) = fmax(x, 0) + log1p(exp(-|x|)). fmax is llvm.maxnum exactly; its
// NaN-dropping is harmless here because the log1p term is NaN too.
Value* softplus(B& b, Value* x) {
  Value* pos = intrinsic(b, llvm::Intrinsic::maxnum, {x, zero(x)});
  Value* e = intrinsic(b, llvm::Intrinsic::exp, {b.CreateFNeg(intrinsic(b, llvm::Intrinsic::fabs, {x}))});
  return b.CreateFAdd(pos, libm(b, "log1p", e));
}

}  // namespace

Value* emit_op(B& b, const ir::Node& n, llvm::ArrayRef<Value*> x) {
  using ir::Op;
  switch (n.op) {
    case Op::Input: GRADC_UNREACHABLE("codegen: inputs are bound by the caller");
    case Op::Const: GRADC_UNREACHABLE("codegen: constants are bound by the caller");
    case Op::Add: return b.CreateFAdd(x[0], x[1]);
    case Op::Sub: return b.CreateFSub(x[0], x[1]);
    case Op::Mul: return b.CreateFMul(x[0], x[1]);
    case Op::Div: return b.CreateFDiv(x[0], x[1]);
    case Op::Pow: return intrinsic(b, llvm::Intrinsic::pow, x);
    case Op::Max: return max2(b, x[0], x[1]);
    case Op::Min: return min2(b, x[0], x[1]);
    case Op::Neg: return b.CreateFNeg(x[0]);
    case Op::Exp: return intrinsic(b, llvm::Intrinsic::exp, x);
    case Op::Log: return intrinsic(b, llvm::Intrinsic::log, x);
    case Op::Log10: return intrinsic(b, llvm::Intrinsic::log10, x);
    case Op::Log2: return intrinsic(b, llvm::Intrinsic::log2, x);
    case Op::Log1p: return libm(b, "log1p", x[0]);
    case Op::Expm1: return libm(b, "expm1", x[0]);
    case Op::Sqrt: return intrinsic(b, llvm::Intrinsic::sqrt, x);
    case Op::Sin: return intrinsic(b, llvm::Intrinsic::sin, x);
    case Op::Cos: return intrinsic(b, llvm::Intrinsic::cos, x);
    case Op::Tan: return libm(b, "tan", x[0]);
    case Op::Tanh: return libm(b, "tanh", x[0]);
    case Op::Erf: return libm(b, "erf", x[0]);
    case Op::StopGrad: return x[0];
    case Op::Sigmoid: return sigmoid(b, x[0]);
    // relu(x) = x <= 0 ? 0 : x   — NaN fails the compare and stays NaN
    case Op::Relu: return b.CreateSelect(b.CreateFCmpOLE(x[0], zero(x[0])), zero(x[0]), x[0]);
    case Op::Abs: return intrinsic(b, llvm::Intrinsic::fabs, x);
    case Op::Softplus: return softplus(b, x[0]);
    case Op::Step: return step(b, x[0]);
    case Op::Sign: return sign(b, x[0]);
    // ge(a, b) = a >= b ? 1 : 0   — ordered compare: NaN gives 0
    case Op::Ge: return b.CreateSelect(b.CreateFCmpOGE(x[0], x[1]), cst(x[0], 1), zero(x[0]));
    // select(c, t, f) = c != 0 ? t : f   — unordered compare: a NaN condition picks t, as in C++
    case Op::Select: return b.CreateSelect(b.CreateFCmpUNE(x[0], zero(x[0])), x[1], x[2]);
    case Op::Broadcast: case Op::Reshape: case Op::Transpose: case Op::Sum: case Op::ReduceMax:
    case Op::MatMul: case Op::OneHot: case Op::SoftmaxXent:
      GRADC_UNREACHABLE("codegen: tensor ops are emitted as loops, not scalar math");
  }
  GRADC_UNREACHABLE("codegen: unknown op");
}

}  // namespace gradc::codegen::detail
