// ir/memory_plan.cpp — workspace offsets for the kernels' buffers (passes/plan_memory.cpp's
// algorithm; here, in ir/, so that codegen can plan a graph whose dims were bound after the
// passes ran).
//
// Why: one buffer per value makes the workspace the sum of every intermediate (712 KiB for
// the MLP's step at batch 64, 512 MiB for softmax → GELU → MSE on [4096,1024]). Kernels run
// in the order of g.kernels, so a buffer is needed only from the kernel that writes it to the
// last kernel that reads it (through any reshape or stop_gradient view of it).
//   1. Lifetimes: each stored value's buffer is born at its kernel and dies after its last
//      reader; a view's readers count as readers of the buffer it views.
//   2. Kernel by kernel, each value it stores takes the buffer of an input it reads for the
//      last time at the very same index (an elementwise kernel, same shape: in place), or
//      else the first free region big enough (64-byte aligned), or the end of the workspace.
//   3. Then the buffers whose last reader was this kernel are freed (adjacent regions merge).
// f32 sums get f64 accumulators, and phased kernels row buffers, that live for their kernel only.
// A Gemm kernel's accumulation (base ± A@B) is written over base's buffer when this kernel
// is its last reader and nothing else here reads it; a result only its epilogue reads lives in
// the rows of an epilogue output (ir::gemm_result_home), or else in one row block of scratch
// (ir::gemm_block_rows), never in a buffer of its own.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "ir/check.h"
#include "ir/graph.h"

