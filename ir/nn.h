// ir/nn.h — neural-network functions composed from the primitive ops.
//
// tinygrad's lesson: a small set of primitives, everything else composed. Each
// function here is a few builder calls; autodiff differentiates the pieces, so
// none needs a hand-written backward (and second order works). The nodes each
// function makes carry its name as their Graph::group, so pictures can draw them as one box.
//
// Conventions follow PyTorch's defaults, so results compare one to one:
// mse and bce average over all elements, cross_entropy over the batch.
#pragma once

#include "ir/builder.h"

namespace gradc::ir::nn {

NodeId softmax(Builder& b, NodeId x, int axis = -1);
NodeId log_softmax(Builder& b, NodeId x, int axis = -1);
NodeId logsumexp(Builder& b, NodeId x, int axis = -1, bool keepdims = false);

NodeId leaky_relu(Builder& b, NodeId x, double slope = 0.01);
NodeId gelu(Builder& b, NodeId x);  // the exact form, x·Φ(x), as torch's default

NodeId mse(Builder& b, NodeId prediction, NodeId target);
// On probabilities; like torch.nn.BCELoss each log is clamped at −100, so p = 0
// or 1 gives a finite loss.
NodeId bce(Builder& b, NodeId probability, NodeId target);
NodeId bce_with_logits(Builder& b, NodeId logits, NodeId target);
// labels: class indices (logits' shape without its last axis) or one-hot /
// probability targets (logits' shape). Throws ShapeError for anything else.
NodeId cross_entropy(Builder& b, NodeId logits, NodeId labels);

// Sets the builder's group for the lifetime of the guard (nested calls keep the
// outermost). Each call is its own instance, "softmax#3": pictures draw one box per
// call and show the part before '#'.
class GroupScope {
 public:
  GroupScope(Builder& b, std::string_view name) : b_(b), saved_(b.group()) {
    if (saved_.empty()) b_.set_group(std::string(name) + "#" + std::to_string(b_.next_group_instance()));
  }
  ~GroupScope() { b_.set_group(saved_); }
  GroupScope(const GroupScope&) = delete;
  GroupScope& operator=(const GroupScope&) = delete;

 private:
  Builder& b_;
  std::string saved_;
};

}  // namespace gradc::ir::nn
