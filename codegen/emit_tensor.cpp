// codegen/emit_tensor.cpp — a tensor graph → one LLVM function of loop nests and GEMM calls.
//
// Buffers: an input's value is read where the caller put it (in[i]); a node that is an
// output is computed straight into out[k]; every other node gets its own 64-byte aligned
// slot of the workspace (no reuse between nodes: simple, and an MLP's intermediates are
// small next to its weights). Reshape and StopGrad move nothing, so they alias their
// operand; a transpose whose only users are matmuls is not materialised but folded into
// the GEMM's trans flags (autodiff makes transpose(W) @ g and x.T @ g).
//
// Each node's loop nest is an internal function whose pointer parameters are noalias,
// like emit.cpp's batch kernel: that is what lets the loop vectoriser work without runtime
// overlap checks. Shapes are concrete, so every trip count and stride is a constant, and
// axes that are contiguous for every operand are fused so the innermost loop is long.
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/internal.h"
#include "codegen/tensor_emitter.h"
#include "ir/builder.h"
#include "ir/check.h"

namespace gradc::codegen::detail {

namespace tensor {

int64_t count(const Dims& d) { return ir::element_count(d); }

// Drops unit axes and fuses an axis into the next inner one wherever every stride vector
// is contiguous across the two: [64,256] + [64,256] becomes one loop of 16384, and
// [64,256] + [256] keeps two.
void fuse_axes(Dims& dims, std::vector<Dims>& strides) {
  Dims d;
  std::vector<Dims> s(strides.size());
  for (size_t a = dims.size(); a-- > 0;) {
    if (dims[a] == 1) continue;
    bool fusable = !d.empty();
    for (size_t j = 0; j < s.size() && fusable; ++j) fusable = strides[j][a] == s[j].back() * d.back();
    if (fusable) {
      d.back() *= dims[a];
      continue;
    }
    d.push_back(dims[a]);
    for (size_t j = 0; j < s.size(); ++j) s[j].push_back(strides[j][a]);
  }
  dims.assign(d.rbegin(), d.rend());
  for (size_t j = 0; j < s.size(); ++j) strides[j].assign(s[j].rbegin(), s[j].rend());
}

// ---- where each node's value lives ----

// Nodes the outputs depend on: the rest is not computed.
std::vector<bool> live_nodes(const ir::Graph& g) {
  std::vector<bool> live(g.size(), false);
  for (const ir::Output& o : g.outputs) live[o.id] = true;
  for (NodeId id = g.size(); id-- > 0;)
    if (live[id])
      for (NodeId x : g[id].inputs) live[x] = true;
  return live;
}

Plan make_plan(const ir::Graph& g, size_t elem) {
  const std::vector<bool> live = live_nodes(g);
  std::vector<size_t> out_of(g.size(), SIZE_MAX);
  for (size_t k = g.outputs.size(); k-- > 0;) out_of[g.outputs[k].id] = k;  // first occurrence wins
  std::vector<bool> only_matmul_users(g.size(), true);
  for (NodeId id = 0; id < g.size(); ++id)
    if (live[id] && g[id].op != Op::MatMul)
      for (NodeId x : g[id].inputs) only_matmul_users[x] = false;
  Plan p;
  p.slots.resize(g.size());
  for (NodeId id = 0; id < g.size(); ++id) {
    const Node& n = g[id];
    Slot& s = p.slots[id];
    if (!live[id]) continue;
    if (n.op == Op::Input) {
      s.where = Where::Input;
      while (g.inputs()[s.index] != id) ++s.index;
    } else if (out_of[id] != SIZE_MAX && n.op != Op::Const) {
      s.where = Where::Output;
      s.index = out_of[id];
    } else if (n.op == Op::Reshape || n.op == Op::StopGrad) {
      const Slot& x = p.slots[n.inputs[0]];
      s.where = Where::Alias;
      s.alias = x.where == Where::Alias ? x.alias : n.inputs[0];
    } else if (ir::swaps_last_two(n) && only_matmul_users[id]) {
      s.where = Where::Folded;
    } else {
      s.where = Where::Workspace;
      s.offset = p.take(static_cast<size_t>(count(n.shape.dims)) * elem);
    }
    if (n.op == Op::Sum && elem == sizeof(float)) s.scratch = p.take(static_cast<size_t>(count(n.shape.dims)) * 8);
  }
  return p;
}

// ---- loops ----

void nest(B& b, const Dims& dims, std::vector<Value*>& idx, const Body& body) {
  if (idx.size() == dims.size()) return body(b, idx);
  llvm::Function* f = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = b.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(f->getContext(), "loop", f);
  auto* exit = llvm::BasicBlock::Create(f->getContext(), "loop.exit", f);
  const int64_t n = dims[idx.size()];
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2, "i");
  i->addIncoming(b.getInt64(0), pre);
  idx.push_back(i);
  nest(b, dims, idx, body);
  idx.pop_back();
  Value* next = b.CreateAdd(i, b.getInt64(1), "i.next", /*HasNUW=*/true, /*HasNSW=*/true);
  i->addIncoming(next, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpEQ(next, b.getInt64(n)), exit, loop);
  b.SetInsertPoint(exit);
}

// body(idx) for every index of `dims`, row-major, at b's insertion point (left after the
// nest). Trip counts are constants >= 1 (callers skip empty tensors), so every loop is
// bottom-tested with no guard.
void loop_nest(B& b, const Dims& dims, const Body& body) {
  std::vector<Value*> idx;
  nest(b, dims, idx, body);
}

Value* offset(B& b, const std::vector<Value*>& idx, const Dims& strides) {
  Value* off = b.getInt64(0);
  for (size_t a = 0; a < idx.size(); ++a)
    if (strides[a] != 0)
      off = b.CreateAdd(off, b.CreateMul(idx[a], b.getInt64(strides[a]), "", true, true), "", true, true);
  return off;
}

Value* elem(B& b, llvm::Type* t, Value* base, Value* off) { return b.CreateInBoundsGEP(t, base, off); }

// ---- the emitter ----

// void name(ptr out, ptr x...) with every pointer noalias; `written[i]` says which are
// stored to (the others are readonly). Returns it with an empty entry block.
llvm::Function* kernel(Emitter& e, NodeId id, const std::vector<bool>& written) {
  return kernel_function(e, "n" + std::to_string(id) + "." + std::string(ir::mnemonic(e.g[id].op)), written);
}

llvm::Function* kernel_function(Emitter& e, const std::string& name, const std::vector<bool>& written, bool row0) {
  llvm::Type* p = llvm::PointerType::getUnqual(e.ctx());
  std::vector<llvm::Type*> params(written.size(), p);
  if (row0) params.push_back(llvm::Type::getInt64Ty(e.ctx()));
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(e.ctx()), params, false);
  llvm::Function* f = make_function(e.m, ft, name, llvm::Function::InternalLinkage, e.tm);
  for (unsigned i = 0; i < written.size(); ++i) {
    f->addParamAttr(i, llvm::Attribute::NoAlias);
    f->addParamAttr(i, llvm::Attribute::NoCapture);
    if (!written[i]) f->addParamAttr(i, llvm::Attribute::ReadOnly);
  }
  llvm::BasicBlock::Create(e.ctx(), "entry", f);
  return f;
}

