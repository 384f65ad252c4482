// tools/gradc/predict_output.h — what `gradc predict` prints: each sample's class
// probabilities as a table (classes down, samples across, the predicted class marked) or as
// JSON. The model side (a forward pass at the checkpoint's parameters) lives with the trainer.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradc::cli {

struct Prediction {
  int64_t index = -1;                 // the sample's index in its data set (-1: not shown)
  std::vector<double> probabilities;  // one per class, summing to 1
  int true_label = -1;                // -1 when unknown
};

// The index of the largest probability (the first of equal ones); a NaN never wins.
size_t predicted_class(const std::vector<double>& probabilities);

//   class         image 17   image 4   ...
//   T-shirt/top     0.0 %     81.2 % *
//   ...
//   true          Sandal      Shirt
//   predicted     Sandal ✓    T-shirt/top ✗
// Throws std::invalid_argument if a sample's probabilities do not match the class names or a
// label is out of range.
std::string prediction_table(const std::vector<Prediction>& samples,
                             const std::vector<std::string>& class_names);

// {"classes": [...], "samples": [{"index": 17, "true_label": 5, "true_name": "Sandal",
//  "predicted": 5, "predicted_name": "Sandal", "correct": true, "probabilities": [...]}]}
// Numbers read back exactly; an unknown label is null (and "correct" with it).
std::string prediction_json(const std::vector<Prediction>& samples,
                            const std::vector<std::string>& class_names);

}  // namespace gradc::cli