namespace gradc::ir {

namespace {

constexpr uint64_t kAlign = 64;
uint64_t round_up(uint64_t n) { return std::max<uint64_t>(kAlign, (n + kAlign - 1) / kAlign * kAlign); }

uint64_t elements(const Shape& s) {
  uint64_t n = 1;
  for (Dim d : s.dims) {
    GRADC_ASSERT(d >= 0, "plan_memory: symbolic dim");
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

std::vector<bool> graph_outputs(const Graph& g) {
  std::vector<bool> out(g.size(), false);
  for (const Output& o : g.outputs) out[o.id] = true;
  return out;
}

// A buffer of the workspace: a stored value or a sum's accumulators.
struct Buffer {
  NodeId node;
  bool scratch;
  uint64_t bytes;
  int def, last;  // kernel positions: written by def, last read by last
};

// Step 1. root[id]: the node whose buffer holds id's value (views see through).
struct Lifetimes {
  std::vector<int> pos;
  std::vector<NodeId> root;
  std::vector<int> last;  // per root
};

Lifetimes lifetimes(const Graph& g) {
  Lifetimes l{kernel_of(g), std::vector<NodeId>(g.size()), std::vector<int>(g.size(), -1)};
  const std::vector<bool> out = graph_outputs(g);
  for (NodeId id = 0; id < g.size(); ++id) {
    l.root[id] = id;
    const int k = l.pos[id];
    if (k >= 0 && g.kernels[static_cast<size_t>(k)].kind == KernelKind::View && !out[id])
      l.root[id] = l.root[g[id].inputs[0]];
  }
  for (NodeId id = 0; id < g.size(); ++id)
    if (l.pos[id] >= 0)
      for (NodeId x : g[id].inputs) l.last[l.root[x]] = std::max(l.last[l.root[x]], l.pos[id]);
  return l;
}

// May Gemm kernel k (at position pos) accumulate into base's buffer? Base has a workspace
// buffer (not a graph input or output: an input qualifies only through an OutputAlias, which
// codegen handles), this kernel reads it last, and only the accumulation reads it here.
bool accumulates_in_place(const Graph& g, const Kernel& k, const Lifetimes& l, const std::vector<bool>& out, int pos) {
  const GemmCall& c = k.gemm;
  if (!c.accumulates()) return false;
  const NodeId root = l.root[c.base];
  const int at = l.pos[root];
  if (at < 0 || out[root] || g[root].op == Op::Input || g.kernels[static_cast<size_t>(at)].kind == KernelKind::View ||
      l.last[root] != pos)
    return false;
  for (NodeId id : k.nodes)
    for (NodeId x : g[id].inputs)
      if (l.root[x] == root && !(id == c.result && x == c.base)) return false;
  return true;
}

std::vector<Buffer> buffers(const Graph& g, const Lifetimes& l, uint64_t elem_bytes) {
  const std::vector<bool> out = graph_outputs(g);
  std::vector<Buffer> bs;
  for (size_t k = 0; k < g.kernels.size(); ++k) {
    const Kernel& kn = g.kernels[k];
    if (kn.kind == KernelKind::View) continue;
    const int p = static_cast<int>(k);
    for (NodeId id : kn.outputs)
      if (!out[id] && g[id].op != Op::Input)
        bs.push_back({id, false, round_up(elements(g[id].shape) * elem_bytes), p, std::max(p, l.last[id])});
    const NodeId r = kn.gemm.result;
    if (has_epilogue(kn) && !out[r] && std::find(kn.outputs.begin(), kn.outputs.end(), r) == kn.outputs.end()) {
      const uint64_t row = elements(kn.domain) / std::max<uint64_t>(1, static_cast<uint64_t>(kn.domain.dims[0]));
      if (accumulates_in_place(g, kn, l, out, p)) bs.push_back({r, false, round_up(elements(kn.domain) * elem_bytes), p, p});
      else if (gemm_result_home(g, kn) == kNoNode)
        bs.push_back({r, true, round_up(static_cast<uint64_t>(gemm_block_rows(kn, elem_bytes)) * row * elem_bytes), p, p});
    }
    if (elem_bytes == 4 && (is_loop_kernel(kn.kind) || kn.kind == KernelKind::Gemm))
      for (NodeId id : kn.outputs)
        if (g[id].op == Op::Sum) bs.push_back({id, true, round_up(elements(g[id].shape) * 8), p, p});
    if (kn.phases() > 1) {
      const uint64_t row = static_cast<uint64_t>(kn.domain.dims.back());
      for (NodeId id : row_buffered(g, kn)) bs.push_back({id, true, round_up(row * elem_bytes), p, p});
    }
  }
  return bs;
}

// First-fit over free regions; the workspace grows at its end when none fits.
class Arena {
 public:
  uint64_t take(uint64_t bytes) {
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second >= bytes) {
        const uint64_t at = it->first, left = it->second - bytes;
        free_.erase(it);
        if (left) free_[at + bytes] = left;
        return at;
      }
    if (!free_.empty() && std::prev(free_.end())->first + std::prev(free_.end())->second == top_) {
      const uint64_t at = std::prev(free_.end())->first;  // the last free region grows
      free_.erase(std::prev(free_.end()));
      top_ = at + bytes;
      return at;
    }
    top_ += bytes;
    return top_ - bytes;
  }
  void give(uint64_t at, uint64_t bytes) {
    auto [it, ok] = free_.emplace(at, bytes);
    GRADC_ASSERT(ok, "plan_memory: region freed twice");
    if (auto next = std::next(it); next != free_.end() && at + it->second == next->first) {
      it->second += next->second;
      free_.erase(next);
    }
    if (it != free_.begin())
      if (auto prev = std::prev(it); prev->first + prev->second == at) {
        prev->second += it->second;
        free_.erase(it);
      }
  }
  uint64_t top() const { return top_; }

 private:
  std::map<uint64_t, uint64_t> free_;  // offset -> bytes
  uint64_t top_ = 0;
};

// Step 2's in-place test: kernel k is elementwise, `id` has the domain's shape, and `donor`
// (a buffer read for the last time here) is read only at the index being written; or k's
// GEMM call accumulates into `donor`, its base.
bool may_overwrite(const Graph& g, const Kernel& k, NodeId id, const Buffer& donor, const Lifetimes& l,
                   uint64_t bytes) {
  if (donor.scratch || donor.bytes != bytes) return false;
  if (k.kind == KernelKind::Gemm)
    return id == k.gemm.result && k.gemm.accumulates() && donor.node == l.root[k.gemm.base] &&
           accumulates_in_place(g, k, l, graph_outputs(g), l.pos[id]);
  if (k.kind != KernelKind::Elementwise) return false;
  if (!(g[id].shape == k.domain) || donor.last != l.pos[id]) return false;
  bool read = false;
  for (NodeId x : k.inputs)
    if (l.root[x] == donor.node) {
      if (!(g[x].shape == k.domain)) return false;  // also read with broadcast strides
      read = true;
    }
  return read;
}

}  // namespace

MemoryPlan plan_memory(const Graph& g, uint64_t elem_bytes) {
  MemoryPlan plan;
  plan.elem_bytes = elem_bytes;
  plan.offset.assign(g.size(), MemoryPlan::kNone);
  plan.scratch.assign(g.size(), MemoryPlan::kNone);
  plan.output_aliases = g.memory.output_aliases;
  const Lifetimes l = lifetimes(g);
  std::vector<Buffer> bs = buffers(g, l, elem_bytes);
  std::vector<bool> donated(bs.size(), false);
  Arena arena;
  uint64_t live = 0;
  size_t next = 0;
  for (int p = 0; p < static_cast<int>(g.kernels.size()); ++p) {
    const Kernel& k = g.kernels[static_cast<size_t>(p)];
    for (; next < bs.size() && bs[next].def == p; ++next) {
      Buffer& b = bs[next];
      plan.unplanned_bytes += b.bytes;
      uint64_t& at = b.scratch ? plan.scratch[b.node] : plan.offset[b.node];
      for (size_t d = 0; d < next && at == MemoryPlan::kNone; ++d)
        if (!donated[d] && !bs[d].scratch && may_overwrite(g, k, b.node, bs[d], l, b.bytes)) {
          donated[d] = true;
          at = plan.offset[bs[d].node];
          live -= bs[d].bytes;
        }
      if (at == MemoryPlan::kNone) at = arena.take(b.bytes);
      live += b.bytes;
    }
    plan.peak_bytes = std::max(plan.peak_bytes, live);
    for (size_t d = 0; d < next; ++d)  // step 3
      if (bs[d].last == p && !donated[d]) {
        arena.give(bs[d].scratch ? plan.scratch[bs[d].node] : plan.offset[bs[d].node], bs[d].bytes);
        live -= bs[d].bytes;
      }
  }
  plan.workspace_bytes = arena.top();
  return plan;
}

std::vector<std::string> check_memory_plan(const Graph& g, const MemoryPlan& plan) {
  std::vector<std::string> errs;
  const Lifetimes l = lifetimes(g);
  const std::vector<Buffer> bs = buffers(g, l, plan.elem_bytes);
  auto at = [&](const Buffer& b) { return b.scratch ? plan.scratch[b.node] : plan.offset[b.node]; };
  for (const Buffer& b : bs)
    if (at(b) == MemoryPlan::kNone || at(b) + b.bytes > plan.workspace_bytes)
      errs.push_back(fmt::format("node {}: buffer outside the workspace", b.node));
  for (size_t i = 0; i < bs.size(); ++i)
    for (size_t j = i + 1; j < bs.size(); ++j) {
      const Buffer &a = bs[i], &b = bs[j];
      const bool same_time = a.def <= b.last && b.def <= a.last;
      const bool same_place = at(a) < at(b) + b.bytes && at(b) < at(a) + a.bytes;
      if (!same_time || !same_place) continue;
      const Kernel& kb = g.kernels[static_cast<size_t>(b.def)];
      const bool accumulation = kb.kind == KernelKind::Gemm && kb.gemm.accumulates() && b.node == kb.gemm.result &&
                                a.node == l.root[kb.gemm.base];
      const bool in_place = at(a) == at(b) && a.bytes == b.bytes && a.last == b.def && !a.scratch && !b.scratch &&
                            (kb.kind == KernelKind::Elementwise || accumulation);
      if (!in_place)
        errs.push_back(fmt::format("nodes {} and {}: buffers [{}, +{}) and [{}, +{}) overlap while both are live",
                                   a.node, b.node, at(a), a.bytes, at(b), b.bytes));
    }
  return errs;
}

}  // namespace gradc::ir