// out[i] = fn(operands at i) over `dims`, where operand j is either a buffer read with
// its own strides or a constant. The one loop nest behind elementwise ops, Broadcast
// and Transpose.
struct Operand {
  Value* buffer = nullptr;  // null: `constant`
  Value* constant = nullptr;
  Dims strides;
};
using Fn = std::function<Value*(B&, const std::vector<Value*>&)>;

void emit_map(Emitter& e, B& b, NodeId id, Dims dims, std::vector<Operand> ops, const Fn& fn) {
  std::vector<Dims> strides{strides_of(dims)};
  std::vector<Value*> args{e.ptr[id]};
  std::vector<bool> written{true};
  for (Operand& o : ops)
    if (o.buffer) {
      strides.push_back(o.strides);
      args.push_back(o.buffer);
      written.push_back(false);
    }
  fuse_axes(dims, strides);
  llvm::Function* f = kernel(e, id, written);
  B kb(&f->getEntryBlock());
  loop_nest(kb, dims, [&](B& lb, const std::vector<Value*>& idx) {
    std::vector<Value*> x;
    unsigned arg = 1;
    for (const Operand& o : ops) {
      if (!o.buffer) {
        x.push_back(o.constant);
        continue;
      }
      x.push_back(lb.CreateLoad(e.t, elem(lb, e.t, f->getArg(arg), offset(lb, idx, strides[arg]))));
      ++arg;
    }
    lb.CreateStore(fn(lb, x), elem(lb, e.t, f->getArg(0), offset(lb, idx, strides[0])));
  });
  kb.CreateRetVoid();
  b.CreateCall(f, args);
}

