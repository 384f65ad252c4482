// ir/kernel.h — the kernel form: a graph partitioned into kernels, and where their buffers live.
//
// Why a side table on the Graph and not fields on Node: the partition is a decision of
// the optimising middle (passes/fuse.cpp, passes/plan_memory.cpp) that codegen follows,
// and any pass that rewrites nodes afterwards invalidates it. Rewriter-built graphs start
// with an empty table, so a stale partition can never survive a rewrite.
//
// A loop kernel (Elementwise, Reduce) is one loop nest over its `domain`: its elementwise
// nodes all have the domain's shape and are computed in registers; its reductions read a
// domain-shaped value and accumulate into their (smaller) result. Values read from other
// kernels or the graph's inputs (`inputs`) are loaded with broadcast strides; constants
// are immediates. Only `outputs` (used by another kernel, or a graph output) are stored.
//
// Phases (softmax, log-sum-exp, their gradients: "few passes over a row"): a loop kernel may
// also use a reduction over its domain's last axis (a row reduction) within the same kernel.
// It then loops over the rows, and within each row runs phase 0, 1, ... as separate loops
// over the row: a row reduction computed in phase p is known from phase p + 1 on. Row nodes
// (elementwise ops, stop_gradient or reshape of row reductions: log of a row sum, a [B] sum
// reshaped to [B,1]) have one value per row, computed between the phases. A value of one
// phase that a later phase reads is kept for the row in a row buffer (L1-sized), or read
// back from where it is stored.
//
// GEMM epilogues (docs/kernels.md): a Gemm kernel is one GEMM call (C = alpha·op(A)·op(B) +
// beta·C) and what runs while its output is hot. Its `gemm` says which nodes the call itself
// computes: the matmul, and, when the product is only accumulated (c + A@B, c - A@B,
// c ± s*(A@B), s a one-element value), that accumulation, done by the call with beta = 1 and
// alpha = ±1 or ±s on a C that holds c first. Its other nodes are the epilogue: a loop kernel
// over the product's shape (the kernel's domain) reading the call's result (bias add and
// activation, the ReLU mask on dY·Wᵀ, the bias gradient's column sum, softmax's row phases).
// Codegen runs the call on one block of rows at a time and the epilogue on each block right
// after it; a result that nothing else reads is never stored, only held for one block.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ir/shape.h"

namespace gradc::ir {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();
class Graph;

enum class KernelKind : uint8_t {
  Elementwise,  // one loop over the domain; elementwise ops and broadcasts
  Reduce,       // the same, with reductions of domain-shaped values (and their producers)
  Gemm,         // one matmul: GEMM calls, reading folded transposes through the trans flags
  Transpose,    // a strided copy
  OneHot,       // labels -> 0/1 rows
  View,         // reshape / stop_gradient aliasing its operand, or a transpose folded into
                // the GEMMs that read it: no code
};

const char* kernel_kind_name(KernelKind k);
class Graph;
struct Kernel;
// A sum or reduce_max over exactly the last axis of `k`'s domain (a phased kernel's row
// reduction), and nodes with one value per row (their shape: the domain without its last
// axis, or with it as 1, and not a reduction of the whole domain).
bool is_row_reduction(const Graph& g, const Kernel& k, NodeId id);
bool is_row_node(const Graph& g, const Kernel& k, NodeId id);
// Nodes of phased kernel `k` that a later phase reads and that are not stored: they need a
// row buffer.
std::vector<NodeId> row_buffered(const Graph& g, const Kernel& k);
inline bool is_loop_kernel(KernelKind k) { return k == KernelKind::Elementwise || k == KernelKind::Reduce; }

// The nodes a Gemm kernel's GEMM call computes. C = alpha·op(A)·op(B) + beta·C:
//   result == product:   beta 0, alpha 1
//   result = base ± product, or base ± scaled with scaled = scale·product (either operand
//   order): beta 1, alpha ±1 or ±scale; C holds base before the call.
// Why base may be any value of the product's shape computed before (or a graph input): the
// training step's W - lr·(Xᵀ@dY) overwrites an input through an OutputAlias, and then C is
// W's own buffer; in the workspace, plan-memory puts the result in place of base when the
// kernel is base's last reader, and otherwise codegen copies base into C block by block.
struct GemmCall {
  NodeId product = kNoNode;  // the matmul (2-D operands when there is more than the product)
  NodeId scaled = kNoNode;   // mul(scale, product), or kNoNode
  NodeId result = kNoNode;   // the value the call leaves in C
  NodeId base = kNoNode;     // accumulated with beta = 1, or kNoNode (beta = 0)
  NodeId scale = kNoNode;    // one element: alpha = ±scale, or kNoNode (alpha = ±1)
  bool negate = false;       // alpha < 0: base - product

