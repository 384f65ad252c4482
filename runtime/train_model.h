// runtime/train_model.h — how `gradc train` reads a model program (docs/training.md).
//
// The model file is the language itself: inputs, params with initialisers, a loss. These
// conventions find what training needs in it, and every mismatch with the data is a
// TrainError (exit 1) that names both sides:
//   - the loss: the value named `loss` (its last assignment), else the program's output;
//     it must be a scalar and depend on at least one param;
//   - the logits (accuracy, prediction): the value named `logits`, else the first argument
//     of the cross_entropy that the loss uses; a [B, C] float value;
//   - the images bind to the one float input that is not a param: x[B, d1, ...], whose
//     non-batch dims hold d1·... features, the data's example read row-major;
//   - the labels bind to the one integer input, y[B]; the batch dim B is the symbolic dim
//     that leads both, bound to the batch size when the step is compiled;
//   - regression: no integer input but two float inputs, the features (declared first) and
//     the targets t[B] or t[B, 1] (one number per example); no logits, no accuracy.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/dataset.h"

namespace gradc::runtime {

struct TrainError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainModel {
  ir::Graph graph;                  // f32, symbolic B; outputs: {loss, logits}
  std::string images, labels;       // the two data inputs' names
  std::string batch_dim;            // "B"
  int64_t features = 0;             // per example
  int64_t classes = 0;              // the logits' last dim; 0 for regression
  // Regression: no integer input; the second float input holds each example's target
  // (t[B] or t[B, 1]), `labels` names it, and there are no logits, classes or accuracy.
  bool regression = false;
  std::vector<std::string> params;  // in graph input order
};

// Finds loss, logits and the data inputs of a parsed program (any dtype: made f32).
// Throws TrainError.
TrainModel read_train_model(const ir::Graph& parsed);

// The last node (not an input) named `name`, or ir::kNoNode: a reassigned name is its final value.
ir::NodeId last_named(const ir::Graph& g, const std::string& name);

// Checks that the data fits the model: feature counts, class counts. Throws TrainError.
void check_data_fits(const TrainModel& m, const Dataset& data);

}  // namespace gradc::runtime