// Elementwise ops and Broadcast (a copy with stride-0 reads). A Const operand is used as
// an immediate instead of being read from memory.
void emit_elementwise(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  std::vector<Operand> ops;
  for (NodeId x : n.inputs) {
    const Node& xn = e.g[x];
    if (xn.op == Op::Const) ops.push_back({nullptr, llvm::ConstantFP::get(e.t, xn.value), {}});
    else ops.push_back({e.ptr[x], nullptr, broadcast_strides(xn.shape.dims, n.shape.dims)});
  }
  emit_map(e, b, id, n.shape.dims, std::move(ops), [&](B& lb, const std::vector<Value*>& x) {
    return n.op == Op::Broadcast ? x[0] : emit_op(lb, n, x);
  });
}

// Output axis j reads the operand's axis perm[j]: a strided copy.
void emit_transpose(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  const Dims in = strides_of(e.g[n.inputs[0]].shape.dims);
  Dims read;
  for (int64_t axis : n.attr) read.push_back(in[static_cast<size_t>(axis)]);
  emit_map(e, b, id, n.shape.dims, {{e.ptr[n.inputs[0]], nullptr, read}},
           [](B&, const std::vector<Value*>& x) { return x[0]; });
}

// ---- reductions ----

// The input's axes with unit axes dropped and neighbours of the same kind (reduced or
// kept) merged: at most alternating groups, so the loop nest is as shallow as can be.
struct Group {
  int64_t size;
  bool reduced;
};

std::vector<Group> reduce_groups(const Dims& in, const std::vector<int64_t>& axes) {
  std::vector<bool> red(in.size(), false);
  for (int64_t a : axes) red[static_cast<size_t>(a)] = true;
  std::vector<Group> gs;
  for (size_t a = 0; a < in.size(); ++a) {
    if (in[a] == 1) continue;
    if (!gs.empty() && gs.back().reduced == red[a]) gs.back().size *= in[a];
    else gs.push_back({in[a], red[a]});
  }
  if (gs.empty()) gs.push_back({1, true});
  return gs;
}

// acc ⊕ v. Sum: `reassoc` only on the running sum in a register, so the vectoriser may
// keep several partial sums (no other fast-math flag: NaN and inf behave per IEEE).
// Max: llvm.maximum propagates NaN like the interpreter (it only differs on max(-0, +0)).
Value* combine(B& b, bool is_max, Value* acc, Value* v, bool reassoc) {
  if (is_max) return b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, acc, v);
  auto* sum = llvm::cast<llvm::Instruction>(b.CreateFAdd(acc, v));
  if (reassoc) {
    llvm::FastMathFlags fmf;
    fmf.setAllowReassoc();
    sum->setFastMathFlags(fmf);
  }
  return sum;
}

struct ReduceRow {
  bool is_max;
  llvm::Type* t;    // element type
  llvm::Type* acc;  // accumulator type (f64 for f32 sums)
  Value *x, *s;     // input, accumulators
  int64_t len;
  Value* ext(B& b, Value* off) const { return b.CreateFPExt(b.CreateLoad(t, elem(b, t, x, off)), acc); }
};

