// passes/fuse.cpp — group elementwise ops, broadcasts and reductions into kernels.
//
// Why: one loop nest per node writes and rereads every intermediate (softmax → GELU → MSE
// on [4096,1024] passes 16 MiB through memory about thirty times). Elementwise ops over one
// domain can share a loop, keep their values in registers and store only what another
// kernel reads. The partition is decided by shape structure alone (dims may be symbolic):
// a node joins a loop kernel only when its domain is the same Shape.
//   1. Only live nodes (those the outputs need) are placed.
//   2. In id order: matmul is a Gemm kernel, one_hot a OneHot kernel, reshape a View (an
//      alias); a transpose that swaps the last two axes, read only by matmuls and not an
//      output, is a View folded into those GEMMs' trans flags, other transposes copy.
//   3. An elementwise op, broadcast, sum or reduce_max (a "loop op", domain: its shape, or
//      a reduction's: its operand's) joins the loop kernel of an operand when that kernel
//      has the same domain, the operand is not a reduction (its value is complete only
//      after the loop), and no other operand's kernel depends on that kernel (the kernels
//      stay a DAG). Other operand kernels that also qualify and are independent of it are
//      merged in (trees, not just chains). Else it starts a loop kernel; a stop_gradient
//      that joins nothing is a View instead.
//   4. Constants are immediates in loops; one that is an output or read by a non-loop
//      kernel gets a kernel of its own (a stored scalar).
//   5. GEMM epilogues: a loop kernel over the product's shape that reads the product of a
//      GEMM of 2-D operands joins that Gemm kernel (bias, activation, the ReLU mask on
//      dY·Wᵀ and the bias gradient's column sum run on each block of the product while it
//      is hot). Where the product is read only by base ± product or base ± s·product (s one
//      element, base and s from elsewhere), the GEMM call computes that with beta = 1.
//   6. A node is stored when it is an output or another kernel reads it.
//   7. Kernels are put in a topological order (Kahn; among ready kernels the one with the
//      smallest first node goes first, so the order is deterministic and follows the source).
// Nothing is recomputed: a value two kernels need is stored once and read twice. Recomputing
// exp or erf per reader would trade a memory pass for transcendental work, and is left for
// a cost model (see softmax's exp, stored by the kernel of its row sum). One exception costs
// nothing: a cheap unary op (step, sign, abs, neg) of a value stored anyway, with one loop
// reader, starts its own kernel, so that its reader takes it in (ReLU's mask step(relu(z))
// runs in the dY·Wᵀ epilogue instead of being stored by the forward).
#include "passes/fuse.h"

#include "ir/builder.h"
#include "ir/check.h"

#include <algorithm>
#include <cstdint>
#include <queue>
#include <set>
#include <unordered_map>

namespace gradc::passes {

namespace {

using ir::KernelKind;
using ir::NodeId;
using ir::Op;

bool is_reduction(Op op) { return op == Op::Sum || op == Op::ReduceMax; }
bool is_loop_op(Op op) { return ir::is_elementwise(op) || op == Op::Broadcast || is_reduction(op); }

const ir::Shape& domain_of(const ir::Graph& g, NodeId id) {
  return is_reduction(g[id].op) ? g[g[id].inputs[0]].shape : g[id].shape;
}

// A sum or max over exactly the last axis of `domain`: its value per row can be used by
// the same kernel's later phases.
bool is_row_reduction(const ir::Graph& g, const ir::Shape& domain, NodeId id) {
  const int64_t last = static_cast<int64_t>(domain.rank()) - 1;
  return is_reduction(g[id].op) && last >= 0 && g[id].attr == std::vector<int64_t>{last} &&
         g[g[id].inputs[0]].shape == domain;
}

// The shape of one value per row of `domain`: without its last axis, or with it as 1.
bool is_row_shape(const ir::Shape& s, const ir::Shape& domain) {
  if (domain.rank() == 0) return false;
  ir::Shape keep = domain, drop = domain;
  keep.dims.back() = 1;
  drop.dims.pop_back();
  return s == keep || s == drop;
}

// Does a value of shape `s`, broadcast to `domain` (trailing axes aligned), give one value per
// row? Only if it is the domain with its last axis 1, leading 1s aside: a [3] row sum
// broadcast to [3,3] is one value per column, though its shape is a row value's.
bool broadcasts_per_row(const ir::Shape& s, const ir::Shape& domain) {
  if (domain.rank() == 0 || s.rank() > domain.rank()) return false;
  ir::Shape padded = s;
  padded.dims.insert(padded.dims.begin(), domain.rank() - s.rank(), 1);
  ir::Shape keep = domain;
  keep.dims.back() = 1;
  return padded == keep;
}

struct Work {
  KernelKind kind;
  ir::Shape domain;
  std::vector<NodeId> nodes;
  std::set<int> deps;   // kernels read directly
  std::set<int> users;  // kernels that read it directly
  bool merged_away = false;
};

class Partition {
 public:
  explicit Partition(const ir::Graph& g)
      : g_(g), owner_(g.size(), -1), phase_(g.size(), 0), ready_(g.size(), 0), row_value_(g.size(), false) {}