  bool accumulates() const { return base != kNoNode; }
  bool computes(NodeId id) const { return id == product || id == scaled || id == result; }
  bool operator==(const GemmCall&) const = default;
};

struct Kernel {
  KernelKind kind = KernelKind::Elementwise;
  Shape domain;                 // loop kernels: the shape looped over; others: the result's shape
  std::vector<NodeId> nodes;    // the nodes it computes, in id order
  std::vector<NodeId> inputs;   // values it reads from other kernels or graph inputs (no consts), id order
  std::vector<NodeId> outputs;  // its nodes whose values are stored (materialised), id order
  // Loop kernels: per node (parallel to `nodes`), the phase whose row loop computes it; a
  // row node: the phase before which it is computed. All 0 in a kernel of one phase.
  // (Gemm kernels: the epilogue's phases; the call's nodes are at phase 0.)
  std::vector<int> phase;
  GemmCall gemm;  // Gemm kernels only

  int phases() const;  // 1 + the largest phase
  bool operator==(const Kernel&) const = default;
};

// A Gemm kernel with nodes besides its call's: an epilogue.
bool has_epilogue(const Kernel& k);
// The epilogue of Gemm kernel `k` as the loop kernel it is: its nodes (phases kept), reading
// the call's result as an input. Empty nodes when there is none.
Kernel epilogue_of(const Graph& g, const Kernel& k);
// Where an unstored GEMM result lives while its epilogue reads it, when the epilogue is one
// pass (no phases): in the rows of the epilogue's first stored output of the product's shape,
// which the epilogue writes at the index it reads the result from. kNoNode: elsewhere (in
// place of the accumulated base, or one block of scratch).
NodeId gemm_result_home(const Graph& g, const Kernel& k);
// Rows of the product per GEMM call and epilogue run (ir/memory_plan.cpp): the whole product
// without an epilogue, else a block of at most kGemmBlockBytes (it stays in L2 between the
// call writing it and the epilogue reading it). Concrete dims only. 256 KiB: the MLP's
// batch-256 forward GEMMs are one call, not four of 64 rows, which two threads split worse
// (bench/train.sh, 2026-12-03: 1.11 → 1.01× the hand-written step at batch 256 on 2
// threads, the same on 1); it still fits the L2 of the machines measured (512 KiB+).
inline constexpr uint64_t kGemmBlockBytes = 256 * 1024;
int64_t gemm_block_rows(const Kernel& k, uint64_t elem_bytes);

// Output `output` is written over input `input` (same shape and dtype): the caller passes
// one buffer for both. For training, which updates parameters in place. Recorded by whoever
// builds the graph (passes/update.cpp); every pass keeps it; codegen writes in place, or copies
// at the end where a later kernel still reads the input (codegen/output_alias.cpp).
struct OutputAlias {
  size_t output = 0;  // index in Graph::outputs
  size_t input = 0;   // index in Graph::inputs()
  bool operator==(const OutputAlias&) const = default;
};

struct MemoryPlan {
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  uint64_t elem_bytes = 0;        // the element size planned for; 0: no plan (codegen plans)
  std::vector<uint64_t> offset;   // per node: byte offset of its workspace buffer, or kNone
  std::vector<uint64_t> scratch;  // per node: f32 sums' f64 accumulators, a phased kernel's row
                                  // buffer of a value a later phase reads, or kNone
  uint64_t workspace_bytes = 0;   // the workspace's size (the highest end of any buffer)
  uint64_t peak_bytes = 0;        // the most bytes live at once (workspace without fragmentation)
  uint64_t unplanned_bytes = 0;   // one buffer per value, nothing reused (what -O0 takes)
  std::vector<OutputAlias> output_aliases;

  bool empty() const { return elem_bytes == 0; }
  bool operator==(const MemoryPlan&) const = default;
};

// The kernel each node belongs to (index in g.kernels), or -1 (inputs, consts, dead nodes).
std::vector<int> kernel_of(const Graph& g);

// The kernel table's invariants (ir::verify runs this when there are kernels): each node
// in at most one kernel; every operand computed by the same kernel (an earlier phase, or the
// same phase unless it is a reduction), by an earlier kernel, or an input, or a constant a
// loop kernel reads as an immediate; outputs computed somewhere; loop kernels' shapes fit
// their domain. One message per broken invariant.
std::vector<std::string> verify_kernels(const Graph& g);

// The kernel form, readable and deterministic (golden-tested):
//   k3 reduce f32[B,10] in(%7, %b4) out(%9, %10)
//     consts %2 = 0.5                  (immediates; a count of symbolic dims: count[B])
//    phase 0                           (only in a kernel of several phases)
//     %8 = add %7, %b4
//     %9 = reduce_max %8 {axes=[1]} -> f32[B,1]   *
// `*` marks a stored node; a type follows `->` where it is not the domain's.
std::string print_kernels(const Graph& g);

// Where each workspace buffer goes, given the kernels in execution order: first-fit reuse
// of buffers whose last reader has run, elementwise outputs in place of a same-shaped input
// read for the last time. elem_bytes: 4 (f32) or 8 (f64). Every dim must be concrete.
MemoryPlan plan_memory(const Graph& g, uint64_t elem_bytes);

// Buffers live in the same kernel that overlap in memory, other than a legal in-place
// pair, as messages (empty: the plan is sound). Tests use it; it can fail.
std::vector<std::string> check_memory_plan(const Graph& g, const MemoryPlan& plan);

}  // namespace gradc::ir