// Innermost axis reduced: s[so] ⊕= x[xo + 0..len) through a register.
void reduce_into_register(B& b, const ReduceRow& r, Value* xo, Value* so) {
  llvm::Function* f = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = b.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(f->getContext(), "red", f);
  auto* exit = llvm::BasicBlock::Create(f->getContext(), "red.exit", f);
  Value* at = elem(b, r.acc, r.s, so);
  Value* init = b.CreateLoad(r.acc, at);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  llvm::PHINode* p = b.CreatePHI(b.getInt64Ty(), 2, "p");
  llvm::PHINode* acc = b.CreatePHI(r.acc, 2, "acc");
  p->addIncoming(b.getInt64(0), pre);
  acc->addIncoming(init, pre);
  Value* next_acc = combine(b, r.is_max, acc, r.ext(b, b.CreateAdd(xo, p, "", true, true)), true);
  Value* next = b.CreateAdd(p, b.getInt64(1), "p.next", true, true);
  p->addIncoming(next, loop);
  acc->addIncoming(next_acc, loop);
  b.CreateCondBr(b.CreateICmpEQ(next, b.getInt64(r.len)), exit, loop);
  b.SetInsertPoint(exit);
  b.CreateStore(next_acc, at);
}

// Innermost axis kept: s[so + j] ⊕= x[xo + j], contiguous on both sides (vectorises).
void reduce_into_memory(B& b, const ReduceRow& r, Value* xo, Value* so) {
  loop_nest(b, {r.len}, [&](B& lb, const std::vector<Value*>& idx) {
    Value* at = elem(lb, r.acc, r.s, lb.CreateAdd(so, idx[0], "", true, true));
    Value* v = r.ext(lb, lb.CreateAdd(xo, idx[0], "", true, true));
    lb.CreateStore(combine(lb, r.is_max, lb.CreateLoad(r.acc, at), v, false), at);
  });
}

// Sum and ReduceMax walk the input in memory order, accumulating into the output (or,
// for f32 sums, into f64 accumulators converted at the end: f32 sums of thousands of
// elements then stay as close to the interpreter, which sums in double, as one rounding).
void emit_reduce(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  const Dims& in = e.g[n.inputs[0]].shape.dims;
  const std::vector<Group> gs = reduce_groups(in, n.attr);
  Dims dims, in_str(gs.size()), out_str(gs.size());
  for (const Group& gr : gs) dims.push_back(gr.size);
  int64_t in_s = 1, out_s = 1;
  for (size_t i = gs.size(); i-- > 0;) {
    in_str[i] = in_s;
    in_s *= gs[i].size;
    out_str[i] = gs[i].reduced ? 0 : out_s;
    if (!gs[i].reduced) out_s *= gs[i].size;
  }
  const Slot& slot = e.plan.slots[id];
  const bool separate = slot.scratch != kNoScratch;
  ReduceRow r{n.op == Op::ReduceMax, e.t, separate ? llvm::Type::getDoubleTy(e.ctx()) : e.t, nullptr, nullptr,
              gs.back().size};
  std::vector<Value*> args{e.ptr[id], e.ptr[n.inputs[0]]};
  std::vector<bool> written{true, false};
  if (separate) {
    auto* ws = llvm::cast<llvm::Function>(b.GetInsertBlock()->getParent())->getArg(2);
    args.push_back(b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), ws, slot.scratch));
    written.push_back(true);
  }
  llvm::Function* f = kernel(e, id, written);
  B kb(&f->getEntryBlock());
  r.x = f->getArg(1);
  r.s = separate ? f->getArg(2) : f->getArg(0);
  const int64_t out_n = count(n.shape.dims);
  const double init = r.is_max ? -std::numeric_limits<double>::infinity() : 0.0;
  loop_nest(kb, {out_n}, [&](B& lb, const std::vector<Value*>& idx) {
    lb.CreateStore(llvm::ConstantFP::get(r.acc, init), elem(lb, r.acc, r.s, idx[0]));
  });
  if (count(in) > 0) {
    const Dims outer(dims.begin(), dims.end() - 1);
    loop_nest(kb, outer, [&](B& lb, const std::vector<Value*>& idx) {
      Value* xo = offset(lb, idx, in_str);
      Value* so = offset(lb, idx, out_str);
      if (gs.back().reduced) reduce_into_register(lb, r, xo, so);
      else reduce_into_memory(lb, r, xo, so);
    });
  }
  if (separate)
    loop_nest(kb, {out_n}, [&](B& lb, const std::vector<Value*>& idx) {
      Value* v = lb.CreateLoad(r.acc, elem(lb, r.acc, r.s, idx[0]));
      lb.CreateStore(lb.CreateFPTrunc(v, e.t), elem(lb, e.t, f->getArg(0), idx[0]));
    });
  kb.CreateRetVoid();
  b.CreateCall(f, args);
}

