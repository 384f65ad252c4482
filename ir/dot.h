// ir/dot.h — Graphviz pictures of a graph, at any step of the pipeline.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

struct DotOptions {
  std::string title;                    // drawn as the graph's label
  const std::vector<double>* values = nullptr;  // every node's forward value (from --at), or null
  // Tensor graphs: every node's value, flattened in C order (instead of `values`).
  const std::vector<std::vector<double>>* tensor_values = nullptr;
  // Draw each call of a composite (softmax, cross_entropy, a user `def`) as one
  // box instead of a cluster of its nodes.
  bool collapse_groups = false;
};

// Inputs, ops, constants and outputs get distinct shapes; backward nodes a
// distinct colour and style. With values, each forward node shows its value and,
// where autodiff set its adjoint, the gradient ∂f/∂node, as a worked homework
// answer would; intermediate forward nodes are labelled h₁, h₂, ... in order (subscripts:
// no program can spell them, so they never take a user's name); a collapsed call's hidden
// nodes are named after its box (y_hat.exp), and every operand gets its own edge.
// Tensor nodes show their type (f32[B,784]) and edges carry their operand's shape;
// the nodes of one composite call sit in a cluster named after it, or in one box.
std::string to_dot(const Graph& g, const DotOptions& opts = {});

}  // namespace gradc::ir
