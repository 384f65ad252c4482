// codegen/tensor_emitter.h — what emit_tensor.cpp (one function per node, and the loop,
// reduction, GEMM and copy lowerings) shares with emit_kernel.cpp (one function per kernel
// of the graph's kernel form). LLVM types allowed: codegen's own files only.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "codegen/internal.h"
#include "ir/strides.h"

namespace gradc::codegen::detail::tensor {

using ir::Node;
using ir::NodeId;
using ir::Op;
using llvm::Value;
using B = llvm::IRBuilder<>;
using Dims = std::vector<int64_t>;

int64_t count(const Dims& d);
using ir::broadcast_strides;  // 0 along stretched axes (ir/strides.h, the interpreter's too)
using ir::strides_of;         // row-major
// Drops unit axes and merges neighbours contiguous in every stride vector.
void fuse_axes(Dims& dims, std::vector<Dims>& strides);

// ---- where each node's value lives ----

// Register: computed inside a fused loop, never stored (kernel form only).
enum class Where : uint8_t { Dead, Input, Output, Workspace, Alias, Folded, Register };
inline constexpr size_t kNoScratch = std::numeric_limits<size_t>::max();

struct Slot {
  Where where = Where::Dead;
  size_t index = 0;             // Input: position in g.inputs(); Output: in g.outputs
  size_t offset = 0;            // Workspace: byte offset
  NodeId alias = 0;             // Alias: the node whose buffer this is
  size_t scratch = kNoScratch;  // f32 Sum: byte offset of its f64 accumulators
  bool block = false;           // Workspace: one row block of a GEMM's result, not all of it
  bool by_rows = false;         // Input: in[index] is a table of row pointers; `offset`, if
                                // not 0, is the workspace copy its rows are gathered into
};

struct Plan {
  std::vector<Slot> slots;
  size_t bytes = 0;
  size_t take(size_t n) {  // a fresh 64-byte aligned region; offset 0 is never handed out
    bytes = (bytes + 63) / 64 * 64 + 64 * (bytes == 0);
    size_t at = bytes;
    bytes += n;
    return at;
  }
};

// ---- loops ----

using Body = std::function<void(B&, const std::vector<Value*>&)>;
// body(idx) for every index of `dims` (each >= 1), row-major, at b's insertion point.
void loop_nest(B& b, const Dims& dims, const Body& body);
Value* offset(B& b, const std::vector<Value*>& idx, const Dims& strides);
Value* elem(B& b, llvm::Type* t, Value* base, Value* off);
// acc ⊕ v (sum or IEEE-NaN-propagating max); `reassoc` only on a register accumulator.
Value* combine(B& b, bool is_max, Value* acc, Value* v, bool reassoc);

// ---- the emitter ----

struct Emitter {
  llvm::Module& m;
  const ir::Graph& g;
  llvm::Type* t;  // element type
  const llvm::TargetMachine& tm;
  const Plan& plan;
  std::string gemm;
  std::string gemm_rows;
  std::vector<Value*> ptr;  // each live node's buffer (a row table: see Slot::by_rows), in the entry

  llvm::LLVMContext& ctx() { return m.getContext(); }
  size_t elem_size() const { return t->isFloatTy() ? 4 : 8; }
  uint64_t bytes(NodeId id) const { return static_cast<uint64_t>(count(g[id].shape.dims)) * elem_size(); }
};

// An internal function `void name(ptr...)`, every pointer noalias, readonly unless
// `written` (and a last i64 argument if `row0`: the first row of a block); returned with an
// empty entry block.
llvm::Function* kernel_function(Emitter& e, const std::string& name, const std::vector<bool>& written,
                                bool row0 = false);

void emit_transpose(Emitter& e, B& b, NodeId id);
void emit_matmul(Emitter& e, B& b, NodeId id);

// A matmul of 2-D operands as one GEMM: op(A) is m×k, op(B) k×n, a folded transpose read
// through its trans flag.
struct Gemm2D {
  bool ta = false, tb = false;
  bool a_rows = false;  // a is a row table (an input passed by rows), read by gemm_rows
  int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0;
  Value* a = nullptr;
  Value* b = nullptr;
};
Gemm2D gemm_2d(Emitter& e, NodeId product);
// C (rows × n, ldc = n) = alpha·op(A)[row0 .. row0 + rows)·op(B) + beta·C.
void call_gemm(Emitter& e, B& b, const Gemm2D& g, Value* row0, int64_t rows, Value* alpha, Value* beta, Value* c);
void emit_one_hot(Emitter& e, B& b, NodeId id);

// rows_inputs.cpp: marks the inputs passed by rows in the plan, each read by its GEMMs as a
// table when `direct` and nothing else reads it, else given a workspace copy (Slot::by_rows);
// gather_rows fills that copy at the start of the entry.
void plan_rows_inputs(const ir::Graph& g, Plan& p, const std::vector<NodeId>& ids, bool direct, size_t elem);
void gather_rows(Emitter& e, B& b, NodeId id, Value* table, Value* copy);
// A row table's declaration: gemm_decl's signature, with (row pointers, first column) for (A, lda).
llvm::FunctionCallee gemm_rows_decl(Emitter& e);

// The entry `void name(const T* const* in, T* const* out, void* ws)`: begin_entry makes it
// and sets e.ptr from the plan's slots (outs: the output pointers); end_entry copies the
// outputs that were not computed in place and returns.
llvm::Function* begin_entry(Emitter& e, B& b, const std::string& name, std::vector<Value*>& outs);
void end_entry(Emitter& e, B& b, const std::vector<Value*>& outs);

// emit_kernel.cpp: the kernel form's slots (from g.memory, or planned here if it is empty
// or for another element size) and its entry, one function per kernel.
Plan kernel_plan(const ir::Graph& g, size_t elem);

// output_alias.cpp: each output written over an input (g.memory.output_aliases) is given
// that input's slot where that is safe (kernel form), else a workspace buffer of its own
// that end_entry copies over the input after every kernel ran.
void place_aliased_outputs(const ir::Graph& g, Plan& p, size_t elem);
bool written_in_place(const ir::Graph& g, const Plan& p, size_t output);
bool is_aliased_output(const ir::Graph& g, size_t output);
void emit_kernel_entry(Emitter& e, const std::string& name);

}  // namespace gradc::codegen::detail::tensor
