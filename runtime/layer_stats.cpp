// runtime/layer_stats.cpp — the statistics graph, the numbers and their table (layer_stats.h).
#include "runtime/layer_stats.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "ir/bind_dims.h"
#include "ir/gradients.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

namespace gradc::runtime {

using ir::Graph;
using ir::NodeId;

TensorStats tensor_stats(std::span<const float> values) {
  TensorStats s;
  if (values.empty()) return s;
  const double n = static_cast<double>(values.size());
  double sum = 0;
  size_t zeros = 0;
  for (float v : values) {
    sum += v;
    zeros += v == 0.0f;
  }
  s.mean = sum / n;
  double squares = 0;  // two passes: no cancellation when the mean dwarfs the spread
  for (float v : values) squares += (v - s.mean) * (v - s.mean);
  s.variance = squares / n;
  s.zeros = static_cast<double>(zeros) / n;
  return s;
}

namespace {

ir::Dim batch_symbol(const TrainModel& m) { return m.graph[m.graph.find_input(m.images)].shape.dims[0]; }

// The -O level's passes before and after autodiff.
std::pair<std::vector<std::string>, std::vector<std::string>> split_at_autodiff(int opt_level) {
  const std::vector<std::string> all = passes::level_pipeline(opt_level);
  const auto at = std::find(all.begin(), all.end(), "autodiff");
  return {{all.begin(), at}, {at + 1, all.end()}};
}

}  // namespace

std::vector<std::string> activation_layers(const TrainModel& m) {
  const Graph& g = m.graph;
  const ir::Dim batch = batch_symbol(m);
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (NodeId id = 0; id < g.size(); ++id) {
    const ir::Node& n = g[id];
    if (n.op == ir::Op::Input || n.name.empty() || n.shape.rank() < 1 || n.shape.dims[0] != batch) continue;
    if (seen.insert(n.name).second) names.push_back(n.name);
  }
  // Program order of each name's last assignment, the value the rest of the program sees.
  std::sort(names.begin(), names.end(),
            [&](const std::string& a, const std::string& b) { return last_named(g, a) < last_named(g, b); });
  return names;
}

Graph layer_stats_graph(const TrainModel& m, int64_t batch, int opt_level) {
  const auto [before, after] = split_at_autodiff(opt_level);
  passes::PassContext ctx;
  Graph model = ir::bind_dims(m.graph, {{m.batch_dim, batch}});
  model.outputs = {model.outputs.front()};  // the loss
  Graph g = passes::PassManager(before).run(std::move(model), ctx);
  const NodeId loss = g.outputs.front().id;
  std::vector<NodeId> params;
  for (const std::string& p : m.params) params.push_back(g.find_input(p));
  const ir::Gradients sweep = ir::append_gradients(g, loss, params);
  for (const std::string& h : activation_layers(m)) {
    const NodeId id = last_named(g, h);
    if (id == ir::kNoNode) continue;  // rewritten away by stabilize: no value to show
    g.outputs.push_back({h, id});
    if (id < sweep.adjoint.size() && sweep.adjoint[id] != ir::kNoNode) g.outputs.push_back({"dloss/d" + h, sweep.adjoint[id]});
  }
  for (size_t i = 0; i < params.size(); ++i) g.outputs.push_back({"dloss/d" + m.params[i], sweep.wrt[i]});
  return passes::PassManager(after).run(std::move(g), ctx);
}

namespace {

std::string number(double v) { return fmt::format("{:.4g}", v); }

std::string json_number(double v) {
  if (std::isnan(v)) return "\"nan\"";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  return fmt::format("{}", v);
}

std::string percent(double share) { return fmt::format("{:.1f} %", 100 * share); }

}  // namespace

std::string format_layer_stats(const LayerStatsReport& r) {
  std::vector<std::vector<std::string>> rows = {
      {"layer", "kind", "shape", "mean", "variance", "zeros", "grad mean", "grad variance", "grad zeros"}};
  for (const LayerStat& l : r.layers) {
    std::vector<std::string> row = {l.name, l.kind, fmt::format("[{}]", fmt::join(l.shape, ",")),
                                    number(l.value.mean), number(l.value.variance), percent(l.value.zeros)};
    if (l.grad) row.insert(row.end(), {number(l.grad->mean), number(l.grad->variance), percent(l.grad->zeros)});
    else row.insert(row.end(), {"-", "-", "-"});
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out = fmt::format("layer stats at {}: the first {} training examples (data order), loss {:.4f}\n",
                                r.when, r.batch, r.loss);
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)  // text left-aligned, numbers right-aligned
      line += c < 3 ? fmt::format("{:<{}}  ", row[c], width[c]) : fmt::format("{:>{}}  ", row[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string layer_stats_json(const LayerStatsReport& r) {
  std::vector<std::string> layers;
  for (const LayerStat& l : r.layers) {
    const auto grad = [&](double TensorStats::*f) { return l.grad ? json_number((*l.grad).*f) : "null"; };
    layers.push_back(fmt::format(
        "{{\"name\": \"{}\", \"kind\": \"{}\", \"shape\": [{}], \"mean\": {}, \"variance\": {}, \"zeros\": {}, "
        "\"grad_mean\": {}, \"grad_variance\": {}, \"grad_zeros\": {}}}",
        l.name, l.kind, fmt::join(l.shape, ", "), json_number(l.value.mean), json_number(l.value.variance),
        json_number(l.value.zeros), grad(&TensorStats::mean), grad(&TensorStats::variance), grad(&TensorStats::zeros)));
  }
  return fmt::format("{{\"when\": \"{}\", \"epoch\": {}, \"batch\": {}, \"loss\": {}, \"layers\": [{}]}}", r.when,
                     r.epoch, r.batch, json_number(r.loss), fmt::join(layers, ", "));
}

}  // namespace gradc::runtime
