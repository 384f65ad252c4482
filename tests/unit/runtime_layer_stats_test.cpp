// tests/unit/runtime_layer_stats_test.cpp — `gradc train --layer-stats`: the statistics, which
// values are layers, and coursework 001 problem 2 measured on a deep ReLU net.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "frontend/frontend.h"
#include "runtime/layer_stats.h"
#include "runtime/trainer.h"

using namespace gradc;
using namespace gradc::runtime;

namespace {

TrainModel model_of(const std::string& text) {
  return read_train_model(frontend::compile_to_ir(frontend::SourceFile("model.grad", text), ir::DType::F32));
}

// n examples of `features` independent N(0, 1) values (Box–Muller on mt19937_64, the same on
// every standard library), labels 0..9.
Dataset gaussian_data(int64_t n, int64_t features, uint64_t seed) {
  std::mt19937_64 gen(seed);
  const auto uniform = [&] { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; };
  Dataset d;
  d.n = n;
  d.features = features;
  d.classes = 10;
  d.image_shape = {features};
  d.images_file = d.labels_file = "gaussian";
  for (int64_t i = 0; i < n * features; ++i)
    d.images.push_back(static_cast<float>(std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform())));
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(static_cast<int32_t>(gen() % 10));
  return d;
}

// Six ReLU layers of width 256 without biases, every weight drawn from `init`.
std::string deep_relu(const std::string& init) {
  std::string text = "input x[B, 256]\ninput y[B] : int\n";
  for (int i = 1; i <= 6; ++i) text += fmt::format("param W{}[256, 256] = {}\n", i, init);
  text += "param V[256, 10] = xavier()\nh1 = relu(x @ W1)\n";
  for (int i = 2; i <= 6; ++i) text += fmt::format("h{} = relu(h{} @ W{})\n", i, i - 1, i);
  return text + "logits = h6 @ V\nloss = cross_entropy(logits, y)\n";
}

std::map<std::string, LayerStat> by_name(const LayerStatsReport& r) {
  std::map<std::string, LayerStat> out;
  for (const LayerStat& l : r.layers) out[l.name] = l;
  return out;
}

}  // namespace

TEST_CASE("layer stats: mean, population variance and share of exact zeros", "[layer_stats]") {
  const std::vector<float> v = {0, 1, 2, 0, -0.0f};
  const TensorStats s = tensor_stats(v);
  CHECK(s.mean == Approx(0.6));
  CHECK(s.variance == Approx((0.36 + 0.16 + 1.96 + 0.36 + 0.36) / 5));  // divided by n, not n - 1
  CHECK(s.zeros == Approx(0.6));  // -0 is an exact zero too
  const std::vector<float> big = {1e6f + 1, 1e6f + 3};  // the mean dwarfs the spread
  CHECK(tensor_stats(big).variance == Approx(1.0));
  CHECK(tensor_stats({}).variance == 0);
}

TEST_CASE("layer stats: the layers are the named batch values, in program order", "[layer_stats]") {
  const TrainModel m = model_of(
      "input x[B, 4]\ninput y[B] : int\nparam W[4, 5] = he()\nparam V[5, 3] = he()\n"
      "def dense(x, W) = relu(x @ W)\n"
      "h = x @ W\n"              // reassigned: the last value is the layer
      "norm = sum(W * W)\n"      // no batch dim: not a layer
      "h = dense(x, W)\n"        // the def's inside is not named: not a layer
      "logits = h @ V\nloss = cross_entropy(logits, y)\n");
  CHECK(activation_layers(m) == std::vector<std::string>{"h", "logits"});
  const ir::Graph g = layer_stats_graph(m, 7, 2);
  std::vector<std::string> names;
  for (const ir::Output& o : g.outputs) names.push_back(o.name);
  CHECK(names == std::vector<std::string>{"loss", "h", "dloss/dh", "logits", "dloss/dlogits", "dloss/dW", "dloss/dV"});
  CHECK(g[g.outputs[1].id].shape.dims == std::vector<int64_t>{7, 5});
}