// ---- matmul ----

namespace {

// (trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc); a row table's GEMM takes
// (row pointers, first column) for (A, lda).
llvm::FunctionCallee declare_gemm(Emitter& e, const std::string& name) {
  llvm::Type* i32 = llvm::Type::getInt32Ty(e.ctx());
  llvm::Type* i64 = llvm::Type::getInt64Ty(e.ctx());
  llvm::Type* p = llvm::PointerType::getUnqual(e.ctx());
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(e.ctx()),
                                     {i32, i32, i64, i64, i64, e.t, p, i64, p, i64, e.t, p, i64}, false);
  llvm::FunctionCallee callee = e.m.getOrInsertFunction(name, ft);
  llvm::cast<llvm::Function>(callee.getCallee())->setDoesNotThrow();
  return callee;
}

// op(A)'s rows [row0, row0 + rows) of a row table: from row pointer row0 on, or (trans_a,
// op(A)'s rows being the table's columns) from column row0 of every row.
void call_gemm_rows(Emitter& e, B& b, const Gemm2D& g, Value* row0, int64_t rows, Value* alpha, Value* beta,
                    Value* c) {
  Value* table = g.ta ? g.a : b.CreateInBoundsGEP(b.getPtrTy(), g.a, row0);
  b.CreateCall(gemm_rows_decl(e), {b.getInt32(g.ta), b.getInt32(g.tb), b.getInt64(rows), b.getInt64(g.n),
                                   b.getInt64(g.k), alpha, table, g.ta ? row0 : b.getInt64(0), g.b,
                                   b.getInt64(g.ldb), beta, c, b.getInt64(g.n)});
}

}  // namespace

llvm::FunctionCallee gemm_decl(Emitter& e) { return declare_gemm(e, e.gemm); }
llvm::FunctionCallee gemm_rows_decl(Emitter& e) { return declare_gemm(e, e.gemm_rows); }

// The node whose buffer a GEMM reads for its operand x: x itself, or, where x is a folded
// transpose, the transpose's operand, read with the trans flag (rows and columns swapped).
namespace {
NodeId gemm_operand(const Emitter& e, NodeId x, bool& trans) {
  trans = e.plan.slots[x].where == Where::Folded;
  return trans ? e.g[x].inputs[0] : x;
}
}  // namespace

