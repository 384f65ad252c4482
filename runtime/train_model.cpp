// runtime/train_model.cpp — loss, logits and data inputs of a model program.
#include "runtime/train_model.h"

#include <fmt/format.h>

#include <set>

namespace gradc::runtime {

using ir::Graph;
using ir::NodeId;

NodeId last_named(const Graph& g, const std::string& name) {
  NodeId found = ir::kNoNode;
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].op != ir::Op::Input && g[id].name == name) found = id;
  return found;
}

namespace {

NodeId find_loss(const Graph& g) {
  NodeId loss = last_named(g, "loss");
  if (loss == ir::kNoNode) {
    if (g.outputs.empty()) throw TrainError("the model has no loss: assign one, e.g. loss = cross_entropy(logits, y)");
    loss = g.outputs.front().id;
  }
  if (!g[loss].shape.is_scalar())
    throw TrainError(fmt::format("the loss must be a scalar, but {} is {} (name the loss `loss`, e.g. loss = "
                                 "cross_entropy(logits, y))",
                                 g[loss].name.empty() ? "the program's output" : "`" + g[loss].name + "`",
                                 g.type_string(loss)));
  return loss;
}

bool in_loss_group(const Graph& g, NodeId id) {
  const std::string gr = ir::group_name(g.group(id));
  return gr == "cross_entropy" || gr == "log_softmax";
}

// The first argument of cross_entropy: an operand of its nodes from outside the call,
// a float value with a class axis (the labels go through one_hot).
NodeId cross_entropy_argument(const Graph& g, NodeId loss) {
  for (NodeId id = 0; id <= loss; ++id) {
    if (!in_loss_group(g, id) || g[id].op == ir::Op::OneHot) continue;
    for (NodeId x : g[id].inputs)
      if (!in_loss_group(g, x) && g[x].op != ir::Op::Const && !g[x].integer && g[x].shape.rank() == 2) return x;
  }
  return ir::kNoNode;
}

NodeId find_logits(const Graph& g, NodeId loss) {
  NodeId logits = last_named(g, "logits");
  if (logits == ir::kNoNode) logits = cross_entropy_argument(g, loss);
  if (logits == ir::kNoNode)
    throw TrainError("cannot find the logits: name them `logits` (a [B, classes] value), or use cross_entropy(logits, y)");
  if (g[logits].shape.rank() != 2 || ir::is_symbolic(g[logits].shape.dims[1]))
    throw TrainError(fmt::format("the logits must be [B, classes] with a number of classes, not {}",
                                 g.type_string(logits)));
  return logits;
}

void find_data_inputs(const Graph& g, TrainModel& m) {
  std::vector<std::string> floats, ints;
  for (NodeId id : g.inputs()) {
    if (g[id].role == ir::Role::Param) m.params.push_back(g[id].name);
    else (g[id].integer ? ints : floats).push_back(g[id].name);
  }
  if (m.params.empty()) throw TrainError("the model has no params to train (declare them: param W[784, 10] = he())");
  m.regression = ints.empty() && floats.size() == 2;
  if (!m.regression && (floats.size() != 1 || ints.size() != 1))
    throw TrainError(fmt::format("a model for training has one float input for the images and one integer input "
                                 "for the labels (input y[B] : int), or, for regression, two float inputs: the "
                                 "features, then the targets (input t[B]); this one has float inputs [{}] and "
                                 "integer inputs [{}]",
                                 fmt::join(floats, ", "), fmt::join(ints, ", ")));
  m.images = floats[0];
  m.labels = m.regression ? floats[1] : ints[0];
  const ir::Shape& xs = g[g.find_input(m.images)].shape;
  const ir::Shape& ys = g[g.find_input(m.labels)].shape;
  const bool one_per_example = ys.rank() == 1 || (m.regression && ys.rank() == 2 && ys.dims[1] == 1);
  if (xs.rank() < 2 || !ir::is_symbolic(xs.dims[0]) || !one_per_example || ys.dims[0] != xs.dims[0])
    throw TrainError(fmt::format("the images {} and labels {} must share a named leading batch dim, as in "
                                 "input x[B, 784] and input y[B] : int",
                                 g.type_string(g.find_input(m.images)), g.type_string(g.find_input(m.labels))));
  {
    const size_t k = static_cast<size_t>(ir::symbol_index(xs.dims[0]));
    m.batch_dim = k < g.dim_names.names.size() ? g.dim_names.names[k] : "B";
  }
  m.features = 1;
  for (size_t i = 1; i < xs.dims.size(); ++i) {
    if (ir::is_symbolic(xs.dims[i]))
      throw TrainError(fmt::format("the images {} may have only the batch dim named", g.type_string(g.find_input(m.images))));
    m.features *= xs.dims[i];
  }
}

}  // namespace

TrainModel read_train_model(const Graph& parsed) {
  TrainModel m;
  m.graph = parsed;
  for (NodeId id = 0; id < m.graph.size(); ++id) m.graph[id].dtype = ir::DType::F32;
  const NodeId loss = find_loss(m.graph);
  find_data_inputs(m.graph, m);
  if (m.regression) {
    m.graph.outputs = {{"loss", loss}};
  } else {
    const NodeId logits = find_logits(m.graph, loss);
    m.classes = m.graph[logits].shape.dims[1];
    m.graph.outputs = {{"loss", loss}, {"logits", logits}};
  }
  m.graph.kernels.clear();
  m.graph.memory = {};
  return m;
}

void check_data_fits(const TrainModel& m, const Dataset& data) {
  const ir::Graph& g = m.graph;
  if (data.features != m.features) {
    std::vector<std::string> dims;
    for (int64_t d : data.image_shape) dims.push_back(std::to_string(d));
    throw TrainError(fmt::format("the model's images {} hold {} features per example, but the data's examples ({}) "
                                 "are {} ({} features)",
                                 g.type_string(g.find_input(m.images)), m.features, data.images_file,
                                 fmt::join(dims, "×"), data.features));
  }
  if (data.n > 0 && m.regression == data.targets.empty())
    throw TrainError(m.regression ? fmt::format("the model is a regression (float targets {}), but the data ({}) "
                                                "was read as class labels",
                                                g.type_string(g.find_input(m.labels)), data.labels_file)
                                  : fmt::format("the data ({}) holds regression targets, but the model wants class "
                                                "labels", data.labels_file));
  if (!m.regression && data.classes > m.classes)
    throw TrainError(fmt::format("the labels do not fit the logits: the data ({}) has {} classes (labels 0 to {}), "
                                 "but the logits {} have {}",
                                 data.labels_file, data.classes, data.classes - 1,
                                 g.type_string(g.outputs[1].id), m.classes));
}

}  // namespace gradc::runtime