  int owner(NodeId id) const { return owner_[id]; }
  int phase(NodeId id) const { return phase_[id]; }
  // A row reduction or row node of its kernel: read in the kernel from phase ready_ on.
  bool row_value(NodeId id) const { return row_value_[id]; }
  const std::vector<Work>& kernels() const { return ks_; }

  int start(NodeId id, KernelKind kind, ir::Shape domain) {
    ks_.push_back({kind, std::move(domain), {}, {}, {}, false});
    add(static_cast<int>(ks_.size() - 1), id);
    return static_cast<int>(ks_.size() - 1);
  }

  // Phases (ir/kernel.h): a node runs in the latest phase of its in-kernel operands, or
  // after a row value it reads is ready; a reduction's value is ready one phase later.
  void add(int k, NodeId id) {
    Work& w = ks_[static_cast<size_t>(k)];
    owner_[id] = k;
    w.nodes.push_back(id);
    if (is_reduction(g_[id].op)) w.kind = KernelKind::Reduce;
    int ph = 0;
    for (NodeId x : g_[id].inputs) {
      if (owner_[x] >= 0 && owner_[x] != k) {
        w.deps.insert(owner_[x]);
        ks_[static_cast<size_t>(owner_[x])].users.insert(k);
      }
      if (owner_[x] == k) ph = std::max(ph, row_value_[x] ? ready_[x] : phase_[x]);
    }
    phase_[id] = ready_[id] = ph;
    const bool element = domain_of(g_, id) == w.domain;
    row_value_[id] = !element || (is_reduction(g_[id].op) && is_row_reduction(g_, w.domain, id));
    if (is_reduction(g_[id].op)) ready_[id] = ph + 1;
  }

  // Does kernel `from` read, directly or through other kernels, what `to` computes?
  bool depends(int from, int to) const {
    std::vector<bool> seen(ks_.size(), false);
    std::vector<int> stack{from};
    while (!stack.empty()) {
      const int k = stack.back();
      stack.pop_back();
      for (int d : ks_[static_cast<size_t>(k)].deps) {
        if (d == to) return true;
        if (!seen[static_cast<size_t>(d)]) {
          seen[static_cast<size_t>(d)] = true;
          stack.push_back(d);
        }
      }
    }
    return false;
  }

  // Kernel `from` joins `into` (callers make `into` the larger: nodes move, and are put in
  // id order once, at the end). Only the kernels next to `from` learn its new name.
  void merge(int into, int from) {
    Work& a = ks_[static_cast<size_t>(into)];
    Work& b = ks_[static_cast<size_t>(from)];
    for (NodeId id : b.nodes) owner_[id] = into;
    a.nodes.insert(a.nodes.end(), b.nodes.begin(), b.nodes.end());
    if (b.kind == KernelKind::Reduce && a.kind != KernelKind::Gemm) a.kind = KernelKind::Reduce;
    for (int d : b.deps) {
      ks_[static_cast<size_t>(d)].users.erase(from);
      ks_[static_cast<size_t>(d)].users.insert(into);
      a.deps.insert(d);
    }
    for (int u : b.users) {
      ks_[static_cast<size_t>(u)].deps.erase(from);
      ks_[static_cast<size_t>(u)].deps.insert(into);
      a.users.insert(u);
    }
    b = Work{b.kind, b.domain, {}, {}, {}, true};
  }