// numpy.matmul as in the interpreter: a 1-D left operand is a row, a 1-D right one a
// column, batch dims broadcast; one GEMM call per batch element, C overwritten (beta 0).
void emit_matmul(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  const ir::MatmulLayout l = ir::matmul_layout(e.g[n.inputs[0]].shape.dims, e.g[n.inputs[1]].shape.dims);
  const int64_t m = l.m, k = l.k, nn = l.n;
  if (e.g[n.inputs[0]].shape.dims.size() == 2 && e.g[n.inputs[1]].shape.dims.size() == 2)
    // 2-D: one call (which also reads an input passed by rows)
    return call_gemm(e, b, gemm_2d(e, id), b.getInt64(0), m, llvm::ConstantFP::get(e.t, 1.0),
                     llvm::ConstantFP::get(e.t, 0.0), e.ptr[id]);
  bool ta = false, tb = false;
  Value* pa = e.ptr[gemm_operand(e, n.inputs[0], ta)];
  Value* pb = e.ptr[gemm_operand(e, n.inputs[1], tb)];
  const int64_t lda = ta ? m : k, ldb = tb ? k : nn;
  llvm::FunctionCallee gemm = gemm_decl(e);
  llvm::Value* one = llvm::ConstantFP::get(e.t, 1.0);
  llvm::Value* zero = llvm::ConstantFP::get(e.t, 0.0);
  loop_nest(b, l.batch, [&](B& lb, const std::vector<Value*>& idx) {
    lb.CreateCall(gemm, {lb.getInt32(ta), lb.getInt32(tb), lb.getInt64(m), lb.getInt64(nn), lb.getInt64(k), one,
                         elem(lb, e.t, pa, offset(lb, idx, l.a_stride)), lb.getInt64(lda),
                         elem(lb, e.t, pb, offset(lb, idx, l.b_stride)), lb.getInt64(ldb), zero,
                         elem(lb, e.t, e.ptr[id], offset(lb, idx, l.c_stride)), lb.getInt64(nn)});
  });
}

Gemm2D gemm_2d(Emitter& e, NodeId product) {
  const Node& n = e.g[product];
  Gemm2D g;
  const NodeId a = gemm_operand(e, n.inputs[0], g.ta), b = gemm_operand(e, n.inputs[1], g.tb);
  const Slot& sa = e.plan.slots[a];
  g.a_rows = sa.where == Where::Input && sa.by_rows && sa.offset == 0;
  g.a = e.ptr[a];
  g.b = e.ptr[b];
  const Dims& da = e.g[n.inputs[0]].shape.dims;
  g.m = da[0];
  g.k = da[1];
  g.n = e.g[n.inputs[1]].shape.dims[1];
  g.lda = g.ta ? g.m : g.k;
  g.ldb = g.tb ? g.k : g.n;
  return g;
}

void call_gemm(Emitter& e, B& b, const Gemm2D& g, Value* row0, int64_t rows, Value* alpha, Value* beta, Value* c) {
  if (g.a_rows) return call_gemm_rows(e, b, g, row0, rows, alpha, beta, c);
  // Rows of op(A): rows of A, or columns of a transposed A.
  Value* a = elem(b, e.t, g.a, g.ta ? row0 : b.CreateMul(row0, b.getInt64(g.lda), "", true, true));
  b.CreateCall(gemm_decl(e), {b.getInt32(g.ta), b.getInt32(g.tb), b.getInt64(rows), b.getInt64(g.n), b.getInt64(g.k),
                              alpha, a, b.getInt64(g.lda), g.b, b.getInt64(g.ldb), beta, c, b.getInt64(g.n)});
}

// ---- one_hot ----

// Row i is 1 at column labels[i], 0 elsewhere; a label that is not an integer in
// [0, classes) gives a row of NaN (the interpreter's rule).
void emit_one_hot(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  const int64_t classes = n.attr[0];
  const int64_t labels = count(e.g[n.inputs[0]].shape.dims);
  llvm::Function* f = kernel(e, id, {true, false});
  B kb(&f->getEntryBlock());
  llvm::Type* t = e.t;
  loop_nest(kb, {labels, classes}, [&](B& lb, const std::vector<Value*>& idx) {
    Value* l = lb.CreateLoad(t, elem(lb, t, f->getArg(1), idx[0]));
    Value* whole = lb.CreateFCmpOEQ(l, lb.CreateUnaryIntrinsic(llvm::Intrinsic::floor, l));
    Value* in_range = lb.CreateAnd(lb.CreateFCmpOGE(l, llvm::ConstantFP::get(t, 0.0)),
                                   lb.CreateFCmpOLT(l, llvm::ConstantFP::get(t, static_cast<double>(classes))));
    Value* hit = lb.CreateFCmpOEQ(lb.CreateSIToFP(idx[1], t), l);
    Value* v = lb.CreateSelect(hit, llvm::ConstantFP::get(t, 1.0), llvm::ConstantFP::get(t, 0.0));
    v = lb.CreateSelect(lb.CreateAnd(whole, in_range), v, llvm::ConstantFP::getNaN(t));
    Value* at = lb.CreateAdd(lb.CreateMul(idx[0], lb.getInt64(classes), "", true, true), idx[1], "", true, true);
    lb.CreateStore(v, elem(lb, t, f->getArg(0), at));
  });
  kb.CreateRetVoid();
  b.CreateCall(f, {e.ptr[id], e.ptr[n.inputs[0]]});
}