TEST_CASE("layer stats: each layer's values and gradient on the first examples, as the step sees them",
          "[layer_stats]") {
  const TrainModel m = model_of(
      "input x[B, 3]\ninput y[B] : int\nparam W[3, 2] = constant(0.5)\n"
      "logits = x @ W\nloss = cross_entropy(logits, y)\n");
  DataSplits data{gaussian_data(300, 3, 1), gaussian_data(10, 3, 2), {}, "gaussian"};
  for (auto& l : data.train.labels) l %= 2;
  for (auto& l : data.test.labels) l %= 2;
  data.train.classes = data.test.classes = 2;
  TrainConfig cfg;
  cfg.batch = 16;
  Trainer t(m, data, cfg);
  const LayerStatsReport r = t.layer_stats("initialisation");
  REQUIRE(r.batch == Trainer::kLayerStatsBatch);  // 256 of the 300, in data order
  const std::span<const float> first(data.train.images.data(), 256 * 3);
  auto layers = by_name(r);
  CHECK(layers["x"].value.mean == Approx(tensor_stats(first).mean));
  CHECK(!layers["x"].grad);
  // Both columns of W are equal, so both logits are x·(0.5, 0.5, 0.5): softmax gives ½ each,
  // and ∂loss/∂logits = (p − onehot)/256 is ±1/512, mean 0, variance 1/512².
  CHECK(r.loss == Approx(std::log(2.0)));
  CHECK(layers["logits"].grad->mean == Approx(0).margin(1e-9));
  CHECK(layers["logits"].grad->variance == Approx(1.0 / (512.0 * 512.0)));
  CHECK(layers["W"].value.mean == 0.5f);
  CHECK(layers["W"].value.variance == 0);
  CHECK(layers["W"].grad);
}

// Coursework 001 problem 2, measured. Through a layer h' = relu(h @ W) with n inputs and
// W ~ (0, σ²), var(h') = n σ² var(h) / 2 in expectation (the ReLU keeps half the second
// moment of a symmetric pre-activation, and var(h) is a fixed share of it), and going back,
// var(∂/∂h) = n σ² var(∂/∂h') / 2 likewise (fan-in = fan-out = 256 here). So per layer:
// He (σ² = 2/n) 1, Xavier (σ² = 2/(n + n)) ½, N(0, 1) n/2 = 128.
// Tolerance: the per-layer factor is the geometric mean over the five layers h1 → h6; over
// 12 seeds it stayed within 7 % of these values (finite width: each layer averages 256 units'
// squared projections, sd ≈ √(2/256) ≈ 9 % per layer, about 4 % over five). ±20 % is three
// times that spread and still tells each rule from the next (a factor of 2 at least).
TEST_CASE("layer stats: He keeps the variance through ReLU layers, Xavier halves it, N(0,1) explodes",
          "[layer_stats]") {
  const DataSplits data{gaussian_data(256, 256, 7), gaussian_data(8, 256, 8), {}, "gaussian"};
  const std::vector<std::pair<std::string, double>> rules = {{"he()", 1.0}, {"xavier()", 0.5}, {"normal(0, 1)", 128.0}};
  for (const auto& [init, factor] : rules)
    for (uint64_t seed : {0, 1, 2}) {
      TrainConfig cfg;
      cfg.seed = seed;
      Trainer t(model_of(deep_relu(init)), data, cfg);
      auto layers = by_name(t.layer_stats("initialisation"));
      const double forward = std::pow(layers["h6"].value.variance / layers["h1"].value.variance, 1.0 / 5);
      const double backward = std::pow(layers["h1"].grad->variance / layers["h6"].grad->variance, 1.0 / 5);
      INFO(init << " seed " << seed << ": forward " << forward << ", backward " << backward);
      CHECK(forward == Approx(factor).epsilon(0.2));
      CHECK(backward == Approx(factor).epsilon(0.2));
      for (int i = 1; i <= 6; ++i) CHECK(layers[fmt::format("h{}", i)].value.zeros == Approx(0.5).margin(0.1));
    }
}