 private:
  const ir::Graph& g_;
  std::vector<int> owner_, phase_, ready_;
  std::vector<bool> row_value_;
  std::vector<Work> ks_;
};

// Step 3's test for one operand kernel k: a loop kernel over the same domain that the node
// may read from without reading a reduction it has not finished.
// A row node (a value per row computed from the kernel's row values) may join as well.
bool may_join(const ir::Graph& g, const Partition& p, NodeId id, int k) {
  const Work& w = p.kernels()[static_cast<size_t>(k)];
  if (!ir::is_loop_kernel(w.kind)) return false;
  if (w.domain == domain_of(g, id)) {
    for (NodeId x : g[id].inputs) {
      if (p.owner(x) != k) continue;
      if (is_reduction(g[x].op) && !is_row_reduction(g, w.domain, x)) return false;
      if (p.row_value(x) && !broadcasts_per_row(g[x].shape, w.domain)) return false;
      if (p.row_value(x) && is_reduction(g[id].op)) return false;  // reductions read elements only
    }
    return true;
  }
  if (is_reduction(g[id].op) || !is_row_shape(g[id].shape, w.domain)) return false;
  for (NodeId x : g[id].inputs)
    if (g[x].op != Op::Const && (p.owner(x) != k || !p.row_value(x))) return false;
  return true;
}

// No operand's kernel other than k and `besides` depends on `on`: joining keeps a DAG.
bool no_operand_depends(const ir::Graph& g, const Partition& p, NodeId id, int k, int besides, int on) {
  for (NodeId x : g[id].inputs) {
    const int o = p.owner(x);
    if (o >= 0 && o != k && o != besides && p.depends(o, on)) return false;
  }
  return true;
}

// Step 3: joins (and merges) operand kernels; false if none qualifies.
bool join(const ir::Graph& g, Partition& p, NodeId id) {
  std::vector<int> cands;
  for (NodeId x : g[id].inputs) {
    const int k = p.owner(x);
    if (k >= 0 && std::find(cands.begin(), cands.end(), k) == cands.end() && may_join(g, p, id, k)) cands.push_back(k);
  }
  int into = -1;
  for (int k : cands)  // the largest that keeps a DAG: merging moves the others' nodes
    if (no_operand_depends(g, p, id, k, k, k) &&
        (into < 0 || p.kernels()[static_cast<size_t>(k)].nodes.size() > p.kernels()[static_cast<size_t>(into)].nodes.size()))
      into = k;
  if (into < 0) return false;
  // Only kernels over the same domain merge: a scalar kernel (a const output) merged into a
  // row kernel would hold a node that does not fit its loops (differential test, seed 3523183277).
  const ir::Shape& domain = p.kernels()[static_cast<size_t>(into)].domain;
  for (int k : cands)
    if (k != into && p.kernels()[static_cast<size_t>(k)].domain == domain && !p.depends(into, k) &&
        !p.depends(k, into) && no_operand_depends(g, p, id, into, k, k))
      p.merge(into, k);
  p.add(into, id);
  return true;
}

struct Uses {
  std::vector<bool> live, output, only_matmul, non_loop_user;
  std::vector<uint32_t> reads;  // operand slots of live nodes that read it
  std::vector<NodeId> reader;   // one live node that reads it (the only one when reads == 1)
};

Uses uses(const ir::Graph& g) {
  Uses u{std::vector<bool>(g.size(), false), std::vector<bool>(g.size(), false), std::vector<bool>(g.size(), true),
         std::vector<bool>(g.size(), false), std::vector<uint32_t>(g.size(), 0),
         std::vector<NodeId>(g.size(), ir::kNoNode)};
  for (const ir::Output& o : g.outputs) u.live[o.id] = u.output[o.id] = true;
  for (NodeId id = g.size(); id-- > 0;)
    if (u.live[id])
      for (NodeId x : g[id].inputs) {
        u.live[x] = true;
        ++u.reads[x];
        u.reader[x] = id;
        if (g[id].op != Op::MatMul) u.only_matmul[x] = false;
        if (!is_loop_op(g[id].op)) u.non_loop_user[x] = true;
      }
  return u;
}

// A cheap unary op (no transcendental work) of a value that is stored anyway (an output,
// or read by an op outside the loops: a GEMM, a copy; a view read only by loops is the one
// case where this guesses wrong, and then only costs a store), read by one loop op: it is
// computed where it is read, from the stored value, rather than stored beside it. ReLU's
// backward step(relu(x)) then runs in the dY·Wᵀ GEMM's epilogue, reading the activation the
// next layer's GEMM reads anyway, instead of the forward storing a mask (a quarter less
// written per hidden layer).
bool computed_where_read(const ir::Graph& g, const Uses& u, NodeId id) {
  const ir::Node& n = g[id];
  const bool cheap = n.op == Op::Step || n.op == Op::Sign || n.op == Op::Abs || n.op == Op::Neg;
  if (!cheap || u.reads[id] != 1 || !is_loop_op(g[u.reader[id]].op)) return false;
  const NodeId x = n.inputs[0];
  return u.output[x] || u.non_loop_user[x];
}

void place_loop_op(const ir::Graph& g, const Uses& u, Partition& p, NodeId id) {
  if (!computed_where_read(g, u, id) && join(g, p, id)) return;
  if (g[id].op == Op::StopGrad && g[g[id].inputs[0]].op != Op::Const) p.start(id, KernelKind::View, g[id].shape);
  else p.start(id, is_reduction(g[id].op) ? KernelKind::Reduce : KernelKind::Elementwise, domain_of(g, id));
}

// Step 2 and 4: the kernel of a node that is not a loop op.
void place_other(const ir::Graph& g, const Uses& u, Partition& p, NodeId id) {
  const ir::Node& n = g[id];
  switch (n.op) {
    case Op::Input: return;
    case Op::Const:
      if (u.output[id] || u.non_loop_user[id]) p.start(id, KernelKind::Elementwise, n.shape);
      return;
    case Op::MatMul: p.start(id, KernelKind::Gemm, n.shape); return;
    case Op::OneHot: p.start(id, KernelKind::OneHot, n.shape); return;
    case Op::Reshape:  // of a row value: a row node; else an alias
      if (!join(g, p, id)) p.start(id, KernelKind::View, n.shape);
      return;
    case Op::Transpose: {
      const bool folded = ir::swaps_last_two(n) && u.only_matmul[id] && !u.output[id];
      p.start(id, folded ? KernelKind::View : KernelKind::Transpose, n.shape);
      return;
    }
    case Op::SoftmaxXent: GRADC_UNREACHABLE("fuse: composite ops are decomposed before fusion");
#define OP(name, mnemonic, arity, kind) GRADC_ELEMENTWISE_CASE_##kind(name)
#include "ir/ops.def"
#undef OP
    case Op::Broadcast:
    case Op::Sum:
    case Op::ReduceMax: return place_loop_op(g, u, p, id);
  }
}

// Step 5: a loop kernel over a 2-D GEMM's product shape that reads the product becomes that
// Gemm kernel's epilogue (one per GEMM; the latest GEMM it reads, so that the kernels stay a
// DAG: no other kernel it reads may depend on the GEMM).
bool two_d_matmul(const ir::Graph& g, NodeId id) {
  const ir::Node& n = g[id];
  return n.op == Op::MatMul && g[n.inputs[0]].shape.rank() == 2 && g[n.inputs[1]].shape.rank() == 2;
}

void absorb_epilogues(const ir::Graph& g, Partition& p) {
  std::vector<bool> taken(p.kernels().size(), false);
  for (size_t l = 0; l < p.kernels().size(); ++l) {
    const Work& w = p.kernels()[l];
    if (w.merged_away || !ir::is_loop_kernel(w.kind)) continue;
    int into = -1;
    for (int d : w.deps) {
      const Work& gk = p.kernels()[static_cast<size_t>(d)];
      if (gk.kind != KernelKind::Gemm || taken[static_cast<size_t>(d)] || !(gk.domain == w.domain) ||
          !two_d_matmul(g, gk.nodes.front()) || (into >= 0 && gk.nodes.front() < p.kernels()[static_cast<size_t>(into)].nodes.front()))
        continue;
      bool acyclic = true;
      for (int o : w.deps) acyclic = acyclic && (o == d || !p.depends(o, d));
      if (acyclic) into = d;
    }
    if (into < 0) continue;
    taken[static_cast<size_t>(into)] = true;
    p.merge(into, static_cast<int>(l));
  }
}

// The GEMM call of a Gemm kernel: the product, and base ± (scale·)product when the product
// is read only there (ir/kernel.h GemmCall), base and scale from other kernels or inputs.
ir::GemmCall gemm_call(const ir::Graph& g, const Uses& u, const Partition& p, NodeId product) {
  ir::GemmCall plain;
  plain.product = plain.result = product;
  const int self = p.owner(product);
  auto only_reader = [&](NodeId x) {
    const NodeId r = u.reader[x];
    return u.output[x] || u.reads[x] != 1 || p.owner(r) != self ? ir::kNoNode : r;
  };
  auto outside = [&](NodeId x) { return p.owner(x) != self; };
  if (!two_d_matmul(g, product)) return plain;
  ir::GemmCall c = plain;
  NodeId x = product, r = only_reader(product);
  if (r != ir::kNoNode && g[r].op == Op::Mul) {
    const NodeId s = g[r].inputs[0] == product ? g[r].inputs[1] : g[r].inputs[0];
    bool one = true;
    for (ir::Dim d : g[s].shape.dims) one = one && d == 1;
    if (s != product && one && outside(s)) {
      c.scale = s;
      c.scaled = x = r;
      r = only_reader(r);
    }
  }
  if (r == ir::kNoNode || (g[r].op != Op::Add && g[r].op != Op::Sub)) return plain;
  const NodeId base = g[r].inputs[0] == x ? g[r].inputs[1] : g[r].inputs[0];
  const bool fits = base != x && outside(base) && g[base].op != Op::Const && g[base].shape == g[product].shape &&
                    g[base].dtype == g[product].dtype;
  if (!fits || (g[r].op == Op::Sub && g[r].inputs[0] != base)) return plain;
  c.base = base;
  c.result = r;
  c.negate = g[r].op == Op::Sub;
  return c;
}

// Step 6: inputs read from elsewhere (consts: immediates in loops) and values stored.
// Phased kernels: an elementwise node runs in the first phase that reads it rather than the
// first it could (its operands' latest): a broadcast of an input or a chain feeding only a
// late phase then needs no row buffer to carry it there.
void phases_as_late_as_possible(const ir::Graph& g, ir::Kernel& k) {
  if (k.phases() == 1) return;
  std::unordered_map<NodeId, size_t> at;
  for (size_t i = 0; i < k.nodes.size(); ++i) at[k.nodes[i]] = i;
  std::vector<int> first_use(k.nodes.size(), INT32_MAX);
  for (size_t i = k.nodes.size(); i-- > 0;) {
    const NodeId id = k.nodes[i];
    if (!is_reduction(g[id].op) && !ir::is_row_node(g, k, id) && first_use[i] != INT32_MAX)
      k.phase[i] = std::max(k.phase[i], first_use[i]);
    for (NodeId x : g[id].inputs)
      if (auto it = at.find(x); it != at.end()) first_use[it->second] = std::min(first_use[it->second], k.phase[i]);
  }
}

ir::Kernel finish_kernel(const ir::Graph& g, const Uses& u, const std::vector<bool>& stored, const Partition& p,
                         const Work& w) {
  ir::Kernel k{w.kind, w.domain, w.nodes, {}, {}, {}, {}};
  std::sort(k.nodes.begin(), k.nodes.end());
  for (NodeId id : k.nodes) k.phase.push_back(p.phase(id));
  phases_as_late_as_possible(g, k);
  if (k.kind == KernelKind::Gemm) {  // the call's nodes run before the epilogue's phases
    k.gemm = gemm_call(g, u, p, w.nodes.front());
    for (size_t i = 0; i < k.nodes.size(); ++i)
      if (k.gemm.computes(k.nodes[i])) k.phase[i] = 0;
  }
  const int self = p.owner(w.nodes.front());
  std::set<NodeId> in;
  for (NodeId id : w.nodes)
    for (NodeId x : g[id].inputs)
      if (p.owner(x) != self && !(g[x].op == Op::Const && (ir::is_loop_kernel(w.kind) || g[id].op != Op::MatMul)))
        in.insert(x);
  k.inputs.assign(in.begin(), in.end());
  for (NodeId id : w.nodes)
    if (stored[id]) k.outputs.push_back(id);
  return k;
}

std::vector<bool> stored_nodes(const ir::Graph& g, const Uses& u, const Partition& p) {
  std::vector<bool> stored = u.output;
  for (NodeId id = 0; id < g.size(); ++id)
    if (u.live[id])
      for (NodeId x : g[id].inputs)
        if (p.owner(x) != p.owner(id)) stored[x] = true;
  return stored;
}

NodeId first_node(const Work& w) { return *std::min_element(w.nodes.begin(), w.nodes.end()); }

// Step 7.
std::vector<int> topological_order(const ir::Graph& g, const Partition& p) {
  const auto& ks = p.kernels();
  std::vector<std::set<int>> users(ks.size());
  std::vector<int> waiting(ks.size(), 0);
  for (size_t k = 0; k < ks.size(); ++k)
    for (NodeId id : ks[k].nodes)
      for (NodeId x : g[id].inputs)
        if (p.owner(x) >= 0 && p.owner(x) != static_cast<int>(k) && users[static_cast<size_t>(p.owner(x))].insert(static_cast<int>(k)).second)
          ++waiting[k];
  using Ready = std::pair<NodeId, int>;  // (first node, kernel)
  std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
  for (size_t k = 0; k < ks.size(); ++k)
    if (!ks[k].merged_away && waiting[k] == 0) ready.push({first_node(ks[k]), static_cast<int>(k)});
  std::vector<int> order;
  while (!ready.empty()) {
    const int k = ready.top().second;
    ready.pop();
    order.push_back(k);
    for (int user : users[static_cast<size_t>(k)])
      if (--waiting[static_cast<size_t>(user)] == 0) ready.push({first_node(ks[static_cast<size_t>(user)]), user});
  }
  return order;
}

}  // namespace

ir::Graph run_fuse(const ir::Graph& in, PassContext& ctx) {
  ir::Graph out = in;
  const Uses u = uses(in);
  Partition p(in);
  for (NodeId id = 0; id < in.size(); ++id)
    if (u.live[id]) place_other(in, u, p, id);
  absorb_epilogues(in, p);
  out.kernels.clear();
  const std::vector<bool> stored = stored_nodes(in, u, p);
  for (int k : topological_order(in, p))
    out.kernels.push_back(finish_kernel(in, u, stored, p, p.kernels()[static_cast<size_t>(k)]));
  out.memory = {};
  out.memory.output_aliases = in.memory.output_aliases;  // the calling convention stays
  size_t stores = 0, epilogues = 0, accumulations = 0;
  for (const ir::Kernel& k : out.kernels) {
    stores += k.outputs.size();
    epilogues += ir::has_epilogue(k);
    accumulations += k.gemm.accumulates();
  }
  ctx.stats["fuse.kernels"] = static_cast<double>(out.kernels.size());
  ctx.stats["fuse.stored"] = static_cast<double>(stores);
  ctx.stats["fuse.gemm_epilogues"] = static_cast<double>(epilogues);
  ctx.stats["fuse.gemm_accumulations"] = static_cast<double>(accumulations);
  return out;
}

}  // namespace gradc::passes
