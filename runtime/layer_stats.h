// runtime/layer_stats.h — per-layer statistics of a model: `gradc train --layer-stats`.
//
// Coursework 001 problem 2 asks how the initialisation scale carries the activations' and
// the gradients' variance through the layers (He keeps it through ReLU layers, Xavier halves
// it, N(0, 1) explodes). These are the numbers that show it: for each layer, the mean, the
// variance and the share of exact zeros of its values over a fixed batch, and the same of
// the loss's gradient with respect to it.
//
// What a layer is (docs/training.md): the model's images input; every value the program
// names (`h1 = ...`, the last assignment of a name) whose leading dim is the batch dim, in
// program order; then every param (its values and ∂loss/∂param). Values inside a def and
// unnamed intermediates are not layers: name one to see it.
//
// The statistics come from one compiled graph (forward, then the reverse sweep with every
// layer's adjoint as an output), built and compiled the first time they are asked for, so a
// run without --layer-stats never pays for it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/train_model.h"

namespace gradc::runtime {

// Over all elements, in double: the mean, the population variance (divided by n, as the
// coursework's var()), the share of elements exactly 0 (dead ReLUs, zero gradients).
struct TensorStats {
  double mean = 0, variance = 0, zeros = 0;
};
TensorStats tensor_stats(std::span<const float> values);

struct LayerStat {
  std::string name;
  std::string kind;  // "input", "activation", "param"
  std::vector<int64_t> shape;
  TensorStats value;
  std::optional<TensorStats> grad;  // ∂loss/∂(this value); none for the images input, or off the loss's path
};

struct LayerStatsReport {
  std::string when;     // "initialisation", "epoch 3", ...
  int epoch = 0;        // epochs done when measured
  int64_t batch = 0;    // examples in the fixed batch
  double loss = 0;      // the loss on that batch
  std::vector<LayerStat> layers;
};

// The named activations of a model (see above), in program order.
std::vector<std::string> activation_layers(const TrainModel& m);

// The graph the statistics are computed by, dims bound to `batch`: inputs as the model's;
// outputs "loss", then "<h>" and "dloss/d<h>" for each activation (the latter left out when
// the loss does not depend on h), then "dloss/d<W>" for each param. Differentiated as the
// training step is at this -O level (stabilised first at -O2 and above), not fused with it.
ir::Graph layer_stats_graph(const TrainModel& m, int64_t batch, int opt_level);

// The table gradc train prints, one row per layer; exact zeros as a percentage.
std::string format_layer_stats(const LayerStatsReport& r);
// {"when": ..., "epoch": ..., "batch": ..., "loss": ..., "layers": [{"name", "kind", "shape",
// "mean", "variance", "zeros", "grad_mean", "grad_variance", "grad_zeros"}, ...]}; absent
// gradients are null, non-finite numbers the strings "nan", "inf", "-inf".
std::string layer_stats_json(const LayerStatsReport& r);

}  // namespace gradc::runtime