// ---- the entry ----

void emit_node(Emitter& e, B& b, NodeId id) {
  const Node& n = e.g[id];
  if (count(n.shape.dims) == 0) return;
  if (ir::is_elementwise(n.op) || n.op == Op::Broadcast) return emit_elementwise(e, b, id);
  switch (n.op) {
    case Op::Reshape:  // only reached as an output: elsewhere it aliases its operand
      b.CreateMemCpy(e.ptr[id], llvm::MaybeAlign(), e.ptr[n.inputs[0]], llvm::MaybeAlign(), e.bytes(id));
      return;
    case Op::Transpose: return emit_transpose(e, b, id);
    case Op::Sum:
    case Op::ReduceMax: return emit_reduce(e, b, id);
    case Op::MatMul: return emit_matmul(e, b, id);
    case Op::OneHot: return emit_one_hot(e, b, id);
    // Inputs and constants are bound by the caller, elementwise ops and broadcasts were
    // emitted above, stop_gradient aliases its operand, and decompose expands
    // softmax_cross_entropy before codegen.
    case Op::Input: case Op::Const: case Op::Broadcast: case Op::SoftmaxXent:
#define OP(name, mnemonic, arity, kind) GRADC_ELEMENTWISE_CASE_##kind(name)
#include "ir/ops.def"
#undef OP
      break;
  }
  GRADC_UNREACHABLE("codegen: op without a tensor lowering");
}

Value* load_ptr(B& b, Value* array, size_t i) {
  llvm::Type* p = b.getPtrTy();
  return b.CreateLoad(p, b.CreateConstInBoundsGEP1_64(p, array, i));
}

// The entry's prologue: every live node's buffer pointer, from its slot.
llvm::Function* begin_entry(Emitter& e, B& b, const std::string& name, std::vector<Value*>& outs) {
  llvm::Type* p = llvm::PointerType::getUnqual(e.ctx());
  auto* ft = llvm::FunctionType::get(llvm::Type::getVoidTy(e.ctx()), {p, p, p}, false);
  llvm::Function* f = make_function(e.m, ft, name, llvm::Function::ExternalLinkage, e.tm);
  b.SetInsertPoint(llvm::BasicBlock::Create(e.ctx(), "entry", f));
  for (size_t k = 0; k < e.g.outputs.size(); ++k) outs.push_back(load_ptr(b, f->getArg(1), k));
  e.ptr.assign(e.g.size(), nullptr);
  for (NodeId id = 0; id < e.g.size(); ++id) {
    const Slot& s = e.plan.slots[id];
    switch (s.where) {
      case Where::Input:
        e.ptr[id] = load_ptr(b, f->getArg(0), s.index);
        if (s.by_rows && s.offset != 0) {  // a row table some non-GEMM reader reads: gathered
          Value* copy = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), f->getArg(2), s.offset);
          gather_rows(e, b, id, e.ptr[id], copy);
          e.ptr[id] = copy;
        }
        break;
      case Where::Output: e.ptr[id] = outs[s.index]; break;
      case Where::Workspace: e.ptr[id] = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), f->getArg(2), s.offset); break;
      case Where::Alias: e.ptr[id] = e.ptr[s.alias]; break;
      case Where::Dead:
      case Where::Register:
      case Where::Folded: break;
    }
  }
  for (NodeId id = 0; id < e.g.size(); ++id)  // a GEMM result living in a later node's buffer
    if (e.plan.slots[id].where == Where::Alias) e.ptr[id] = e.ptr[e.plan.slots[id].alias];
  return f;
}

