// passes/rewriter.cpp — old → new node mapping for passes that rebuild a graph.
#include "passes/rewriter.h"

#include <bit>

#include "ir/check.h"

namespace gradc::passes {

using ir::NodeId;

namespace {

size_t mix(size_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

}  // namespace

size_t Rewriter::KeyHash::operator()(const Key& k) const {
  size_t h = mix(mix(0xcbf29ce484222325ull, static_cast<uint64_t>(k.op)), static_cast<uint64_t>(k.dtype));
  for (NodeId in : k.inputs) h = mix(h, in);
  h = mix(h, k.constant);
  for (int64_t d : k.dims) h = mix(h, static_cast<uint64_t>(d));
  for (int64_t a : k.attr) h = mix(h, static_cast<uint64_t>(a));
  return h;
}

Rewriter::Rewriter(const ir::Graph& in, bool interning)
    : in_(in), map_(in.size(), ir::kNoNode), interning_(interning) {
  out_.reserve(in.size());  // most passes keep most nodes: one allocation, not log2(n) regrowths
  if (interning_) interned_.reserve(in.size());
  out_.dim_names = in.dim_names;  // symbolic dims keep their names (B) through every pass
  out_.call_texts = in.call_texts;
}

NodeId Rewriter::add(ir::Node n, std::string group) {
  if (!interning_ || n.op == ir::Op::Input) return out_.add(std::move(n), std::move(group));
  Key key{n.op, n.dtype, n.inputs, std::bit_cast<uint64_t>(n.value), n.shape.dims, n.attr};
  auto [it, fresh] = interned_.try_emplace(key, ir::kNoNode);
  if (!fresh) {
    ++merged_;
    ir::Node& kept = out_[it->second];
    if (kept.name.empty()) kept.name = n.name;  // keep the user's name for the picture
    return it->second;
  }
  return it->second = out_.add(std::move(n), std::move(group));
}

NodeId Rewriter::copy(NodeId old) {
  ir::Node n = in_[old];
  for (NodeId& in : n.inputs) {
    GRADC_ASSERT(map_[in] != ir::kNoNode, "rewriter: operand not mapped yet");
    in = map_[in];
  }
  return map_[old] = add(std::move(n), in_.group(old));  // adjoints: remapped in finish()
}

void Rewriter::map_to(NodeId old, NodeId new_id) {
  map_[old] = new_id;
  const ir::Node& was = in_[old];
  ir::Node& now = out_[new_id];
  if (now.name.empty() && was.op != ir::Op::Input) now.name = was.name;
}

ir::Graph Rewriter::finish() && {
  for (const ir::Output& o : in_.outputs) out_.outputs.push_back({o.name, map_[o.id]});
  // Inputs and outputs keep their order through every rewrite: so do the in-place pairs.
  out_.memory.output_aliases = in_.memory.output_aliases;
  for (NodeId old = 0; old < in_.size(); ++old) {
    NodeId adj = in_.adjoint(old), now = map_[old];
    if (adj == ir::kNoNode || now == ir::kNoNode || map_[adj] == ir::kNoNode) continue;
    if (out_.adjoint(now) == ir::kNoNode) out_.set_adjoint(now, map_[adj]);
  }
  return std::move(out_);
}

}  // namespace gradc::passes
