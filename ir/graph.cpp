// ir/graph.cpp — the node arena.
#include "ir/graph.h"

#include <fmt/format.h>

#include <algorithm>

#include "ir/check.h"

namespace gradc::ir {

std::string to_string(const Shape& s) {
  return fmt::format("[{}]", fmt::join(s.dims, ","));
}

NodeId Graph::add(Node n, std::string group) {
  const auto id = size();
  GRADC_ASSERT(static_cast<int>(n.inputs.size()) == arity(n.op), "wrong operand count");
  for (NodeId in : n.inputs) GRADC_ASSERT(in < id, "operand defined after its user");
  if (n.op == Op::Input) inputs_.push_back(id);
  nodes_.push_back(std::move(n));
  groups_.push_back(std::move(group));
  adjoints_.push_back(kNoNode);
  return id;
}

// Geometric, like push_back: a caller that reserves a little more each time (autodiff, once
// per in-language grad(...) call) must not move the arena every time.
void Graph::reserve(size_t nodes) {
  if (nodes <= nodes_.capacity()) return;
  nodes = std::max(nodes, 2 * nodes_.capacity());
  nodes_.reserve(nodes);
  groups_.reserve(nodes);
  adjoints_.reserve(nodes);
}

NodeId Graph::find_input(std::string_view name) const {
  for (NodeId id : inputs_)
    if (nodes_[id].name == name) return id;
  return kNoNode;
}

std::string group_name(std::string_view group) { return std::string(group.substr(0, group.rfind('#'))); }

std::string Graph::type_string(NodeId id) const {
  return fmt::format("{}{}", dtype_name(nodes_[id].dtype), to_string(nodes_[id].shape, &dim_names));
}

std::vector<std::string> Graph::input_names() const {
  std::vector<std::string> names;
  for (NodeId id : inputs_) names.push_back(nodes_[id].name);
  return names;
}

}  // namespace gradc::ir