// The epilogue: outputs that were not computed in place (repeats, inputs) are copied.
// Outputs written over an input are copied last: another output may be a copy of that input.
void end_entry(Emitter& e, B& b, const std::vector<Value*>& outs) {
  for (bool aliased : {false, true})
    for (size_t k = 0; k < e.g.outputs.size(); ++k) {
      const NodeId id = e.g.outputs[k].id;
      const Slot& s = e.plan.slots[id];
      if (is_aliased_output(e.g, k) != aliased || (s.where == Where::Output && s.index == k)) continue;
      if (aliased && written_in_place(e.g, e.plan, k)) continue;  // also: the input itself, unchanged
      if (e.bytes(id) > 0) b.CreateMemCpy(outs[k], llvm::MaybeAlign(), e.ptr[id], llvm::MaybeAlign(), e.bytes(id));
    }
  b.CreateRetVoid();
}

namespace {

// void entry(const T* const* in, T* const* out, void* ws): nodes in index order (a
// topological order), then the outputs that were not computed in place are copied.
void emit_entry(Emitter& e, const std::string& name) {
  B b(e.ctx());
  std::vector<Value*> outs;
  begin_entry(e, b, name, outs);
  for (NodeId id = 0; id < e.g.size(); ++id) {
    const Where w = e.plan.slots[id].where;
    if (e.g[id].op == Op::Const && w == Where::Workspace)  // a buffer for non-elementwise users
      b.CreateStore(llvm::ConstantFP::get(e.t, e.g[id].value), e.ptr[id]);
    else if (e.g[id].op != Op::Input && (w == Where::Workspace || w == Where::Output))
      emit_node(e, b, id);
  }
  end_entry(e, b, outs);
}

}  // namespace

}  // namespace tensor

using namespace tensor;

bool is_scalar_graph(const ir::Graph& g) {
  for (const Node& n : g.nodes())
    if (!n.shape.is_scalar()) return false;
  return true;
}

void require_concrete(const ir::Graph& g) {
  for (NodeId id = 0; id < g.size(); ++id) {
    const Node& n = g[id];
    bool symbolic = n.op == Op::Const && !n.attr.empty();  // an unbound count (Builder::count)
    for (int64_t d : n.shape.dims) symbolic = symbolic || d < 0;
    if (symbolic)
      throw std::invalid_argument("codegen: node %" + std::to_string(id) + " (" + g.type_string(id) +
                                  ") has symbolic dims; bind them first (ir::bind_dims)");
  }
}

TensorModule emit_tensor_module(const ir::Graph& g, ir::DType dtype, llvm::LLVMContext& ctx,
                                const TensorNames& names, const llvm::TargetMachine& tm, const RowsInputs& rows) {
  require_concrete(g);
  TensorModule out;
  out.module = std::make_unique<llvm::Module>("gradc", ctx);
  out.module->setTargetTriple(tm.getTargetTriple().str());
  out.module->setDataLayout(tm.createDataLayout());
  llvm::Type* t = element_type(ctx, dtype);
  const size_t elem = dtype == ir::DType::F32 ? 4 : 8;
  Plan plan = g.kernels.empty() ? make_plan(g, elem) : kernel_plan(g, elem);
  place_aliased_outputs(g, plan, elem);
  plan_rows_inputs(g, plan, rows.ids, rows.gemm_rows, elem);
  Emitter e{*out.module, g, t, tm, plan, names.gemm, names.gemm_rows, {}};
  if (g.kernels.empty()) emit_entry(e, names.entry);
  else emit_kernel_entry(e, names.entry);
  out.workspace_bytes = plan.bytes;
  std::string err;
  llvm::raw_string_ostream os(err);
  if (llvm::verifyModule(*out.module, &os)) throw std::runtime_error("codegen: invalid LLVM IR: " + os.str());
  return out;
}

}  // namespace gradc::codegen::detail
