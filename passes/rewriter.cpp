// passes/rewriter.cpp — old → new node mapping for passes that rebuild a graph.
#include "passes/rewriter.h"

#include <bit>

#include "ir/check.h"

namespace gradc::passes {

using ir::NodeId;

namespace {

size_t mix(size_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

uint32_t value_hash(const ir::Node& n) {
  size_t h = mix(mix(0xcbf29ce484222325ull, static_cast<uint64_t>(n.op)), static_cast<uint64_t>(n.dtype));
  for (NodeId in : n.inputs) h = mix(h, in);
  h = mix(h, std::bit_cast<uint64_t>(n.value));
  for (int64_t d : n.shape.dims) h = mix(h, static_cast<uint64_t>(d));
  for (int64_t a : n.attr) h = mix(h, static_cast<uint64_t>(a));
  h ^= h >> 33;  // the low bits pick the slot: fold the high ones in (MurmurHash3's finaliser)
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

bool same_value(const ir::Node& a, const ir::Node& b) {
  return a.op == b.op && a.dtype == b.dtype && a.inputs == b.inputs &&
         std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value) && a.shape.dims == b.shape.dims &&
         a.attr == b.attr;
}

size_t power_of_two_at_least(size_t n) {
  size_t p = 16;
  while (p < n) p *= 2;
  return p;
}

}  // namespace

Rewriter::Rewriter(const ir::Graph& in, bool interning)
    : in_(in), map_(in.size(), ir::kNoNode), interning_(interning) {
  out_.reserve(in.size());  // most passes keep most nodes: one allocation, not log2(n) regrowths
  if (interning_) slots_.resize(power_of_two_at_least(2 * size_t{in.size()}));
  out_.dim_names = in.dim_names;  // symbolic dims keep their names (B) through every pass
  out_.call_texts = in.call_texts;
}

size_t Rewriter::probe(const ir::Node& n, uint32_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id == ir::kNoNode || (s.hash == hash && same_value(out_[s.id], n))) return i;
  }
}

void Rewriter::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == ir::kNoNode) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id != ir::kNoNode) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

NodeId Rewriter::add(ir::Node n, std::string group) {
  if (!interning_ || n.op == ir::Op::Input) return out_.add(std::move(n), std::move(group));
  if (2 * (interned_ + 1) > slots_.size()) grow();
  const uint32_t hash = value_hash(n);
  Slot& slot = slots_[probe(n, hash)];
  if (slot.id != ir::kNoNode) {
    ++merged_;
    ir::Node& kept = out_[slot.id];
    if (kept.name.empty()) kept.name = n.name;  // keep the user's name for the picture
    return slot.id;
  }
  ++interned_;
  slot = {out_.add(std::move(n), std::move(group)), hash};
  return slot.id;
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
